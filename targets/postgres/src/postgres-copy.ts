/**
 * Rows in COPY text format, built in large string chunks. Hand-written rather than a CSV library: the
 * format is four escapes and `\N`, and building one string per chunk (not per field or per row) is what
 * keeps the target's CPU per row low (see README, "Performance").
 */
import type { ColumnKind, LoadColumn } from '@tapline/target-sql-base';
import type { PendingRecord } from '@tapline/target-base';

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES = /[\\\n\r\t]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text made safe for one COPY text field: backslash, newline, carriage return and tab escaped. */
export function escapeCopyText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPES, (char) => ESCAPED[char]!) : text;
}

type Encoder = (value: unknown) => string;

function asText(value: unknown): string {
  if (typeof value === 'string') return escapeCopyText(value);
  if (typeof value === 'object') return escapeCopyText(JSON.stringify(value));
  return String(value);
}

function asInteger(value: unknown): string {
  // A JSON integer beyond 2^53 arrives as an integral float: String() would print 1e+21, bigint would not take it.
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  return asText(value);
}

const ENCODERS: Record<ColumnKind, Encoder> = {
  integer: asInteger,
  // Decimals stay the text the tap sent (singer.decimal strings); numbers print their shortest exact form.
  number: asText,
  decimal: asText,
  boolean: (value) => (value === true ? 't' : value === false ? 'f' : asText(value)),
  string: asText,
  date: asText,
  time: asText,
  'date-time': asText,
  other: asText,
  // Any value is a JSON document, strings included, whatever the column held before it became jsonb.
  json: (value) => escapeCopyText(JSON.stringify(value)),
};

const CHUNK_CHARS = 1 << 18;

/** The COPY text of `rows`, in chunks of about 256 KiB. */
export function* copyTextChunks(columns: LoadColumn[], rows: PendingRecord[]): Generator<string> {
  const reads = columns.map((column) => column.read);
  // Property columns are read straight from the record, without a call per field.
  const properties = columns.map((column) => column.property);
  const encoders = columns.map((column) => ENCODERS[column.type.kind]);
  const count = columns.length;
  let chunk = '';
  for (const row of rows) {
    const record = row.record;
    for (let i = 0; i < count; i += 1) {
      const property = properties[i];
      const value = property === undefined ? reads[i]!(row) : record[property];
      chunk += value === null || value === undefined ? '\\N' : encoders[i]!(value);
      chunk += i === count - 1 ? '\n' : '\t';
    }
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
