/**
 * PostgreSQL types as JSON Schema, and the SQL that renders each column as the JSON value we emit. Values
 * are read as COPY text, or as the server's `to_json` where their JSON is not their text (see
 * `columnRead`), so the mapping is mostly casts: exact numerics and money become decimal text, bytea
 * becomes base64; everything else already has the JSON form we want
 * (NaN and the infinities of floats as strings, timestamps in ISO 8601 from a UTC session, intervals in
 * ISO 8601 durations, arrays as JSON arrays with NULL kept apart from `[]`).
 */
import type { JsonSchema } from '@tapline/protocol';
import { quoteIdentifier } from '@tapline/postgres-client';
import { withNull, type ColumnType, type SqlColumn } from '@tapline/tap-sql-base';
import type { ColumnMode } from './postgres-copy.js';

/** What introspection learns about a column's type (domains resolved to their base type). */
export interface PostgresTypeInfo {
  /** pg_type.typname of the (base) type: `int4`, `numeric`, `timestamptz`, `_int4` for arrays. */
  name: string;
  /** pg_type.typcategory: `A` array, `S` string, `E` enum, `U` user-defined, ... */
  category: string;
  enumLabels?: string[];
  /** varchar(n) and char(n): n. */
  maxLength?: number;
  /** Arrays: the element type. */
  element?: PostgresTypeInfo;
}

const DECIMAL: JsonSchema = { type: 'string', format: 'singer.decimal' };
/** JSON has no NaN or infinities; floats carry them as these strings. */
const FLOAT: JsonSchema = { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }] };
const ANY_JSON: JsonSchema = { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] };

interface ScalarType {
  schema: JsonSchema;
  orderable: boolean;
  /** SQL turning the column into the value to emit (as its text or its to_json); `$` is the column. */
  render?: string;
}

/**
 * Text types are not orderable on purpose: the database orders them by collation, bookmarks compare by
 * code unit, and the two disagree ('B' < 'a' in one, not the other), which would look like a regression.
 */
const SCALARS: Record<string, ScalarType> = {
  int2: { schema: { type: 'integer', minimum: -32768, maximum: 32767 }, orderable: true },
  int4: { schema: { type: 'integer', minimum: -2147483648, maximum: 2147483647 }, orderable: true },
  int8: { schema: { type: 'integer' }, orderable: true },
  oid: { schema: { type: 'integer', minimum: 0 }, orderable: true },
  numeric: { schema: DECIMAL, orderable: true, render: '$::text' },
  money: { schema: DECIMAL, orderable: true, render: '$::numeric::text' },
  float4: { schema: FLOAT, orderable: true },
  float8: { schema: FLOAT, orderable: true },
  bool: { schema: { type: 'boolean' }, orderable: false },
  text: { schema: { type: 'string' }, orderable: false },
  varchar: { schema: { type: 'string' }, orderable: false },
  bpchar: { schema: { type: 'string' }, orderable: false },
  name: { schema: { type: 'string' }, orderable: false },
  citext: { schema: { type: 'string' }, orderable: false },
  uuid: { schema: { type: 'string', format: 'uuid' }, orderable: false },
  date: { schema: { type: 'string', format: 'date' }, orderable: true },
  time: { schema: { type: 'string', format: 'time' }, orderable: false },
  timetz: { schema: { type: 'string', format: 'time' }, orderable: false },
  timestamp: { schema: { type: 'string', format: 'date-time' }, orderable: true },
  timestamptz: { schema: { type: 'string', format: 'date-time' }, orderable: true },
  interval: { schema: { type: 'string', description: 'ISO 8601 duration' }, orderable: false },
  json: { schema: ANY_JSON, orderable: false },
  jsonb: { schema: ANY_JSON, orderable: false },
  // encode() breaks base64 into 76-character lines; a JSON string should not carry those.
  bytea: { schema: { type: 'string', contentEncoding: 'base64' }, orderable: false, render: "translate(encode($, 'base64'), E'\\n', '')" },
  inet: { schema: { type: 'string' }, orderable: false },
  cidr: { schema: { type: 'string' }, orderable: false },
  macaddr: { schema: { type: 'string' }, orderable: false },
  macaddr8: { schema: { type: 'string' }, orderable: false },
  bit: { schema: { type: 'string', pattern: '^[01]*$' }, orderable: false },
  varbit: { schema: { type: 'string', pattern: '^[01]*$' }, orderable: false },
  xml: { schema: { type: 'string' }, orderable: false },
};

