/**
 * What a SCHEMA asks of a table, and how an existing table must change to give it: the part of every SQL
 * target that does not depend on the dialect.
 */
import { DataError, type SchemaMessage } from '@tapline/protocol';
import type { PendingRecord } from '@tapline/target-base';
import { columnTypeFor, widenedType, type ColumnType } from './column-types.js';
import { identifierFor } from './identifiers.js';

export interface TableRef {
  schema: string;
  table: string;
}

/** The metadata columns Singer targets store beside the data (all optional). */
export const METADATA_COLUMNS = [
  '_sdc_extracted_at',
  '_sdc_received_at',
  '_sdc_batched_at',
  '_sdc_deleted_at',
  '_sdc_table_version',
  '_sdc_sequence',
] as const;
export type MetadataColumn = (typeof METADATA_COLUMNS)[number];

const METADATA_TYPES: Record<MetadataColumn, ColumnType> = {
  _sdc_extracted_at: { kind: 'date-time' },
  _sdc_received_at: { kind: 'date-time' },
  _sdc_batched_at: { kind: 'date-time' },
  _sdc_deleted_at: { kind: 'date-time' },
  _sdc_table_version: { kind: 'integer' },
  _sdc_sequence: { kind: 'integer' },
};

export interface PlannedColumn {
  /** The destination identifier (unquoted). */
  name: string;
  /** The SCHEMA property it holds, or undefined for a metadata column. */
  property: string | undefined;
  metadata: MetadataColumn | undefined;
  type: ColumnType;
  /** Key columns are NOT NULL; every other column is nullable, so a later schema may leave it out. */
  nullable: boolean;
}

export interface TablePlan {
  stream: string;
  ref: TableRef;
  columns: PlannedColumn[];
  /** Key columns (destination names), in key_properties order. */
  keys: string[];
}

export interface PlanOptions {
  namespace: string;
  maxIdentifierBytes: number;
  /** Floats carried as a number or "NaN"/"Infinity"/"-Infinity" strings get a float column (see SqlDialect). */
  nonFiniteFloats?: boolean;
  /** Metadata columns the table must have. */
  metadata: Iterable<MetadataColumn>;
}

export function planTable(message: SchemaMessage, options: PlanOptions): TablePlan {
  const properties = message.schema.properties ?? {};
  const keys = new Set(message.key_properties);
  const columns: PlannedColumn[] = [];
  const byName = new Map<string, string>();
  const add = (column: PlannedColumn): void => {
    const clash = byName.get(column.name);
    if (clash !== undefined) {
      // Only possible when two names differ in a way the destination folds (it should not: we quote).
      throw new DataError(`properties "${clash}" and "${column.property ?? column.name}" map to the same column "${column.name}"`, {
        stream: message.stream,
        hint: 'Rename one of the properties (a transform such as clean-names can do it)',
      });
    }
    byName.set(column.name, column.property ?? column.name);
    columns.push(column);
  };
  for (const [property, schema] of Object.entries(properties)) {
    add({
      name: identifierFor(property, options.maxIdentifierBytes),
      property,
      metadata: undefined,
      type: columnTypeFor(schema, { nonFiniteFloats: options.nonFiniteFloats === true }),
      nullable: !keys.has(property),
    });
  }
  for (const metadata of options.metadata) {
    // A tap may send a metadata field itself (`_sdc_deleted_at` from a change log): the property wins.
    if (metadata in properties) continue;
    add({ name: metadata, property: undefined, metadata, type: METADATA_TYPES[metadata], nullable: true });
  }
  return {
    stream: message.stream,
    ref: { schema: options.namespace, table: identifierFor(message.stream, options.maxIdentifierBytes) },
    columns,
    keys: message.key_properties.map((key) => identifierFor(key, options.maxIdentifierBytes)),
  };
}

export interface ExistingColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface ExistingTable {
  columns: Map<string, ExistingColumn>;
  /** Column sets with a primary key or unique index: an upsert on one of them can use ON CONFLICT/MERGE keys. */
  uniqueKeys: string[][];
}

export interface WidenedColumn {
  column: PlannedColumn;
  from: ColumnType;
  to: ColumnType;
}

export interface TableChanges {
  /** The table is missing: create it with these columns (and a primary key when `primaryKey` is non-empty). */
  create: { columns: PlannedColumn[]; primaryKey: string[] } | undefined;
  add: PlannedColumn[];
  widen: WidenedColumn[];
}

export function hasChanges(changes: TableChanges): boolean {
  return changes.create !== undefined || changes.add.length > 0 || changes.widen.length > 0;
}

/**
 * Evolution rules: a new property adds a nullable column; a wider type widens the column; a narrower
 * type keeps the wider column; columns the schema no longer names stay, untouched. Nothing is dropped.
 */
export function planChanges(plan: TablePlan, existing: ExistingTable | undefined, options: { primaryKey: boolean }): TableChanges {
  if (existing === undefined) {
    return { create: { columns: plan.columns, primaryKey: options.primaryKey ? plan.keys : [] }, add: [], widen: [] };
  }
  const add: PlannedColumn[] = [];
  const widen: WidenedColumn[] = [];
  for (const column of plan.columns) {
    const current = existing.columns.get(column.name);
    if (current === undefined) {
      add.push({ ...column, nullable: true });
      continue;
    }
    const to = widenedType(current.type, column.type);
    if (to !== undefined) widen.push({ column, from: current.type, to });
  }
  return { create: undefined, add, widen };
}

/** A column as loaded: where its value comes from, and the type of the destination column it goes to. */
export interface LoadColumn {
  name: string;
  property: string | undefined;
  type: ColumnType;
  read(record: PendingRecord): unknown;
}
