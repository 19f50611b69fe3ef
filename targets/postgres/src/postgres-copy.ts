/**
 * Values in COPY text format. Hand-written rather than a CSV library: the format is four escapes and
 * `\N`. A scanned value is copied straight from the line's bytes when its JSON text already is its COPY
 * text (most are); anything else is decoded and encoded here (see README, "Performance").
 */
import { stringifyExact } from '@tapline/protocol';
import { valueText } from '@tapline/target-base';
import type { ColumnKind } from '@tapline/target-sql-base';

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES = /[\\\n\r\t]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text made safe for one COPY text field: backslash, newline, carriage return and tab escaped. */
export function escapeCopyText(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPES, (char) => ESCAPED[char]!) : text;
}

export type Encoder = (value: unknown) => string;

function asText(value: unknown): string {
  return escapeCopyText(valueText(value));
}

function asInteger(value: unknown): string {
  // An integral float written `1e21` or `1.0`: String() would print 1e+21, which bigint would not take.
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
  return asText(value);
}

/** The COPY text of a decoded value (not null) for a column of each kind. */
export const ENCODERS: Record<ColumnKind, Encoder> = {
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
  json: (value) => escapeCopyText(stringifyExact(value)),
};

export const TAB = 9;
export const NEWLINE = 10;
export const BACKSLASH = 92;
const QUOTE = 34;
const MINUS = 45;

/** How a scanned value of a column is copied: the column's kind, reduced to what the copy tells apart. */
export type CopyMode = number;
const TEXT: CopyMode = 0;
const INTEGER: CopyMode = 1;
const NUMBER: CopyMode = 2;
const BOOLEAN: CopyMode = 3;
const JSON_DOCUMENT: CopyMode = 4;

export function copyModeOf(kind: ColumnKind): CopyMode {
  switch (kind) {
    case 'integer':
      return INTEGER;
    case 'number':
      return NUMBER;
    case 'boolean':
      return BOOLEAN;
    case 'json':
      return JSON_DOCUMENT;
    default:
      return TEXT;
  }
}

/** A DataView over a buffer's bytes, to move them four at a time. */
export function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
}

/**
 * Bytes [start, end) of `source` (`from` is its view) into `target` (`to`) at `at`; the new end. Values are
 * short: four bytes at a time beats a native call (and a loop of single bytes) below a few hundred bytes.
 */
export function copyBytes(source: Buffer, from: DataView, start: number, end: number, target: Buffer, to: DataView, at: number): number {
  if (end - start >= 256) return at + source.copy(target, at, start, end);
  let i = start;
  let j = at;
  for (; i + 4 <= end; i += 4, j += 4) to.setUint32(j, from.getUint32(i));
  for (; i < end; i += 1) target[j++] = source[i] as number;
  return j;
}

/** Whether one of the four bytes of `word` is zero. */
function hasZeroByte(word: number): boolean {
  return ((word - 0x01010101) & ~word & 0x80808080) !== 0;
}

/** Whether one of the four bytes of `word` needs a COPY escape (backslash, tab, CR) or is not ASCII. */
function needsLook(word: number): boolean {
  return (((word & 0x7f7f7f7f) + 0x01010101) | word) & 0x80808080 ? true : hasZeroByte(word ^ 0x5c5c5c5c) || hasZeroByte(word ^ 0x09090909) || hasZeroByte(word ^ 0x0d0d0d0d);
}

/**
 * An integer written with at most 15 digits: exactly the number a decode would give. Longer ones are
 * decoded (exactly: a bigint beyond 2^53) and written from the value, as on the slow path. The codec has
 * proven it a JSON number.
 */
function isPlainInteger(bytes: Buffer, start: number, end: number): boolean {
  let i = start;
  if (bytes[i] === MINUS) i += 1;
  if (i === end || end - i > 15) return false;
  for (; i < end; i += 1) {
    const code = bytes[i] as number;
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/**
 * An object or array (already proven valid JSON by the codec) into a json/jsonb column as the tap wrote it,
 * with COPY's escapes: PostgreSQL parses it itself. Numbers keep the tap's digits (`1.50`, integers beyond
 * 2^53), which a decode and re-encode would round. Non-ASCII text is decoded instead (-1), so that
 * invalid UTF-8 is replaced exactly as for any other value.
 */
function copyJsonDocument(bytes: Buffer, from: DataView, start: number, end: number, target: Buffer, view: DataView, at: number): number {
  let to = at;
  for (let i = start; i < end; i += 1) {
    // Four plain bytes (the usual case) go as they are.
    if (i + 4 <= end) {
      const word = from.getUint32(i);
      if (!needsLook(word)) {
        view.setUint32(to, word);
        to += 4;
        i += 3;
        continue;
      }
    }
    const code = bytes[i] as number;
    if (code > 126) return -1;
    if (code === BACKSLASH) {
      target[to++] = BACKSLASH;
      target[to++] = BACKSLASH;
    } else if (code === TAB) {
      target[to++] = BACKSLASH;
      target[to++] = 116; // t
    } else if (code === 13) {
      target[to++] = BACKSLASH;
      target[to++] = 114; // r
    } else {
      target[to++] = code;
    }
  }
  return to;
}

/**
 * The COPY text of the scanned value at [start, end) of `bytes` (checked by the record codec: strings are
 * printable ASCII without escapes, numbers are JSON numbers), written into `target` at `at` when its text
 * already is its COPY text; returns the new end, or -1 when it must be decoded and encoded instead.
 * `target` has room for twice the value's length; `from` and `to` are views of `bytes` and `target`.
 */
export function copyScanned(mode: CopyMode, bytes: Buffer, from: DataView, start: number, end: number, target: Buffer, to: DataView, at: number): number {
  const first = bytes[start] as number;
  if (first === 110 /* null */) {
    target[at] = BACKSLASH;
    target[at + 1] = 78; // N
    return at + 2;
  }
  if (first === QUOTE) {
    // A JSON document keeps its quotes; any other column takes the text inside them.
    if (mode === JSON_DOCUMENT) return copyBytes(bytes, from, start, end, target, to, at);
    if (mode === INTEGER || mode === BOOLEAN) return -1;
    return copyBytes(bytes, from, start + 1, end - 1, target, to, at);
  }
  if (first === 116 /* true */ || first === 102 /* false */) {
    if (mode !== BOOLEAN) return -1;
    target[at] = first;
    return at + 1;
  }
  if (first === 123 /* { */ || first === 91 /* [ */) return mode === JSON_DOCUMENT ? copyJsonDocument(bytes, from, start, end, target, to, at) : -1;
  if (first !== MINUS && (first < 48 || first > 57)) return -1;
  // Floats go as written: PostgreSQL reads them back to the same double JavaScript would. Integers go as
  // written when they are short digits; anything else is printed as JavaScript would.
  if (mode === NUMBER) return copyBytes(bytes, from, start, end, target, to, at);
  if ((mode === INTEGER || mode === JSON_DOCUMENT) && isPlainInteger(bytes, start, end)) return copyBytes(bytes, from, start, end, target, to, at);
  return -1;
}
