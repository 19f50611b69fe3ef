/**
 * The TargetDriver every SQL target shares. It plans and evolves tables, picks the load method, keeps the
 * last record per key, fills the metadata columns and retires old table versions; a dialect supplies only
 * the statements (`SqlDialect`): introspection, DDL, and its fastest way to load a batch.
 */
import { DataError, stringifyExact, type Logger, type SchemaMessage } from '@tapline/protocol';
import { readProperty, type PendingBatch, type PendingRecord, type RecordBatch, type StreamSink, type TargetDriver } from '@tapline/target-base';
import { loadMethodFor, type LoadMethod, type SqlTargetConfig } from './sql-target-config.js';
import {
  METADATA_COLUMNS,
  hasChanges,
  planChanges,
  planTable,
  type ExistingTable,
  type LoadColumn,
  type MetadataColumn,
  type TableChanges,
  type TablePlan,
  type TableRef,
} from './table-plan.js';

export interface BatchLoad {
  stream: string;
  table: TableRef;
  columns: LoadColumn[];
  /** Key columns (destination names). */
  keys: string[];
  /** The records to load, in order; for `upsert`, already one per key (the last one received). */
  rows: PendingRecord[];
  mode: 'upsert' | 'append';
  /** A primary key or unique index covers exactly the key columns (ON CONFLICT / MERGE can target it). */
  keysUnique: boolean;
  /** Empty the table in the same transaction first: the first batch of an `overwrite` run. */
  truncateFirst: boolean;
}

export type RetireMode = 'hard' | 'soft';

/** What every SQL target can do (`--about`): the shared driver gives each of them all of it. */
export const SQL_TARGET_CAPABILITIES = ['about', 'upsert', 'append', 'overwrite', 'activate-version', 'hard-delete', 'soft-delete', 'schema-evolution'];

/** The statements a SQL destination supplies. Every method that changes data commits before it resolves. */
export interface SqlDialect {
  /** Longest identifier the destination accepts, in bytes (63 for PostgreSQL). */
  readonly maxIdentifierBytes: number;
  /**
   * The destination's float column stores NaN and the infinities (PostgreSQL, DuckDB), so a property that is
   * a number or one of the strings "NaN", "Infinity", "-Infinity" (how taps carry such floats) becomes a
   * float column. Without it (MySQL) such a property stays text, which holds every value.
   */
  readonly nonFiniteFloats?: boolean;
  /** `load` handles scanned records (`PendingRecord.scanned`) itself, from their bytes. */
  readonly scansRecords?: boolean;
  open(): Promise<void>;
  /** Safe to call twice. */
  close(): Promise<void>;
  ensureNamespace(namespace: string): Promise<void>;
  describeTable(ref: TableRef): Promise<ExistingTable | undefined>;
  /** Create or alter the table, in its own transaction. */
  applyChanges(ref: TableRef, changes: TableChanges, stream: string): Promise<void>;
  /** Load one batch in one transaction. */
  load(load: BatchLoad): Promise<void>;
  /**
   * Keep a stream's pending records the dialect's own way (StreamSink.newBatch), for instance already in
   * its load format: asked once per sink, with the table as the sink first prepared it.
   */
  batches?(table: PreparedTable): DialectBatches;
  /** Delete (hard) or mark `_sdc_deleted_at` (soft) every row whose `_sdc_table_version` is older than `version` or unset. */
  retireVersions(ref: TableRef, version: number, mode: RetireMode): Promise<void>;
  truncate(ref: TableRef): Promise<void>;
}

/** A stream's table as a sink loads it: planned from the SCHEMA, created or evolved, and described. */
export interface PreparedTable {
  message: SchemaMessage;
  plan: TablePlan;
  method: LoadMethod;
  table: ExistingTable;
}

/**
 * A dialect's own batches (SqlDialect.batches). Such a batch reaches `load` as the only entry of
 * `BatchLoad.rows` (its `records()`), so it must keep the last record per key itself, as latestPerKey does.
 */
export interface DialectBatches {
  create(): PendingBatch;
  /** The batch whose records these are was loaded and committed: what it holds may be reused. */
  release(records: PendingRecord[]): void;
}

export class SqlTargetDriver implements TargetDriver {
  readonly supportsActivateVersion = true;
  private readonly namespaces = new Set<string>();
  /** Tables an `overwrite` run has already emptied. */
  readonly truncated = new Set<string>();
  /** Streams that sent ACTIVATE_VERSION this run, with the version: records without their own version belong to it. */
  readonly activeVersions = new Map<string, number>();
  /** Streams whose tables must keep `_sdc_table_version` (versions are in use). */
  private readonly versioned = new Set<string>();

  constructor(
    readonly dialect: SqlDialect,
    readonly config: SqlTargetConfig,
    readonly logger: Logger,
    private readonly namespace: string,
  ) {}

