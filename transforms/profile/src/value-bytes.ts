/**
 * Values of a RECORD read straight from the line's bytes, giving exactly what the value decoded by
 * JSON.parse would give to the column accumulator, without making a string per value: a JSON number's
 * value, the number a plain string reads as with `Number()`, and whether an object or array is already
 * the text `JSON.stringify` would give for it (then its bytes are hashed as they are). Each function
 * answers only what it can prove and says so; the caller decodes the value for everything else.
 *
 * The spans come from the protocol's RecordCodec, which has checked that the line is valid JSON and that
 * every top-level string is printable ASCII without escapes.
 */
import { plainStringEnd } from '@tapline/protocol';
import { decimalAt, decimalValue, exponentEnd, lastExponent, startsWith } from '@tapline/transform-base';

const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

/** Returned when the bytes alone cannot give the answer; the caller decodes the value instead. */
export const UNDECIDED = Symbol('undecided');

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= ZERO && code <= NINE;
}

/**
 * One past the JSON number at `index` (`-? (0 | [1-9] digits) (. digits)? ([eE] [+-]? digits)?`), its value
 * (as JSON.parse gives it) written to `values[slot]`; or -1 when no JSON number starts there. decimalAt's
 * reading, done while the grammar is checked: one pass over the digits.
 */
export function jsonNumberEnd(bytes: Buffer, index: number, end: number, values: Float64Array, slot: number): number {
  let i = index;
  const negative = bytes[i] === MINUS;
  if (negative) i += 1;
  if (i >= end) return -1;
  let mantissa = 0;
  const lead = bytes[i] as number;
  if (lead === ZERO) {
    i += 1;
    if (i < end && isDigit(bytes[i])) return -1; // a leading zero
  } else if (lead > ZERO && lead <= NINE) {
    for (; i < end; i += 1) {
      const digit = (bytes[i] as number) - ZERO;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
    }
  } else {
    return -1;
  }
  let scale = 0;
  if (i < end && bytes[i] === DOT) {
    i += 1;
    const first = i;
    for (; i < end; i += 1, scale -= 1) {
      const digit = (bytes[i] as number) - ZERO;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
    }
    if (i === first) return -1;
  }
  if (i < end && (bytes[i] === 101 || bytes[i] === 69) /* e E */) {
    i = exponentEnd(bytes, i + 1, end);
    if (i < 0) return -1;
    scale += lastExponent();
  }
  values[slot] = decimalValue(mantissa, scale, negative, bytes, index, i);
  return i;
}

/** The value of the JSON number at [start, end), as JSON.parse gives it (-0 included). */
export function jsonNumberAt(bytes: Buffer, start: number, end: number): number {
  return decimalAt(bytes, start, end);
}

/**
 * `Number(text)` for the plain string text at [start, end) that neither starts nor ends with a blank
 * (NaN for `Infinity` written out: only finite values count), or UNDECIDED for the forms read otherwise
 * (`0x1f`, `0o7`, `0b1`).
 */
export function numberOfText(bytes: Buffer, start: number, end: number): number | typeof UNDECIDED {
  const value = decimalAt(bytes, start, end);
  if (value === value) return value;
  if (end - start > 2 && bytes[start] === ZERO) {
    const radix = (bytes[start + 1] as number) | 32; // lower case
    if (radix === 120 /* x */ || radix === 111 /* o */ || radix === 98 /* b */) return UNDECIDED;
  }
  return Number.NaN;
}

/** An integer JSON.stringify writes back digit for digit: no leading zero, no `-0`, at most 15 digits. */
function canonicalIntegerEnd(bytes: Buffer, index: number, end: number): number {
  let i = index;
  if (bytes[i] === MINUS) i += 1;
  const first = i;
  while (i < end && isDigit(bytes[i])) i += 1;
  const digits = i - first;
  if (digits === 0 || digits > 15) return -1;
  if (bytes[first] === ZERO && (digits > 1 || first > index)) return -1;
  return i;
}

const LITERAL_TRUE = Buffer.from('true');
const LITERAL_FALSE = Buffer.from('false');
const LITERAL_NULL = Buffer.from('null');

