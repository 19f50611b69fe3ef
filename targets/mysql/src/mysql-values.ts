/**
 * Record values as the text MySQL stores, for LOAD DATA (tab-separated, `\N` for NULL, backslash escapes)
 * and for multi-row INSERTs (quoted literals). Hand-written rather than a CSV library: the format is a
 * handful of escapes, and building one string per chunk (not per field) keeps the target's CPU per row low.
 */
import { parseDecimal, stringifyExact } from '@tapline/protocol';
import { valueText, type PendingRecord } from '@tapline/target-base';
import type { ColumnKind, LoadColumn } from '@tapline/target-sql-base';
import { quoteLiteral } from '@tapline/mysql-client';
import { DECIMAL_INTEGER_DIGITS, DECIMAL_SCALE } from './mysql-types.js';

/** A value that cannot be stored as it is; the caller names stream, column and line. */
export class ValueRejected extends Error {}

const DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2})(?::?(\d{2}))?)?$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * A date-time as UTC wall-clock text for DATETIME(6): the offset is applied (a value without one is taken
 * as UTC already), with plain integer arithmetic so that years before 1900 and microseconds stay exact.
 * Text that is not a date-time goes as it is, and MySQL rejects it in strict mode.
 */
export function utcDatetime(text: string): string {
  // Fast path, what taps send most: `YYYY-MM-DDTHH:MM:SS[.ffffff]` in UTC (`Z` or `+00:00`), at most six
  // fraction digits. The wall clock is the text itself.
  const end = text.endsWith('Z') ? text.length - 1 : text.endsWith('+00:00') ? text.length - 6 : -1;
  if (end >= 19 && end <= 26 && text.charCodeAt(10) === 84 /* T */ && text.charCodeAt(4) === 45 && (end === 19 || text.charCodeAt(19) === 46)) {
    return `${text.slice(0, 10)} ${text.slice(11, end)}`;
  }
  const m = DATE_TIME.exec(text);
  if (m === null) return text;
  const [, year, month, day, hour, minute, second = '0', fraction = '', , sign, oh, om, os] = m;
  let micros = fraction.slice(0, 6).padEnd(6, '0');
  let extraSecond = 0;
  // More than six digits: round to the microsecond, as DATETIME(6) would.
  if (fraction.length > 6 && Number(fraction[6]) >= 5) {
    const rounded = Number(micros) + 1;
    if (rounded === 1_000_000) {
      micros = '000000';
      extraSecond = 1;
    } else micros = pad(rounded, 6);
  }
  const offsetSeconds = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os ?? 0));
  if (offsetSeconds === 0 && extraSecond === 0) {
    return `${year}-${month}-${day} ${hour}:${minute}:${pad(Number(second))}${micros === '000000' ? '' : `.${micros}`}`;
  }
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second) + extraSecond - offsetSeconds, 0);
  const y = date.getUTCFullYear();
  const yearText = y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
  return `${yearText}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${micros === '000000' ? '' : `.${micros}`}`;
}

/** Exact decimal text that DECIMAL(65,30) holds without rounding, or ValueRejected. */
/** Plain decimal text that DECIMAL(65,30) holds as it is: no exponent, at most 35 + 30 digits. */
const PLAIN_DECIMAL = /^-?\d{1,35}(?:\.\d{1,30})?$/;

