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

const CHUNK_BYTES = 1 << 18;

/** Bytes of COPY text, in fresh buffers of about 256 KiB (a buffer handed to the stream is never reused). */
class ChunkWriter {
  buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  used = 0;
  readonly full: Buffer[] = [];

  /** Make room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    this.finish();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  finish(): void {
    if (this.used > 0) this.full.push(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }

  text(value: string): void {
    this.reserve(value.length * 3);
    this.used += this.buffer.write(value, this.used, 'utf8');
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.used++] = value;
  }

  /** Bytes [start, end) of `source`, copied as they are. */
  copy(source: Buffer, start: number, end: number): void {
    const length = end - start;
    this.reserve(length);
    const target = this.buffer;
    let at = this.used;
    // Values are short: a loop beats the native call of Buffer.copy below a few dozen bytes.
    if (length < 48) {
      for (let i = start; i < end; i += 1) target[at++] = source[i] as number;
    } else {
      at += source.copy(target, at, start, end);
    }
    this.used = at;
  }
}

const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;
const QUOTE = 34;

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 48 && code <= 57;
}

/**
 * An integer written with at most 15 digits: exactly the number a decode would give. Longer ones are
 * decoded like every other target does (rounded to a double, see the README's known limits), so that a
 * value never depends on whether its line took the fast path.
 */
function isPlainInteger(bytes: Buffer, start: number, end: number): boolean {
  let i = start;
  if (bytes[i] === 45) i += 1;
  if (i === end || end - i > 15) return false;
  for (; i < end; i += 1) if (!isDigit(bytes[i])) return false;
  return true;
}

/**
 * A scanned value (its bytes checked by the record codec: strings are plain ASCII without escapes,
 * numbers are JSON numbers) written without decoding when its text already is the COPY text; false
 * when it must be decoded and encoded like any other value.
 */
function copyScanned(out: ChunkWriter, kind: ColumnKind, bytes: Buffer, start: number, end: number): boolean {
  const first = bytes[start] as number;
  if (first === 110 /* null */) {
    out.byte(BACKSLASH);
    out.byte(78 /* N */);
    return true;
  }
  if (first === QUOTE) {
    // A JSON document keeps its quotes; any other column takes the text inside them.
    if (kind === 'json') out.copy(bytes, start, end);
    else if (kind === 'integer' || kind === 'boolean') return false;
    else out.copy(bytes, start + 1, end - 1);
    return true;
  }
  if (first === 116 /* true */ || first === 102 /* false */) {
    if (kind !== 'boolean') return false;
    out.byte(first);
    return true;
  }
  if ((first === 123 /* { */ || first === 91 /* [ */) && kind === 'json') return copyJsonDocument(out, bytes, start, end);
  if (first === 45 || isDigit(first)) {
    // Floats go as written: PostgreSQL reads them back to the same double JavaScript would. Integers go as
    // written when they are short digits; anything else is printed as JavaScript would.
    if (kind === 'number' || (kind === 'integer' || kind === 'json' ? isPlainInteger(bytes, start, end) : false)) {
      out.copy(bytes, start, end);
      return true;
    }
    return false;
  }
  return false;
}

/**
 * An object or array (already proven valid JSON by the codec) into a json/jsonb column as the tap wrote it,
 * with COPY's escapes: PostgreSQL parses it itself. Numbers keep the tap's digits (`1.50`, integers beyond
 * 2^53), which a decode and re-encode would round. Non-ASCII text is decoded instead (false), so that
 * invalid UTF-8 is replaced exactly as for any other value.
 */
function copyJsonDocument(out: ChunkWriter, bytes: Buffer, start: number, end: number): boolean {
  let escapes = 0;
  for (let i = start; i < end; i += 1) {
    const code = bytes[i] as number;
    if (code > 126) return false;
    if (code === BACKSLASH || code === TAB || code === 13) escapes += 1;
  }
  if (escapes === 0) {
    out.copy(bytes, start, end);
    return true;
  }
  out.reserve(end - start + escapes);
  for (let i = start; i < end; i += 1) {
    const code = bytes[i] as number;
    if (code === BACKSLASH) {
      out.byte(BACKSLASH);
      out.byte(BACKSLASH);
    } else if (code === TAB) {
      out.byte(BACKSLASH);
      out.byte(116 /* t */);
    } else if (code === 13) {
      out.byte(BACKSLASH);
      out.byte(114 /* r */);
    } else {
      out.byte(code);
    }
  }
  return true;
}

/**
 * The COPY text of `rows` as buffers of about 256 KiB. Scanned records (see target-base) are copied from
 * their bytes value by value; others are encoded from their objects.
 */
export function* copyChunks(columns: LoadColumn[], rows: PendingRecord[]): Generator<Buffer> {
  const reads = columns.map((column) => column.read);
  const properties = columns.map((column) => column.property);
  const kinds = columns.map((column) => column.type.kind);
  const encoders = kinds.map((kind) => ENCODERS[kind]);
  const count = columns.length;
  const out = new ChunkWriter();
  const lastValues: unknown[] = new Array(count);
  const lastBytes: (Buffer | undefined)[] = new Array(count);
  // Where each column's property is in the scanned records' spans, for the codec they were scanned with.
  let codec: PendingRecord['codec'];
  let indexes: number[] = [];
  for (const row of rows) {
    const scanned = row.scanned;
    if (scanned !== undefined && row.codec !== codec) {
      codec = row.codec;
      indexes = properties.map((property) => (property === undefined || codec === undefined ? -1 : codec.properties.indexOf(property)));
    }
    for (let i = 0; i < count; i += 1) {
      const property = properties[i];
      if (scanned !== undefined && property !== undefined) {
        const index = indexes[i] as number;
        const at = scanned.base + 2 * index;
        const start = index < 0 ? -1 : (scanned.spans[at] as number);
        if (start < 0) {
          out.byte(BACKSLASH);
          out.byte(78);
        } else if (!copyScanned(out, kinds[i] as ColumnKind, scanned.bytes, start, scanned.spans[at + 1] as number)) {
          const value = reads[i]!(row);
          out.text(value === null || value === undefined ? '\\N' : encoders[i]!(value));
        }
      } else if (property === undefined) {
        // Metadata columns repeat their value row after row (the version, the batch time): encode once.
        const value = reads[i]!(row);
        let bytes = lastBytes[i];
        if (value !== lastValues[i] || bytes === undefined) {
          lastValues[i] = value;
          bytes = Buffer.from(value === null || value === undefined ? '\\N' : encoders[i]!(value));
          lastBytes[i] = bytes;
        }
        out.copy(bytes, 0, bytes.length);
      } else {
        const value = scanned !== undefined ? reads[i]!(row) : row.record[property];
        out.text(value === null || value === undefined ? '\\N' : encoders[i]!(value));
      }
      out.byte(i === count - 1 ? NEWLINE : TAB);
    }
    if (out.full.length > 0) {
      yield* out.full;
      out.full.length = 0;
    }
  }
  out.finish();
  yield* out.full;
}

/** The COPY text of `rows` as one string, for tests. */
export function copyText(columns: LoadColumn[], rows: PendingRecord[]): string {
  return Buffer.concat([...copyChunks(columns, rows)]).toString('utf8');
}
