/** Neutral column types to DuckDB types and back (see the type table in README.md). */
import { parseDecimal, type JsonSchema } from '@tapline/protocol';
import type { ColumnType } from '@tapline/target-sql-base';

/** DuckDB's widest DECIMAL. */
export const MAX_DECIMAL_DIGITS = 38;
/** The scale of an exact decimal whose schema declares none (a singer.decimal string without scale_precision). */
export const DEFAULT_DECIMAL_SCALE = 9;

/** What a schema says about an exact decimal: `scale_precision` of singer.decimal, or the scale of multipleOf. */
export interface DecimalSpec {
  precision?: number;
  scale?: number;
}

/** The decimal places of a multipleOf such as 0.01 or 1e-9 (0.25 has 2). */
function scaleOf(multipleOf: number): number | undefined {
  const parsed = parseDecimal(multipleOf);
  if (parsed === undefined) return undefined;
  let { mantissa, exponent } = parsed;
  while (exponent < 0 && mantissa % 10n === 0n && mantissa !== 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  return Math.max(0, -exponent);
}

/** The decimal spec of a property's schema (looking through anyOf/oneOf), or undefined when it is not an exact decimal. */
export function decimalSpecOf(schema: JsonSchema): DecimalSpec | undefined {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches !== undefined && schema.type === undefined) {
    for (const branch of branches) {
      const spec = decimalSpecOf(branch);
      if (spec !== undefined) return spec;
    }
    return undefined;
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('string') && schema.format === 'singer.decimal') {
    const extra = schema.additionalProperties as { scale_precision?: unknown } | undefined;
    const declared = typeof extra?.scale_precision === 'string' ? /^\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(extra.scale_precision) : null;
    return declared ? { precision: Number(declared[1]), scale: Number(declared[2]) } : {};
  }
  if (types.includes('number') && typeof schema.multipleOf === 'number' && !Number.isInteger(schema.multipleOf)) {
    const scale = scaleOf(schema.multipleOf);
    return scale === undefined ? {} : { scale };
  }
  return undefined;
}

/**
 * DECIMAL(38, s) keeps every digit of a decimal with at most s places and 38 - s integer digits. A
 * declared precision beyond 38 (or a scale beyond it) cannot fit any DECIMAL: such columns are VARCHAR,
 * holding the exact text. A value that does not fit later widens the column to VARCHAR (see load).
 */
export function decimalType(spec: DecimalSpec | undefined): string {
  const scale = spec?.scale ?? DEFAULT_DECIMAL_SCALE;
  if ((spec?.precision ?? 0) > MAX_DECIMAL_DIGITS || scale > MAX_DECIMAL_DIGITS) return 'VARCHAR';
  return `DECIMAL(${MAX_DECIMAL_DIGITS},${scale})`;
}

/** The DuckDB type of a neutral column type; `spec` matters for decimals only. */
export function duckdbType(type: ColumnType, spec?: DecimalSpec): string {
  switch (type.kind) {
    case 'integer':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE';
    case 'decimal':
      return decimalType(spec);
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'date-time':
      return 'TIMESTAMPTZ';
    case 'json':
      return 'JSON';
    case 'string':
    case 'other':
      return type.native ?? 'VARCHAR';
  }
}

/** An existing column's type (as duckdb_columns() prints it) in neutral terms; `native` keeps the DuckDB name. */
export function neutralType(native: string): ColumnType {
  if (/^DECIMAL\(\d+,\d+\)$/.test(native)) return { kind: 'decimal', native };
  switch (native) {
    case 'BIGINT':
    case 'INTEGER':
    case 'SMALLINT':
    case 'TINYINT':
    case 'HUGEINT':
    case 'UBIGINT':
    case 'UINTEGER':
    case 'USMALLINT':
    case 'UTINYINT':
    case 'UHUGEINT':
      return { kind: 'integer', native };
    case 'DOUBLE':
    case 'FLOAT':
      return { kind: 'number', native };
    case 'VARCHAR':
      return { kind: 'string', native };
    case 'BOOLEAN':
      return { kind: 'boolean', native };
    case 'DATE':
      return { kind: 'date', native };
    case 'TIME':
    case 'TIME WITH TIME ZONE':
      return { kind: 'time', native };
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMP':
    case 'TIMESTAMP_NS':
    case 'TIMESTAMP_MS':
    case 'TIMESTAMP_S':
      return { kind: 'date-time', native };
    case 'JSON':
      return { kind: 'json', native };
    default:
      return { kind: 'other', native };
  }
}

/** `DECIMAL(p,s)` as [p, s], or undefined for any other type. */
export function decimalDigits(native: string | undefined): [number, number] | undefined {
  const match = native === undefined ? null : /^DECIMAL\((\d+),(\d+)\)$/.exec(native);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

const PLAIN_DECIMAL = /^[+-]?(\d*)(?:\.(\d*))?$/;

/**
 * True when a decimal value fits DECIMAL(p, s) without rounding: at most s places (trailing zeros do not
 * count) and p - s integer digits; a bigint (an integer beyond 2^53) by its digits. NaN, infinities and
 * anything unparsable do not fit.
 */
export function fitsDecimal(value: unknown, precision: number, scale: number): boolean {
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? String(value) : 'NaN') : typeof value === 'string' ? value : typeof value === 'bigint' ? value.toString() : '';
  let whole: string;
  let places: string;
  const plain = PLAIN_DECIMAL.exec(text);
  if (plain) {
    whole = (plain[1] ?? '').replace(/^0+/, '');
    places = (plain[2] ?? '').replace(/0+$/, '');
  } else {
    const parsed = parseDecimal(text);
    if (parsed === undefined) return false;
    const digits = (parsed.mantissa < 0n ? -parsed.mantissa : parsed.mantissa).toString();
    if (parsed.exponent >= 0) {
      whole = (digits + '0'.repeat(parsed.exponent)).replace(/^0+/, '');
      places = '';
    } else {
      const padded = digits.padStart(-parsed.exponent + 1, '0');
      whole = padded.slice(0, parsed.exponent).replace(/^0+/, '');
      places = padded.slice(parsed.exponent).replace(/0+$/, '');
    }
  }
  return places.length <= scale && whole.length <= precision - scale;
}

/** How an existing column's values convert when the column widens (`ALTER ... TYPE ... USING`). */
export function widenUsing(column: string, from: ColumnType, toType: string): string {
  if (toType === 'JSON') return `to_json(${column})`;
  if (toType === 'VARCHAR' && from.kind === 'number') {
    // As a tap would have sent the value: 3 rather than DuckDB's 3.0, NaN and Infinity as JSON taps spell them.
    return `CASE WHEN isnan(${column}) THEN 'NaN' WHEN isinf(${column}) THEN (CASE WHEN ${column} > 0 THEN 'Infinity' ELSE '-Infinity' END) WHEN ${column} = trunc(${column}) AND abs(${column}) < 1e18 THEN CAST(CAST(${column} AS BIGINT) AS VARCHAR) ELSE CAST(${column} AS VARCHAR) END`;
  }
  if (toType === 'VARCHAR' && from.kind === 'date-time') return `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%f+00:00')`;
  return `CAST(${column} AS ${toType})`;
}
