/**
 * DuckDB types as JSON Schema, and the SQL that renders each column as the JSON value we emit. Rows are
 * rendered to JSON by DuckDB itself (`to_json` of a struct of the rendered columns), so the mapping is
 * mostly casts: exact numerics become decimal text, blobs base64, timestamps ISO 8601 from a UTC session,
 * floats' NaN and infinities the strings JSON allows; lists, structs, maps and JSON keep their shape.
 */
import type { JsonSchema } from '@tapline/protocol';
import { quoteLiteral } from '@tapline/duckdb-client';
import { withNull, type ColumnType, type SqlColumn } from '@tapline/tap-sql-base';

/** Exact decimals as text, with the precision PipelineWise-style targets read to size their columns. */
const decimal = (precision: number, scale: number): JsonSchema => ({
  type: 'string',
  format: 'singer.decimal',
  additionalProperties: { scale_precision: `(${precision},${scale})` },
});
const FLOAT: JsonSchema = { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }] };
const ANY_JSON: JsonSchema = { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] };

/** `$` is the column (or element) expression; the result is something `to_json` renders as we want. */
const AS_TEXT = 'CAST($ AS VARCHAR)';
const floatRender = (finite: string): string =>
  `CASE WHEN isnan($) THEN '"NaN"'::JSON WHEN isinf($) AND $ > 0 THEN '"Infinity"'::JSON WHEN isinf($) THEN '"-Infinity"'::JSON ELSE ${finite} END`;

interface ScalarType {
  schema: JsonSchema;
  orderable: boolean;
  render?: string;
}

const integer = (minimum: number | undefined, maximum: number | undefined): ScalarType => ({
  schema: { type: 'integer', ...(minimum === undefined ? {} : { minimum }), ...(maximum === undefined ? {} : { maximum }) },
  orderable: true,
});

/**
 * Text types are not orderable on purpose, as in tap-postgres: a bookmark compares by code unit and the
 * database by collation, and where the two disagree a run would look like it went backwards.
 */
const SCALARS: Record<string, ScalarType> = {
  BOOLEAN: { schema: { type: 'boolean' }, orderable: false },
  TINYINT: integer(-128, 127),
  SMALLINT: integer(-32768, 32767),
  INTEGER: integer(-2147483648, 2147483647),
  BIGINT: integer(undefined, undefined),
  UTINYINT: integer(0, 255),
  USMALLINT: integer(0, 65535),
  UINTEGER: integer(0, 4294967295),
  // Beyond 2^53 a JSON number loses digits in every consumer: these travel as exact decimal text.
  UBIGINT: { schema: decimal(20, 0), orderable: true, render: AS_TEXT },
  HUGEINT: { schema: decimal(39, 0), orderable: true, render: AS_TEXT },
  UHUGEINT: { schema: decimal(39, 0), orderable: true, render: AS_TEXT },
  BIGNUM: { schema: { type: 'string', format: 'singer.decimal' }, orderable: true, render: AS_TEXT },
  VARINT: { schema: { type: 'string', format: 'singer.decimal' }, orderable: true, render: AS_TEXT },
  DOUBLE: { schema: FLOAT, orderable: true, render: floatRender('to_json($)') },
  // A FLOAT's shortest text is its own (0.1), not that of the double it widens to (0.10000000149011612).
  FLOAT: { schema: FLOAT, orderable: true, render: floatRender('CAST($ AS VARCHAR)::JSON') },
  VARCHAR: { schema: { type: 'string' }, orderable: false },
  UUID: { schema: { type: 'string', format: 'uuid' }, orderable: false, render: AS_TEXT },
  DATE: { schema: { type: 'string', format: 'date' }, orderable: true, render: AS_TEXT },
  TIME: { schema: { type: 'string', format: 'time' }, orderable: false, render: AS_TEXT },
  'TIME WITH TIME ZONE': { schema: { type: 'string', format: 'time' }, orderable: false, render: AS_TEXT },
  // The session zone is UTC (see openDuckDB), so the instant prints in UTC and says so.
  'TIMESTAMP WITH TIME ZONE': { schema: { type: 'string', format: 'date-time' }, orderable: true, render: "strftime($, '%Y-%m-%dT%H:%M:%S.%f+00:00')" },
  TIMESTAMP: { schema: { type: 'string', format: 'date-time' }, orderable: true, render: "strftime($, '%Y-%m-%dT%H:%M:%S.%f')" },
  TIMESTAMP_NS: { schema: { type: 'string', format: 'date-time' }, orderable: true, render: "strftime($, '%Y-%m-%dT%H:%M:%S.%n')" },
  TIMESTAMP_MS: { schema: { type: 'string', format: 'date-time' }, orderable: true, render: "strftime(CAST($ AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g')" },
  TIMESTAMP_S: { schema: { type: 'string', format: 'date-time' }, orderable: true, render: "strftime(CAST($ AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S')" },
  INTERVAL: { schema: { type: 'string', description: 'DuckDB interval text, e.g. "1 year 2 months 3 days 04:05:06"' }, orderable: false, render: AS_TEXT },
  BLOB: { schema: { type: 'string', contentEncoding: 'base64' }, orderable: false, render: 'base64($)' },
  BIT: { schema: { type: 'string', pattern: '^[01]*$' }, orderable: false, render: AS_TEXT },
  JSON: { schema: ANY_JSON, orderable: false },
};

