/**
 * Dialect-neutral column types. A SCHEMA property maps to one `ColumnType`; each dialect renders it
 * (`integer` is `bigint` in PostgreSQL, `NUMBER(19)` in Oracle) and reads existing columns back into it,
 * so that planning a table and evolving it happen once, here, for every SQL target.
 */
import type { JsonSchema } from '@tapline/protocol';

export type ColumnKind =
  | 'integer'
  | 'number'
  | 'decimal'
  | 'string'
  | 'boolean'
  | 'date'
  | 'time'
  | 'date-time'
  | 'json'
  /** An existing column of a type we do not model (uuid, inet, ...): kept, never altered, values sent as text. */
  | 'other';

export interface ColumnType {
  kind: ColumnKind;
  /** `string`: the schema's maxLength, or an existing column's declared length. */
  maxLength?: number;
  /** The dialect's own type name, for existing columns (log lines and `other`). */
  native?: string;
}

const SCALAR_FORMATS: Record<string, ColumnKind> = {
  'date-time': 'date-time',
  date: 'date',
  time: 'time',
  'singer.decimal': 'decimal',
};

/** The JSON types and string formats a schema allows, looking through anyOf/oneOf branches. */
function collect(schema: JsonSchema, kinds: Set<ColumnKind>, lengths: number[], options: ColumnTypeOptions): void {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches && schema.type === undefined) {
    const floats = options.nonFiniteFloats && branches.some(isNumberBranch) && branches.every((branch) => isNumberBranch(branch) || isNonFiniteBranch(branch) || isNullBranch(branch));
    for (const branch of branches) {
      // A float whose NaN and infinities travel as strings is still a float where the column can hold them.
      if (floats && isNonFiniteBranch(branch)) continue;
      collect(branch, kinds, lengths, options);
    }
    return;
  }
  const types = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : [];
  if (types.length === 0) {
    // No type at all (`{}`) allows anything: only JSON holds anything.
    kinds.add('json');
    return;
  }
  for (const type of types) {
    switch (type) {
      case 'null':
        break;
      case 'integer':
        kinds.add('integer');
        break;
      case 'number':
        // multipleOf (0.01, 1e-9) says the values are exact decimals: floats would round them.
        kinds.add(schema.multipleOf !== undefined && !Number.isInteger(schema.multipleOf) ? 'decimal' : 'number');
        break;
      case 'string': {
        const format = typeof schema.format === 'string' ? SCALAR_FORMATS[schema.format] : undefined;
        kinds.add(format ?? 'string');
        if (format === undefined) lengths.push(typeof schema.maxLength === 'number' ? schema.maxLength : Infinity);
        break;
      }
      case 'boolean':
        kinds.add('boolean');
        break;
      default: // object, array
        kinds.add('json');
    }
  }
}

export interface ColumnTypeOptions {
  /** The destination's float column holds NaN and the infinities (see SqlDialect.nonFiniteFloats). */
  nonFiniteFloats?: boolean;
}

const NON_FINITE = new Set<unknown>(['NaN', 'Infinity', '-Infinity', null]);
const typesOf = (schema: JsonSchema): unknown[] => (Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type]);
const isNumberBranch = (schema: JsonSchema): boolean => typesOf(schema).includes('number') && typesOf(schema).every((type) => type === 'number' || type === 'null');
const isNullBranch = (schema: JsonSchema): boolean => typesOf(schema).length > 0 && typesOf(schema).every((type) => type === 'null');
const isNonFiniteBranch = (schema: JsonSchema): boolean =>
  typesOf(schema).includes('string') && typesOf(schema).every((type) => type === 'string' || type === 'null') && Array.isArray(schema.enum) && schema.enum.every((value) => NON_FINITE.has(value));

/**
 * The column type for a property's schema. Unions resolve to the narrowest type that holds every
 * branch: integer|number is number, integer|string is string, anything with an object or array is json.
 */
export function columnTypeFor(schema: JsonSchema, options: ColumnTypeOptions = {}): ColumnType {
  const kinds = new Set<ColumnKind>();
  const lengths: number[] = [];
  collect(schema, kinds, lengths, options);
  let kind: ColumnKind | undefined;
  for (const next of kinds) kind = kind === undefined ? next : unionKind(kind, next);
  kind ??= 'string'; // only "null": a column that will hold nulls until a later schema says more
  if (kind === 'string' && lengths.length > 0 && lengths.every(Number.isFinite) && kinds.size === 1) {
    return { kind, maxLength: Math.max(...lengths) };
  }
  return { kind };
}

const NUMERIC_RANK: Partial<Record<ColumnKind, number>> = { integer: 0, number: 1, decimal: 2 };

/** The narrowest kind that holds values of both kinds. */
export function unionKind(a: ColumnKind, b: ColumnKind): ColumnKind {
  if (a === b) return a;
  if (a === 'json' || b === 'json') return 'json';
  const ra = NUMERIC_RANK[a];
  const rb = NUMERIC_RANK[b];
  if (ra !== undefined && rb !== undefined) return ra > rb ? a : b;
  return 'string';
}

/**
 * How an existing column must change so that values of `wanted` fit, or undefined when it already holds
 * them. Columns only ever widen (integer -> number -> string, anything -> json); a narrower schema keeps
 * the wider column, a string column keeps its declared length (a user chose it), and a column of a type
 * we do not model is never touched.
 */
export function widenedType(existing: ColumnType, wanted: ColumnType): ColumnType | undefined {
  if (existing.kind === wanted.kind || existing.kind === 'other' || existing.kind === 'json') return undefined;
  // Text holds the text of any value, JSON documents included.
  if (existing.kind === 'string') return undefined;
  const ra = NUMERIC_RANK[existing.kind];
  const rb = NUMERIC_RANK[wanted.kind];
  if (ra !== undefined && rb !== undefined) return ra >= rb ? undefined : { kind: wanted.kind };
  return { kind: unionKind(existing.kind, wanted.kind) };
}