function literalEnd(bytes: Buffer, index: number, end: number, literal: Buffer): number {
  return index + literal.length <= end && startsWith(bytes, index, literal) ? index + literal.length : -1;
}

/** Keys JSON.parse would move ahead of the others (array indexes), conservatively: any all-digit key. */
function isDigitsOnly(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i += 1) if (!isDigit(bytes[i])) return false;
  return true;
}

const MAX_DEPTH = 32;
/** Objects with more keys are not checked for duplicates pairwise; they are decoded instead. */
const MAX_KEYS = 32;

/** The keys of the objects being checked, as start and end pairs (one array for all, so no garbage per object). */
const keySpans: number[] = [];

/** After an object's `{`: one past its `}` when every member is canonical and no key repeats, else -1. */
function canonicalObjectEnd(bytes: Buffer, index: number, end: number, depth: number): number {
  const base = keySpans.length;
  const result = canonicalMembersEnd(bytes, index + 1, end, depth, base);
  keySpans.length = base;
  return result;
}

function canonicalMembersEnd(bytes: Buffer, index: number, end: number, depth: number, base: number): number {
  let i = index;
  if (bytes[i] === CLOSE_BRACE) return i + 1;
  for (;;) {
    if (bytes[i] !== QUOTE) return -1;
    const keyEnd = plainStringEnd(bytes, i, end);
    if (keyEnd < 0 || isDigitsOnly(bytes, i + 1, keyEnd - 1)) return -1;
    // A repeated key keeps its first place but its last value in JSON.parse: not the text as written.
    const length = keyEnd - i;
    for (let k = base; k < keySpans.length; k += 2) {
      const start = keySpans[k] as number;
      if ((keySpans[k + 1] as number) - start === length && bytes.compare(bytes, start, start + length, i, keyEnd) === 0) return -1;
    }
    if (keySpans.length - base === 2 * MAX_KEYS) return -1;
    keySpans.push(i, keyEnd);
    if (bytes[keyEnd] !== COLON) return -1;
    i = canonicalValueEnd(bytes, keyEnd + 1, end, depth);
    if (i < 0) return -1;
    if (bytes[i] === CLOSE_BRACE) return i + 1;
    if (bytes[i] !== COMMA) return -1;
    i += 1;
  }
}

function canonicalArrayEnd(bytes: Buffer, index: number, end: number, depth: number): number {
  let i = index + 1;
  if (bytes[i] === CLOSE_BRACKET) return i + 1;
  for (;;) {
    i = canonicalValueEnd(bytes, i, end, depth);
    if (i < 0) return -1;
    if (bytes[i] === CLOSE_BRACKET) return i + 1;
    if (bytes[i] !== COMMA) return -1;
    i += 1;
  }
}

/** One past the value at `index` when JSON.stringify(JSON.parse(value)) is the same text, else -1. */
function canonicalValueEnd(bytes: Buffer, index: number, end: number, depth: number): number {
  if (index >= end || depth > MAX_DEPTH) return -1;
  switch (bytes[index]) {
    case QUOTE:
      return plainStringEnd(bytes, index, end);
    case OPEN_BRACE:
      return canonicalObjectEnd(bytes, index, end, depth + 1);
    case OPEN_BRACKET:
      return canonicalArrayEnd(bytes, index, end, depth + 1);
    case 116 /* t */:
      return literalEnd(bytes, index, end, LITERAL_TRUE);
    case 102 /* f */:
      return literalEnd(bytes, index, end, LITERAL_FALSE);
    case 110 /* n */:
      return literalEnd(bytes, index, end, LITERAL_NULL);
    default:
      return canonicalIntegerEnd(bytes, index, end);
  }
}

/**
 * Whether the object or array at [start, end) is written exactly as JSON.stringify would write its
 * decoded value: no blanks, printable ASCII strings without escapes, small integers, no repeated or
 * all-digit keys (JSON.parse orders those first). Other values may be canonical too; they are decoded.
 */
export function isCanonicalJson(bytes: Buffer, start: number, end: number): boolean {
  return canonicalValueEnd(bytes, start, end, 0) === end;
}