/** What a column's DuckDB type is, parsed from its name in duckdb_columns(). */
export interface DuckDBTypeInfo {
  /** `DECIMAL`, `INTEGER`, `LIST`, `STRUCT`, `MAP`, `UNION`, `ENUM`, ... */
  base: string;
  precision?: number;
  scale?: number;
  enumLabels?: string[];
  /** LIST and ARRAY: the element type. */
  element?: DuckDBTypeInfo;
}

/** Parse a type name such as `DECIMAL(12,2)`, `INTEGER[]`, `VARCHAR[3][]`, `ENUM('a', 'b')`, `STRUCT(a INTEGER)`. */
export function parseDuckDBType(name: string): DuckDBTypeInfo {
  const list = /^(.*)\[\d*\]$/.exec(name);
  if (list) return { base: 'LIST', element: parseDuckDBType(list[1] ?? '') };
  const decimalMatch = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(name);
  if (decimalMatch) return { base: 'DECIMAL', precision: Number(decimalMatch[1]), scale: Number(decimalMatch[2]) };
  if (name.startsWith('ENUM(')) {
    const labels: string[] = [];
    const pattern = /'((?:[^']|'')*)'/g;
    for (let m = pattern.exec(name); m !== null; m = pattern.exec(name)) labels.push((m[1] ?? '').replace(/''/g, "'"));
    return { base: 'ENUM', enumLabels: labels };
  }
  const paren = name.indexOf('(');
  return { base: paren > 0 ? name.slice(0, paren) : name };
}

function scalarType(info: DuckDBTypeInfo): ScalarType | undefined {
  if (info.base === 'DECIMAL') return { schema: decimal(info.precision ?? 18, info.scale ?? 3), orderable: true, render: AS_TEXT };
  if (info.base === 'ENUM') return { schema: { type: 'string', enum: [...(info.enumLabels ?? [])] }, orderable: false, render: AS_TEXT };
  return SCALARS[info.base];
}

export function typeInfoOf(column: SqlColumn): DuckDBTypeInfo {
  return column.detail as DuckDBTypeInfo;
}

function nestedType(info: DuckDBTypeInfo): { schema: JsonSchema; orderable: boolean } | undefined {
  if (info.base === 'LIST') {
    const element = info.element === undefined ? undefined : nestedType(info.element);
    if (element === undefined) return undefined;
    return { schema: { type: 'array', items: withNull(element.schema) }, orderable: false };
  }
  // Fields and map values render with to_json's defaults (see README: decimals inside them are numbers).
  if (info.base === 'STRUCT' || info.base === 'MAP') return { schema: { type: 'object' }, orderable: false };
  if (info.base === 'UNION') return { schema: {}, orderable: false };
  return scalarType(info);
}

export function duckdbColumnType(column: SqlColumn): ColumnType | undefined {
  const type = nestedType(typeInfoOf(column));
  if (type === undefined) return undefined;
  const schema = type.schema.type === undefined && type.schema.anyOf === undefined ? type.schema : column.nullable ? withNull(type.schema) : type.schema;
  return { schema, orderable: type.orderable };
}

/** The SQL expression rendering a value of this type for to_json; `reference` is the value. */
function renderInfo(info: DuckDBTypeInfo, reference: string, depth: number): string {
  if (info.base === 'LIST') {
    const element = info.element;
    if (element === undefined) return reference;
    const variable = `e${depth}`;
    const inner = renderInfo(element, variable, depth + 1);
    // Elements that need no rendering keep the list as it is (and its NULL apart from []).
    return inner === variable ? reference : `list_transform(${reference}, ${variable} -> ${inner})`;
  }
  const scalar = scalarType(info);
  return scalar?.render === undefined ? reference : scalar.render.replaceAll('$', reference);
}

export function renderColumn(column: SqlColumn, reference: string): string {
  return renderInfo(typeInfoOf(column), reference, 0);
}

/** A literal of the column's type from a value as a record or a resume point carries it. */
export function literalFor(column: SqlColumn, value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `CAST(${quoteLiteral(text)} AS ${column.sqlType})`;
}