  async open(): Promise<void> {
    await this.dialect.open();
  }

  async close(): Promise<void> {
    await this.dialect.close();
  }

  get scansRecords(): boolean {
    return this.dialect.scansRecords === true;
  }

  get retireMode(): RetireMode {
    return this.config.hard_delete ? 'hard' : 'soft';
  }

  /** Metadata columns a stream's table needs: all of them when asked, else those that versions require. */
  private metadataFor(stream: string): MetadataColumn[] {
    if (this.config.add_metadata_columns) return [...METADATA_COLUMNS];
    if (!this.versioned.has(stream)) return [];
    return this.retireMode === 'soft' ? ['_sdc_table_version', '_sdc_deleted_at'] : ['_sdc_table_version'];
  }

  async openStream(message: SchemaMessage): Promise<StreamSink> {
    return new SqlSink(this, await this.prepareTable(message));
  }

  /** Create or evolve the table for a SCHEMA (DDL in its own transaction), and describe the result. */
  async prepareTable(message: SchemaMessage): Promise<PreparedTable> {
    const method = loadMethodFor(this.config, message.key_properties);
    const plan = planTable(message, {
      namespace: this.namespace,
      maxIdentifierBytes: this.dialect.maxIdentifierBytes,
      nonFiniteFloats: this.dialect.nonFiniteFloats === true,
      metadata: this.metadataFor(message.stream),
    });
    if (!this.namespaces.has(plan.ref.schema)) {
      await this.dialect.ensureNamespace(plan.ref.schema);
      this.namespaces.add(plan.ref.schema);
    }
    let table = await this.dialect.describeTable(plan.ref);
    // Only an upserted table gets a primary key: appending duplicates is the point of `append`.
    const changes = planChanges(plan, table, { primaryKey: method !== 'append' && plan.keys.length > 0 });
    if (hasChanges(changes)) {
      await this.dialect.applyChanges(plan.ref, changes, message.stream);
      for (const { column, from, to } of changes.widen) {
        this.logger.info(`widened column "${column.name}" from ${from.native ?? from.kind} to ${to.kind}`, { stream: message.stream });
      }
      if (changes.add.length > 0) this.logger.info(`added columns ${changes.add.map((c) => `"${c.name}"`).join(', ')}`, { stream: message.stream });
      table = await this.dialect.describeTable(plan.ref);
    }
    if (table === undefined) throw new Error(`table ${plan.ref.schema}.${plan.ref.table} is missing right after it was created`);
    return { message, plan, method, table };
  }

  /** Versions are in use for a stream: make sure its table can store them. */
  async useVersions(state: PreparedTable): Promise<PreparedTable> {
    this.versioned.add(state.plan.stream);
    const needed = this.metadataFor(state.plan.stream);
    if (needed.every((name) => state.table.columns.has(name))) return state;
    return this.prepareTable(state.message);
  }
}

/** Sequence numbers that keep increasing across runs: the run's start second, then the record's place in the run. */
const RUN_SECONDS = String(Math.floor(Date.now() / 1000));

class SqlSink implements StreamSink {
  private readonly batches: DialectBatches | undefined;
  readonly newBatch?: () => PendingBatch;

  constructor(
    private readonly driver: SqlTargetDriver,
    private state: PreparedTable,
  ) {
    const batches = driver.dialect.batches?.(state);
    this.batches = batches;
    if (batches !== undefined) this.newBatch = () => batches.create();
  }

  private get stream(): string {
    return this.state.plan.stream;
  }

  async write(batch: RecordBatch): Promise<void> {
    if (!this.state.table.columns.has('_sdc_table_version') && batch.records.some((r) => r.version !== undefined)) {
      this.state = await this.driver.useVersions(this.state);
    }
    const { plan, method, table } = this.state;
    const mode = method === 'append' || plan.keys.length === 0 ? 'append' : 'upsert';
    const columns = this.loadColumns(new Date().toISOString());
    const keyColumns = plan.keys.map((key) => columns.find((column) => column.name === key)!);
    const rows = mode === 'upsert' ? latestPerKey(batch.records, keyColumns) : batch.records;
    const tableKey = `${plan.ref.schema}.${plan.ref.table}`;
    const truncateFirst = method === 'overwrite' && !this.driver.truncated.has(tableKey);
    await this.driver.dialect.load({
      stream: this.stream,
      table: plan.ref,
      columns,
      keys: plan.keys,
      rows,
      mode,
      keysUnique: table.uniqueKeys.some((unique) => sameSet(unique, plan.keys)),
      truncateFirst,
    });
    if (truncateFirst) this.driver.truncated.add(tableKey);
    this.batches?.release(batch.records);
  }