export function decimalText(value: unknown): string {
  if (typeof value === 'string' && PLAIN_DECIMAL.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  // An integer beyond 2^53 arrives as a bigint: its digits, exactly.
  const decimal = typeof value === 'number' || typeof value === 'string' ? parseDecimal(value) : typeof value === 'bigint' ? parseDecimal(value.toString()) : undefined;
  if (decimal === undefined) throw new ValueRejected(`value ${stringifyExact(value)} is not a decimal number MySQL can store`);
  let { mantissa, exponent } = decimal;
  while (exponent < 0 && mantissa % 10n === 0n && mantissa !== 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  const negative = mantissa < 0n;
  let digits = (negative ? -mantissa : mantissa).toString();
  if (exponent > 0) digits += '0'.repeat(exponent);
  const scale = exponent < 0 ? -exponent : 0;
  if (scale > DECIMAL_SCALE) throw new ValueRejected(`value ${stringifyExact(value)} has ${scale} digits after the point; DECIMAL(65,30) keeps ${DECIMAL_SCALE}`);
  const whole = scale === 0 ? digits : digits.length > scale ? digits.slice(0, digits.length - scale) : '0';
  if (whole.replace(/^0+/, '').length > DECIMAL_INTEGER_DIGITS) {
    throw new ValueRejected(`value ${stringifyExact(value)} has more than ${DECIMAL_INTEGER_DIGITS} digits before the point, more than DECIMAL(65,30) holds`);
  }
  const fraction = scale === 0 ? '' : `.${digits.padStart(scale, '0').slice(-scale)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

type Render = (value: unknown) => string;

const text: Render = valueText;

function integer(value: unknown): string {
  // An integer beyond 2^53 arrives as a bigint (String gives every digit, and BIGINT's range is the
  // server's to check). A float that is integral, as 1e21, would print with an exponent: plain digits.
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : Number.isInteger(value) ? BigInt(value).toString() : String(value);
  return text(value);
}

/** Each kind's value as MySQL's text (unescaped). */
const RENDER: Record<ColumnKind, Render> = {
  integer,
  number: text,
  decimal: decimalText,
  boolean: (value) => (value === true ? '1' : value === false ? '0' : text(value)),
  string: text,
  date: text,
  time: text,
  'date-time': (value) => (typeof value === 'string' ? utcDatetime(value) : text(value)),
  other: text,
  // Any value is a JSON document, strings included; bigints anywhere inside keep every digit.
  json: (value) => stringifyExact(value),
};

/** Where a rejected value was: the row (1-based in the batch) and the column. */
export interface RejectedAt {
  row: number;
  column: string;
  message: string;
}

const NEEDS_ESCAPE = /[\\\n\r\t\0]/;
const ESCAPES = /[\\\n\r\t\0]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

export function escapeLoadData(value: string): string {
  return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPES, (char) => ESCAPED[char]!) : value;
}

/** Walk rows and fields, rendering each value; a value that cannot be stored throws with its row and column. */
function* renderRows(columns: LoadColumn[], rows: PendingRecord[], field: (text: string | null) => string, separator: string, rowEnd: (row: string) => string, chunkChars: number): Generator<{ chunk: string; rows: number }> {
  const properties = columns.map((column) => column.property);
  const reads = columns.map((column) => column.read);
  const renders = columns.map((column) => RENDER[column.type.kind]);
  const count = columns.length;
  let chunk = '';
  let inChunk = 0;
  for (let r = 0; r < rows.length; r += 1) {
    const pending = rows[r]!;
    const record = pending.record;
    let row = '';
    for (let i = 0; i < count; i += 1) {
      const property = properties[i];
      const value = property === undefined ? reads[i]!(pending) : record[property];
      let rendered: string | null;
      if (value === null || value === undefined) rendered = null;
      else {
        try {
          rendered = renders[i]!(value);
        } catch (error) {
          if (error instanceof ValueRejected) throw Object.assign(error, { rejectedAt: { row: r + 1, column: columns[i]!.name, message: error.message } });
          throw error;
        }
      }
      row += i === 0 ? field(rendered) : separator + field(rendered);
    }
    chunk += rowEnd(row);
    inChunk += 1;
    if (chunk.length >= chunkChars) {
      yield { chunk, rows: inChunk };
      chunk = '';
      inChunk = 0;
    }
  }
  if (chunk !== '') yield { chunk, rows: inChunk };
}

/** LOAD DATA text: tab between fields, newline after each row, `\N` for NULL. Chunks stay well under a 16 MB packet. */
export function* loadDataChunks(columns: LoadColumn[], rows: PendingRecord[]): Generator<string> {
  for (const { chunk } of renderRows(columns, rows, (value) => (value === null ? '\\N' : escapeLoadData(value)), '\t', (row) => `${row}\n`, 1 << 18)) yield chunk;
}

/** Multi-row INSERT value lists `(a,b),(c,d)` of about `maxChars` each, with how many rows each holds. */
export function* insertValueLists(columns: LoadColumn[], rows: PendingRecord[], maxChars: number): Generator<{ chunk: string; rows: number }> {
  for (const part of renderRows(columns, rows, (value) => (value === null ? 'NULL' : quoteLiteral(value)), ',', (row) => `,(${row})`, maxChars)) {
    yield { chunk: part.chunk.slice(1), rows: part.rows };
  }
}