function scalarType(info: PostgresTypeInfo): ScalarType | undefined {
  if (info.enumLabels !== undefined) return { schema: { type: 'string', enum: [...info.enumLabels] }, orderable: false };
  const known = SCALARS[info.name];
  if (known !== undefined) {
    return info.maxLength !== undefined && known.schema.type === 'string' ? { ...known, schema: { ...known.schema, maxLength: info.maxLength } } : known;
  }
  // Other string-like types (domains over text were resolved already; this is citext-likes from extensions).
  if (info.category === 'S') return { schema: { type: 'string' }, orderable: false };
  return undefined;
}

export function typeInfoOf(column: SqlColumn): PostgresTypeInfo {
  return column.detail as PostgresTypeInfo;
}

export function postgresColumnType(column: SqlColumn): ColumnType | undefined {
  const info = typeInfoOf(column);
  if (info.element !== undefined) {
    const element = scalarType(info.element);
    if (element === undefined) return undefined;
    // One-dimensional arrays; PostgreSQL does not record dimensions, and a 2-D value is emitted nested.
    const array: JsonSchema = { type: 'array', items: withNull(element.schema) };
    return { schema: column.nullable ? withNull(array) : array, orderable: false };
  }
  const scalar = scalarType(info);
  if (scalar === undefined) return undefined;
  return { schema: column.nullable ? withNull(scalar.schema) : scalar.schema, orderable: scalar.orderable };
}

/** The SQL expression that renders a column: the value whose JSON the record carries. */
export function renderColumn(column: SqlColumn, reference = quoteIdentifier(column.name)): string {
  const info = typeInfoOf(column);
  if (info.element !== undefined) {
    const element = info.element.enumLabels === undefined ? SCALARS[info.element.name] : undefined;
    if (element?.render === undefined) return reference;
    if (info.element.name === 'numeric') return `${reference}::text[]`;
    if (info.element.name === 'money') return `${reference}::numeric[]::text[]`;
    // bytea[]: element by element, keeping NULL elements, and NULL apart from an empty array.
    const each = element.render.replace('$', 'e');
    return `CASE WHEN ${reference} IS NULL THEN NULL ELSE coalesce((SELECT array_agg(${each} ORDER BY i) FROM unnest(${reference}) WITH ORDINALITY u(e, i)), '{}') END`;
  }
  const scalar = info.enumLabels === undefined ? SCALARS[info.name] : undefined;
  return scalar?.render === undefined ? reference : scalar.render.replace('$', reference);
}

/** A literal of the column's type from a value as a record or a resume point carries it. */
export function literalFor(column: SqlColumn, value: unknown, quote: (text: string) => string): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeInfoOf(column).name === 'bytea') return `decode(${quote(text)}, 'base64')`;
  return `${quote(text)}::${column.sqlType}`;
}

/**
 * How the tap reads a column from COPY text (see postgres-copy.ts), and the SQL that selects it: the
 * column's own text for types whose JSON is that text (numbers, booleans, strings, JSON documents), and
 * the server's `to_json` of the rendered column for the rest (dates and times in ISO 8601, intervals,
 * arrays...), so every value is exactly what `row_to_json` would give.
 */
export function columnRead(column: SqlColumn): { mode: ColumnMode; sql: string } {
  const info = typeInfoOf(column);
  const reference = quoteIdentifier(column.name);
  if (info.element === undefined) {
    if (info.enumLabels !== undefined) return { mode: 'string', sql: reference };
    const mode = PLAIN_MODES[info.name] ?? (info.category === 'S' && SCALARS[info.name] === undefined ? 'string' : undefined);
    if (mode !== undefined) return { mode, sql: renderColumn(column) };
  }
  return { mode: 'json', sql: `to_json(${renderColumn(column)})` };
}

const PLAIN_MODES: Record<string, ColumnMode> = {
  int2: 'number', int4: 'number', int8: 'number', oid: 'number',
  float4: 'float', float8: 'float',
  bool: 'bool',
  json: 'json', jsonb: 'json',
  // A date's ISO text is its JSON string; timestamps need a T and a full offset (postgres-copy.ts).
  date: 'string', timestamp: 'timestamp', timestamptz: 'timestamp',
  // Rendered as text (numeric, money, bytea) or text already.
  numeric: 'string', money: 'string', bytea: 'string',
  text: 'string', varchar: 'string', bpchar: 'string', name: 'string', citext: 'string', uuid: 'string', xml: 'string',
  inet: 'string', cidr: 'string', macaddr: 'string', macaddr8: 'string', bit: 'string', varbit: 'string',
};