  async activateVersion(version: number): Promise<void> {
    this.driver.activeVersions.set(this.stream, version);
    this.state = await this.driver.useVersions(this.state);
    await this.driver.dialect.retireVersions(this.state.plan.ref, version, this.driver.retireMode);
  }

  async close(): Promise<void> {
    // An overwrite run that sent no records still replaces the table's contents: with nothing.
    const { plan, method } = this.state;
    const tableKey = `${plan.ref.schema}.${plan.ref.table}`;
    if (method === 'overwrite' && !this.driver.truncated.has(tableKey)) {
      await this.driver.dialect.truncate(plan.ref);
      this.driver.truncated.add(tableKey);
    }
  }

  /**
   * The columns a batch fills: every planned property that the table has, and every metadata column the
   * table has (so versions and deletion marks stay right even when a run did not ask for the columns).
   */
  private loadColumns(batchedAt: string): LoadColumn[] {
    const { plan, table } = this.state;
    const activeVersion = this.driver.activeVersions.get(this.stream);
    const out: LoadColumn[] = [];
    const planned = new Set<string>();
    for (const column of plan.columns) {
      const existing = table.columns.get(column.name);
      if (existing === undefined || column.property === undefined) continue;
      const property = column.property;
      planned.add(column.name);
      out.push({ name: column.name, property, type: existing.type, read: (p) => readProperty(p, property) });
    }
    for (const metadata of METADATA_COLUMNS) {
      const existing = table.columns.get(metadata);
      if (existing === undefined || planned.has(metadata)) continue;
      out.push({ name: metadata, property: undefined, type: existing.type, read: metadataReader(metadata, batchedAt, activeVersion) });
    }
    return out;
  }
}

function metadataReader(column: MetadataColumn, batchedAt: string, activeVersion: number | undefined): (p: PendingRecord) => unknown {
  switch (column) {
    case '_sdc_extracted_at':
      return (p) => p.timeExtracted ?? null;
    case '_sdc_received_at':
      return (p) => new Date(p.receivedAt).toISOString();
    case '_sdc_batched_at':
      return () => batchedAt;
    case '_sdc_deleted_at':
      // A record that arrives again is alive again, unless the tap itself says it was deleted.
      return (p) => readProperty(p, '_sdc_deleted_at') ?? null;
    case '_sdc_table_version':
      return (p) => p.version ?? activeVersion ?? null;
    case '_sdc_sequence':
      return (p) => `${RUN_SECONDS}${String(p.sequence).padStart(9, '0')}`;
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}

/** The last record per key, in arrival order: a MERGE or ON CONFLICT must never see one key twice. */
export function latestPerKey(records: PendingRecord[], keys: LoadColumn[]): PendingRecord[] {
  if (keys.length === 1 && strictlyIncreasing(records, keys[0]!)) return records;
  const seen = new Set<unknown>();
  const keep: PendingRecord[] = [];
  for (let i = records.length - 1; i >= 0; i -= 1) {
    const record = records[i]!;
    // One key column (the common case): its value itself is the set key; a schema types a key column
    // consistently, so an integer 1 and a string "1" never meet in one stream.
    const key = keys.length === 1 ? keyValue(keys[0]!.read(record)) : keys.map((column) => keyText(column.read(record))).join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    keep.push(record);
  }
  return keep.length === records.length ? records : keep.reverse();
}

/**
 * Whether a single key's values only go up, numbers or strings: then no key repeats. A FULL_TABLE sync
 * in key order sends exactly that, and a comparison per record is cheaper than a set of 50,000 keys.
 */
function strictlyIncreasing(records: PendingRecord[], key: LoadColumn): boolean {
  let previous: unknown;
  for (let i = 0; i < records.length; i += 1) {
    const value = key.read(records[i]!);
    if (i > 0 && !(typeof value === typeof previous && (value as number) > (previous as number))) return false;
    if (typeof value !== 'number' && typeof value !== 'string') return false;
    previous = value;
  }
  return true;
}

function keyValue(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'string' ? value : keyText(value);
}

/** A key value as latestPerKey compares it (numbers and strings as they are, others by their text). */
export function keyText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'object' ? stringifyExact(value) : String(value);
}

/**
 * The destination rejected one row of a batch: name the stream, the column (as the property the tap
 * sent) and the input line of the record, so the user can find it.
 */
export function rowRejected(load: BatchLoad, row: number | undefined, columnName: string | undefined, message: string, cause: unknown): DataError {
  const record = row === undefined ? undefined : load.rows[row - 1];
  const column = columnName === undefined ? undefined : load.columns.find((c) => c.name === columnName);
  return new DataError(message, {
    stream: load.stream,
    ...(record === undefined ? {} : { line: record.line }),
    ...(column === undefined ? (columnName === undefined ? {} : { column: columnName }) : { column: column.property ?? column.name }),
    cause,
    hint: 'The destination column cannot hold this value; fix the source value or widen the column',
  });
}
