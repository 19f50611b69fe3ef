/**
 * A fast path for RECORD lines, on bytes: find where each property's value lies in the line, and prove
 * from those bytes alone that the line is well-formed JSON and that the record matches its SCHEMA. A
 * target can then copy values into its load format without building an object per record. Measured on
 * 1M orders lines (~380 bytes): JSON.parse alone ~2.7 µs a line, ajv and the garbage of the object on
 * top; locating and checking the values here ~1 µs (see targets/postgres/README.md, "Performance").
 *
 * It proves only what it can: a line in an unusual shape (escaped keys, a member the schema does not
 * declare, a string with escapes or non-ASCII text, an integer written `1.0`, a schema keyword it does not
 * know) is not scanned, and the caller parses and validates that line in full, which also produces the
 * usual error for a bad one. So the fast path never accepts what the slow path would reject, and
 * never rejects anything itself.
 */
import { integerLiteral, parseExact } from './exact-json.js';
import { SINGER_FORMATS, validDay } from './formats.js';
import type { JsonSchema } from './json-schema.js';

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;
const MINUS = 45;

/** One RECORD line whose values were located and checked. */
export interface ScannedRecord {
  /** The buffer the line is in (indexes below are positions in it). */
  bytes: Buffer;
  /** The values' positions: property i's value starts at spans[base + 2i] and ends at spans[base + 2i + 1]; -1 when absent. */
  spans: Int32Array;
  base: number;
  version: number | undefined;
  timeExtracted: string | undefined;
}

interface StringRule {
  min: number;
  max: number;
  format: ((value: string) => boolean) | undefined;
  /** The same check on the bytes between the quotes: true, false, or undefined when only `format` can tell. */
  formatBytes: ((bytes: Buffer, start: number, end: number) => boolean | undefined) | undefined;
  values: Set<string> | undefined;
}

interface NumberRule {
  integer: boolean;
  min: number;
  max: number;
}

/** What one property accepts, by JSON type; `undefined` rules mean the type is not accepted at all. */
interface PropertyRule {
  nulls: boolean;
  booleans: boolean;
  objects: boolean;
  arrays: boolean;
  strings: StringRule[];
  numbers: NumberRule[];
}

/** Keywords that never constrain a value (annotations, and Singer's catalog keys). */
const ANNOTATIONS = new Set([
  'title', 'description', 'default', 'examples', '$comment', 'readOnly', 'writeOnly', 'deprecated',
  'contentEncoding', 'contentMediaType', 'inclusion', 'selected', 'selected-by-default', 'sql-datatype',
  '$id', '$schema',
]);
const UNCHECKED = Symbol('unchecked');

/**
 * The rule of one property schema, or UNCHECKED when it uses anything this module cannot prove (then the
 * stream is read the slow way). `additionalProperties` is ignored because an undeclared member is never
 * scanned, and only top-level members are ever looked at (object and array values go through JSON.parse).
 */
function ruleOf(schema: JsonSchema | boolean | undefined): PropertyRule | typeof UNCHECKED {
  if (schema === true || schema === undefined) return everything();
  if (schema === false || typeof schema !== 'object' || schema === null) return UNCHECKED;
  const s = schema as Record<string, unknown>;
  let types: Set<string> | undefined;
  for (const key of Object.keys(s)) {
    if (ANNOTATIONS.has(key)) continue;
    if (!['type', 'anyOf', 'format', 'maxLength', 'minLength', 'minimum', 'maximum', 'enum', 'properties', 'items'].includes(key)) return UNCHECKED;
  }
  if (s.type !== undefined) {
    const list = Array.isArray(s.type) ? s.type : [s.type];
    if (!list.every((t) => typeof t === 'string')) return UNCHECKED;
    types = new Set(list as string[]);
  }
  // Nested constraints on objects and arrays are ajv's job: only a schema that leaves them open is fast.
  if (s.properties !== undefined && !(isEmptyObject(s.properties))) return UNCHECKED;
  if (s.items !== undefined && !(s.items === true || isEmptyObject(s.items))) return UNCHECKED;
  const bound = (name: string, fallback: number): number | typeof UNCHECKED => {
    const value = s[name];
    if (value === undefined) return fallback;
    return typeof value === 'number' ? value : UNCHECKED;
  };
  const minLength = bound('minLength', 0);
  const maxLength = bound('maxLength', Infinity);
  const minimum = bound('minimum', -Infinity);
  const maximum = bound('maximum', Infinity);
  if (minLength === UNCHECKED || maxLength === UNCHECKED || minimum === UNCHECKED || maximum === UNCHECKED) return UNCHECKED;
  let format: ((value: string) => boolean) | undefined;
  let formatBytes: StringRule['formatBytes'];
  if (s.format !== undefined) {
    if (typeof s.format !== 'string') return UNCHECKED;
    // Formats other than Singer's are annotations for our validator (see validation.ts).
    format = SINGER_FORMATS[s.format];
    formatBytes = format === undefined ? undefined : BYTE_FORMATS[s.format];
  }
  let values: Set<string> | undefined;
  if (s.enum !== undefined) {
    // Only an enum of strings (how taps carry NaN, enums): other values would need deep equality.
    if (!Array.isArray(s.enum) || !s.enum.every((v) => typeof v === 'string')) return UNCHECKED;
    values = new Set(s.enum as string[]);
  }
  const accepts = (type: string) => types === undefined || types.has(type);
  const own: PropertyRule = {
    nulls: accepts('null') && values === undefined,
    booleans: accepts('boolean') && values === undefined,
    objects: accepts('object') && values === undefined,
    arrays: accepts('array') && values === undefined,
    strings: accepts('string') ? [{ min: minLength, max: maxLength, format, formatBytes, values }] : [],
    numbers:
      values !== undefined
        ? []
        : accepts('number')
          ? [{ integer: false, min: minimum, max: maximum }]
          : accepts('integer')
            ? [{ integer: true, min: minimum, max: maximum }]
            : [],
  };
  if (s.anyOf === undefined) return own;
  if (!Array.isArray(s.anyOf) || s.anyOf.length === 0) return UNCHECKED;
  // Sibling keywords and anyOf must both hold: only the plain form (anyOf alone) is supported.
  if (types !== undefined || format !== undefined || values !== undefined || s.minLength !== undefined || s.maxLength !== undefined ||
    s.minimum !== undefined || s.maximum !== undefined) return UNCHECKED;
  const union: PropertyRule = { nulls: false, booleans: false, objects: false, arrays: false, strings: [], numbers: [] };
  for (const branch of s.anyOf as unknown[]) {
    const rule = ruleOf(branch as JsonSchema);
    if (rule === UNCHECKED) return UNCHECKED;
    union.nulls ||= rule.nulls;
    union.booleans ||= rule.booleans;
    union.objects ||= rule.objects;
    union.arrays ||= rule.arrays;
    union.strings.push(...rule.strings);
    union.numbers.push(...rule.numbers);
  }
  return union;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function everything(): PropertyRule {
  return {
    nulls: true,
    booleans: true,
    objects: true,
    arrays: true,
    strings: [{ min: 0, max: Infinity, format: undefined, formatBytes: undefined, values: undefined }],
    numbers: [{ integer: false, min: -Infinity, max: Infinity }],
  };
}

/** Two decimal digits at `i` as a number, or -1. */
function twoDigits(bytes: Buffer, i: number): number {
  const a = (bytes[i] as number) - 48;
  const b = (bytes[i + 1] as number) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** `YYYY-MM-DD` at `i`, a day that exists. */
function dateAt(bytes: Buffer, i: number): boolean {
  const century = twoDigits(bytes, i);
  const yy = twoDigits(bytes, i + 2);
  const month = twoDigits(bytes, i + 5);
  const day = twoDigits(bytes, i + 8);
  if (century < 0 || yy < 0 || month < 0 || day < 0 || bytes[i + 4] !== MINUS || bytes[i + 7] !== MINUS) return false;
  return validDay(century * 100 + yy, month, day);
}

/**
 * The usual shapes, decided on bytes: `YYYY-MM-DD` for a date, and `YYYY-MM-DDTHH:MM:SS[.fraction]` with
 * `Z` or `+HH:MM` for a date-time. Anything else (a space instead of T, no seconds, no zone...) is left
 * to the full check in formats.ts (undefined), so the two can never disagree.
 */
const BYTE_FORMATS: Record<string, (bytes: Buffer, start: number, end: number) => boolean | undefined> = {
  date: (bytes, start, end) => (end - start === 10 ? dateAt(bytes, start) : undefined),
  'date-time': (bytes, start, end) => {
    if (end - start < 20 || bytes[start + 10] !== 84 /* T */ || bytes[start + 13] !== COLON || bytes[start + 16] !== COLON) return undefined;
    const hour = twoDigits(bytes, start + 11);
    const minute = twoDigits(bytes, start + 14);
    const second = twoDigits(bytes, start + 17);
    if (hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 59) return undefined;
    let i = start + 19;
    if (bytes[i] === 46 /* . */) {
      const first = i + 1;
      i = first;
      while (i < end && isDigit(bytes[i])) i += 1;
      if (i === first || i - first > 12) return undefined;
    }
    if (i === end - 1) {
      if (bytes[i] !== 90 /* Z */) return undefined;
    } else if (i === end - 6) {
      const sign = bytes[i];
      const offsetHours = twoDigits(bytes, i + 1);
      const offsetMinutes = twoDigits(bytes, i + 4);
      if ((sign !== 43 && sign !== MINUS) || bytes[i + 3] !== COLON || offsetHours < 0 || offsetHours > 18 || offsetMinutes < 0 || offsetMinutes > 59) return undefined;
    } else {
      return undefined;
    }
    return dateAt(bytes, start) ? true : undefined;
  },
  'singer.decimal': (bytes, start, end) => {
    // [+-]? (digits [. digits*]? | . digits) ([eE] [+-]? digits)?  (NaN and the infinities: formats.ts)
    let i = start;
    if (bytes[i] === 43 || bytes[i] === MINUS) i += 1;
    const intStart = i;
    while (i < end && isDigit(bytes[i])) i += 1;
    let digits = i - intStart;
    if (bytes[i] === 46 /* . */) {
      i += 1;
      const fracStart = i;
      while (i < end && isDigit(bytes[i])) i += 1;
      digits += i - fracStart;
    }
    if (digits === 0) return undefined;
    if (i < end && (bytes[i] === 101 || bytes[i] === 69)) {
      i += 1;
      if (bytes[i] === 43 || bytes[i] === MINUS) i += 1;
      const expStart = i;
      while (i < end && isDigit(bytes[i])) i += 1;
      if (i === expStart) return undefined;
    }
    return i === end ? true : undefined;
  },
};

function skipSpaces(bytes: Buffer, index: number, end: number): number {
  let i = index;
  while (i < end) {
    const code = bytes[i] as number;
    if (code !== 32 && code !== 9 && code !== 13) break;
    i += 1;
  }
  return i;
}

/** Whether the bytes at `index` are exactly `token` (ASCII). */
function startsWith(bytes: Buffer, index: number, token: Uint8Array): boolean {
  if (index + token.length > bytes.length) return false;
  for (let k = 0; k < token.length; k += 1) if (bytes[index + k] !== token[k]) return false;
  return true;
}

/** After a string's opening quote: index one past the closing quote, or -1. */
function stringEnd(bytes: Buffer, index: number, end: number): number {
  let j = index + 1;
  while (j < end) {
    const code = bytes[j] as number;
    if (code === QUOTE) return j + 1;
    j += code === BACKSLASH ? 2 : 1;
  }
  return -1;
}

/** One past the end of the value starting at `index`, or -1 (structure only; content is checked apart). */
function valueEnd(bytes: Buffer, index: number, end: number): number {
  const first = bytes[index];
  if (first === QUOTE) return stringEnd(bytes, index, end);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let j = index;
    while (j < end) {
      const code = bytes[j] as number;
      if (code === QUOTE) {
        j = stringEnd(bytes, j, end);
        if (j < 0) return -1;
        continue;
      }
      if (code === OPEN_BRACE || code === OPEN_BRACKET) depth += 1;
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        depth -= 1;
        if (depth === 0) return j + 1;
      }
      j += 1;
    }
    return -1;
  }
  let j = index;
  while (j < end) {
    const code = bytes[j] as number;
    if (code === COMMA || code === CLOSE_BRACE || code === 32 || code === 9 || code === 13) break;
    j += 1;
  }
  return j === index ? -1 : j;
}

/**
 * After a string's opening quote: one past the closing quote when everything inside is printable ASCII
 * without a backslash (a value to copy as it is), else -1: the line then takes the slow path anyway, so
 * the scan stops at the first byte that is not plain.
 */
export function plainStringEnd(bytes: Buffer, index: number, end: number): number {
  for (let j = index + 1; j < end; j += 1) {
    const code = bytes[j] as number;
    if (code === QUOTE) return j + 1;
    if (code < 32 || code > 126 || code === BACKSLASH) return -1;
  }
  return -1;
}

/** A string value with nothing to decode: printable ASCII without quote or backslash inside. */
function isPlainString(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start + 1; i < end - 1; i += 1) {
    const code = bytes[i] as number;
    if (code < 32 || code > 126 || code === BACKSLASH) return false;
  }
  return true;
}

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 48 && code <= 57;
}

/** 0: not a JSON number; 1: an integer written with digits only; 2: any other JSON number. */
export function numberKind(bytes: Buffer, start: number, end: number): 0 | 1 | 2 {
  let i = start;
  if (bytes[i] === MINUS) i += 1;
  if (!isDigit(bytes[i])) return 0;
  if (bytes[i] === 48 && i + 1 < end && isDigit(bytes[i + 1])) return 0; // leading zero
  while (i < end && isDigit(bytes[i])) i += 1;
  if (i === end) return 1;
  if (bytes[i] === 46 /* . */) {
    i += 1;
    if (!isDigit(bytes[i])) return 0;
    while (i < end && isDigit(bytes[i])) i += 1;
  }
  if (i < end && (bytes[i] === 101 || bytes[i] === 69) /* e E */) {
    i += 1;
    if (bytes[i] === 43 || bytes[i] === MINUS) i += 1;
    if (!isDigit(bytes[i])) return 0;
    while (i < end && isDigit(bytes[i])) i += 1;
  }
  return i === end ? 2 : 0;
}

const LITERAL_NULL = Buffer.from('null');
const LITERAL_TRUE = Buffer.from('true');
const LITERAL_FALSE = Buffer.from('false');

/** Whether the value at [start, end) is valid JSON that the rule accepts. */
function accepts(rule: PropertyRule, bytes: Buffer, start: number, end: number): boolean {
  const first = bytes[start] as number;
  if (first === QUOTE) {
    // The scan only hands over plain strings (see plainStringEnd).
    if (rule.strings.length === 0) return false;
    const length = end - start - 2;
    let text: string | undefined;
    for (const r of rule.strings) {
      if (length < r.min || length > r.max) continue;
      if (r.format === undefined && r.values === undefined) return true;
      if (r.values === undefined && r.formatBytes !== undefined) {
        const known = r.formatBytes(bytes, start + 1, end - 1);
        if (known !== undefined) {
          if (known) return true;
          continue;
        }
      }
      text ??= bytes.toString('latin1', start + 1, end - 1);
      if ((r.format === undefined || r.format(text)) && (r.values === undefined || r.values.has(text))) return true;
    }
    return false;
  }
  if (first === MINUS || isDigit(first)) {
    const kind = numberKind(bytes, start, end);
    if (kind === 0 || rule.numbers.length === 0) return false;
    let value: number | undefined;
    for (const r of rule.numbers) {
      // `1.0` is an integer to ajv; proving that here is not worth it, the slow path will.
      if (r.integer && kind !== 1) continue;
      if (r.min === -Infinity && r.max === Infinity) return true;
      value ??= kind === 1 && end - start <= 15 ? smallInteger(bytes, start, end) : Number(bytes.toString('latin1', start, end));
      if (value >= r.min && value <= r.max) return true;
    }
    return false;
  }
  if (first === 110 /* n */) return rule.nulls && end - start === 4 && startsWith(bytes, start, LITERAL_NULL);
  if (first === 116 /* t */) return rule.booleans && end - start === 4 && startsWith(bytes, start, LITERAL_TRUE);
  if (first === 102 /* f */) return rule.booleans && end - start === 5 && startsWith(bytes, start, LITERAL_FALSE);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    if (!(first === OPEN_BRACE ? rule.objects : rule.arrays)) return false;
    // Proven on the bytes when it is plain ASCII; otherwise (or when unsure) JSON.parse decides.
    if (validJsonAt(bytes, start, end) === end) return true;
    try {
      JSON.parse(bytes.toString('utf8', start, end));
      return true;
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * One past the JSON value at `i` if it is well-formed and made of printable ASCII (escapes checked),
 * else -1: then JSON.parse decides. Nested objects and arrays recurse; a record's value is small.
 */
function validJsonAt(bytes: Buffer, index: number, end: number): number {
  let i = skipSpaces(bytes, index, end);
  const first = bytes[i];
  if (first === QUOTE) {
    i += 1;
    while (i < end) {
      const code = bytes[i] as number;
      if (code === QUOTE) return i + 1;
      if (code < 32 || code > 126) return -1;
      if (code === BACKSLASH) {
        const next = bytes[i + 1];
        if (next === 117 /* u */) {
          for (let k = 2; k < 6; k += 1) {
            const hex = bytes[i + k] as number;
            if (!((hex >= 48 && hex <= 57) || (hex >= 65 && hex <= 70) || (hex >= 97 && hex <= 102))) return -1;
          }
          i += 6;
          continue;
        }
        // \" \\ \/ \b \f \n \r \t
        if (next !== QUOTE && next !== BACKSLASH && next !== 47 && next !== 98 && next !== 102 && next !== 110 && next !== 114 && next !== 116) return -1;
        i += 2;
        continue;
      }
      i += 1;
    }
    return -1;
  }
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    const close = first === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
    i = skipSpaces(bytes, i + 1, end);
    if (bytes[i] === close) return i + 1;
    for (;;) {
      if (first === OPEN_BRACE) {
        if (bytes[i] !== QUOTE) return -1;
        i = validJsonAt(bytes, i, end);
        if (i < 0) return -1;
        i = skipSpaces(bytes, i, end);
        if (bytes[i] !== COLON) return -1;
        i += 1;
      }
      i = validJsonAt(bytes, i, end);
      if (i < 0) return -1;
      i = skipSpaces(bytes, i, end);
      if (bytes[i] === close) return i + 1;
      if (bytes[i] !== COMMA) return -1;
      i = skipSpaces(bytes, i + 1, end);
    }
  }
  let stop = i;
  while (stop < end) {
    const code = bytes[stop] as number;
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || code === 32 || code === 9 || code === 13) break;
    stop += 1;
  }
  if (stop === i) return -1;
  if (first === MINUS || isDigit(first)) return numberKind(bytes, i, stop) === 0 ? -1 : stop;
  const length = stop - i;
  if (length === 4 && (startsWith(bytes, i, LITERAL_NULL) || startsWith(bytes, i, LITERAL_TRUE))) return stop;
  if (length === 5 && startsWith(bytes, i, LITERAL_FALSE)) return stop;
  return -1;
}

/** The integer written at [start, end) with at most 15 digits (and maybe a minus sign). */
function smallInteger(bytes: Buffer, start: number, end: number): number {
  const negative = bytes[start] === MINUS;
  let value = 0;
  for (let i = negative ? start + 1 : start; i < end; i += 1) value = value * 10 + ((bytes[i] as number) - 48);
  return negative ? -value : value;
}

/**
 * The value of a located span, decoded as JSON.parse would, except that an integer beyond 2^53 is an
 * exact bigint, also inside objects and arrays (see exact-json.ts).
 */
export function decodeSpan(bytes: Buffer, start: number, end: number): unknown {
  const first = bytes[start] as number;
  // Small integers (keys, mostly): read the digits without making a string.
  if (end - start <= 15 && isDigit(first)) {
    let value = 0;
    let i = start;
    for (; i < end; i += 1) {
      const digit = (bytes[i] as number) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (i === end && !(first === 48 && end - start > 1)) return value;
  }
  if (first === QUOTE && isPlainString(bytes, start, end)) return bytes.toString('latin1', start + 1, end - 1);
  const kind = first === MINUS || isDigit(first) ? numberKind(bytes, start, end) : 0;
  if (kind !== 0) {
    const text = bytes.toString('latin1', start, end);
    return kind === 1 ? integerLiteral(text) : Number(text);
  }
  return parseExact(bytes.toString('utf8', start, end));
}

const TYPE_KEY = Buffer.from('"type"');
const RECORD_TYPE = Buffer.from('"RECORD"');
const STREAM_KEY = Buffer.from('"stream"');
const RECORD_KEY = Buffer.from('"record"');

/** Index after `{"type":"RECORD","stream":` (spaces allowed), at the stream name's quote; or -1. */
function streamNameStart(bytes: Buffer, start: number, end: number): number {
  if (bytes[start] !== OPEN_BRACE) return -1;
  let i = skipSpaces(bytes, start + 1, end);
  if (!startsWith(bytes, i, TYPE_KEY)) return -1;
  i = skipSpaces(bytes, i + TYPE_KEY.length, end);
  if (bytes[i] !== COLON) return -1;
  i = skipSpaces(bytes, i + 1, end);
  if (!startsWith(bytes, i, RECORD_TYPE)) return -1;
  i = skipSpaces(bytes, i + RECORD_TYPE.length, end);
  if (bytes[i] !== COMMA) return -1;
  i = skipSpaces(bytes, i + 1, end);
  if (!startsWith(bytes, i, STREAM_KEY)) return -1;
  i = skipSpaces(bytes, i + STREAM_KEY.length, end);
  if (bytes[i] !== COLON) return -1;
  i = skipSpaces(bytes, i + 1, end);
  return bytes[i] === QUOTE ? i : -1;
}

/**
 * The stream of a RECORD line written in the usual shape (`{"type":"RECORD","stream":"name",...`, with or
 * without spaces), or undefined for any other line. Names with escapes or non-ASCII text are not read
 * here (undefined): such lines take the slow path.
 */
export function recordLineStream(bytes: Buffer, start: number, end: number): string | undefined {
  const quote = streamNameStart(bytes, start, end);
  if (quote < 0) return undefined;
  const close = stringEnd(bytes, quote, end);
  if (close < 0 || close - quote <= 2 || !isPlainString(bytes, quote, close)) return undefined;
  return bytes.toString('latin1', quote + 1, close - 1);
}

/** What `RecordCodec.scan` returns for a RECORD line of a stream other than its own. */
export const OTHER_STREAM = -2;

/**
 * The members of a RECORD envelope after its record object, from the `,` at `start` to the closing `}`
 * before `end`, when they are well-formed and acceptable: none repeats `type`, `stream` or `record`, and a
 * `version` is a number (or null). Undefined otherwise (the line is then parsed in full, with its error).
 */
export function envelopeTailMembers(bytes: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  let members: Record<string, unknown>;
  try {
    members = JSON.parse(`{${bytes.toString('utf8', start + 1, end)}`) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if ('type' in members || 'stream' in members || 'record' in members) return undefined;
  const version = members.version;
  if (version !== undefined && version !== null && typeof version !== 'number') return undefined;
  return members;
}

/** Locates and checks the records of one stream, whose SCHEMA it was compiled from. */
export class RecordCodec {
  /** The schema's properties, in the order of `ScannedRecord.spans`. */
  readonly properties: readonly string[];
  private readonly rules: PropertyRule[];
  private readonly required: Int32Array;
  /** Property indexes by the byte length of their quoted name, for matching keys without decoding them. */
  private readonly byLength: (Int32Array | undefined)[] = [];
  private readonly keyBytes: Buffer[];
  private readonly streamBytes: Buffer;
  private readonly indexes: Map<string, number>;

  private constructor(stream: string, properties: string[], rules: PropertyRule[], required: number[]) {
    this.properties = properties;
    this.rules = rules;
    this.required = Int32Array.from(required);
    this.keyBytes = properties.map((name) => Buffer.from(JSON.stringify(name)));
    const groups = new Map<number, number[]>();
    this.keyBytes.forEach((key, index) => groups.set(key.length, [...(groups.get(key.length) ?? []), index]));
    for (const [length, indexes] of groups) this.byLength[length] = Int32Array.from(indexes);
    this.streamBytes = Buffer.from(JSON.stringify(stream));
    this.indexes = new Map(properties.map((name, index) => [name, index]));
  }

  /**
   * The codec of a stream's SCHEMA, or undefined when the schema uses something the fast path cannot
   * prove (nested constraints, patterns, a non-ASCII or escaped property name...): then every record of
   * the stream is parsed and validated in full.
   */
  static compile(stream: string, schema: JsonSchema, validate: boolean): RecordCodec | undefined {
    const s = schema as Record<string, unknown>;
    const properties = s.properties as Record<string, JsonSchema> | undefined;
    if (properties === undefined || typeof properties !== 'object' || Array.isArray(properties)) return undefined;
    if (!/^[\x20-\x7e]+$/.test(stream) || stream.includes('"') || stream.includes('\\')) return undefined;
    if (validate) {
      for (const key of Object.keys(s)) {
        // additionalProperties concerns undeclared members, and a record with one is never scanned.
        if (!ANNOTATIONS.has(key) && !['type', 'properties', 'required', 'additionalProperties'].includes(key)) return undefined;
      }
      if (s.type !== undefined && s.type !== 'object' && !(Array.isArray(s.type) && s.type.includes('object'))) return undefined;
    }
    const names = Object.keys(properties);
    if (names.length === 0 || !names.every((name) => /^[\x20-\x7e]+$/.test(name) && !name.includes('"') && !name.includes('\\'))) return undefined;
    const rules: PropertyRule[] = [];
    for (const name of names) {
      const rule = validate ? ruleOf(properties[name]) : everything();
      if (rule === UNCHECKED) return undefined;
      rules.push(rule);
    }
    const requiredNames = validate && Array.isArray(s.required) ? (s.required as unknown[]) : [];
    const required: number[] = [];
    for (const name of requiredNames) {
      const index = typeof name === 'string' ? names.indexOf(name) : -1;
      if (index < 0) return undefined; // a required member the schema does not declare: leave it to ajv
      required.push(index);
    }
    return new RecordCodec(stream, names, rules, required);
  }

  private matchKey(bytes: Buffer, start: number, end: number): number {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return -1;
    for (let c = 0; c < candidates.length; c += 1) {
      const index = candidates[c] as number;
      const key = this.keyBytes[index] as Buffer;
      let same = true;
      for (let k = 1; k < key.length - 1; k += 1) {
        if (key[k] !== bytes[start + k]) {
          same = false;
          break;
        }
      }
      if (same) return index;
    }
    return -1;
  }

  /** Where scan writes positions: shared by the records of many lines, replaced (never reused) when full. */
  spans = new Int32Array(0);
  private spansUsed = 0;
  /** The version and time_extracted of the line scanned last. */
  version: number | undefined;
  timeExtracted: string | undefined;
  /** The envelope after the record object of the last line (often the same line after line), and its reading. */
  private tail: Buffer = Buffer.alloc(0);
  private tailVersion: number | undefined;
  private tailTimeExtracted: string | undefined;

  /**
   * Locate and check the RECORD line at [start, end) of `bytes`: the index in `spans` where its positions
   * are (and `version`, `timeExtracted` set); or a negative number, meaning: parse and validate it in full
   * (`OTHER_STREAM` when it may be a usual RECORD line of another stream, which that stream's codec can try).
   */
  scan(bytes: Buffer, start: number, stop: number): number {
    let end = stop;
    while (end > start && (bytes[end - 1] === 32 || bytes[end - 1] === 13 || bytes[end - 1] === 9)) end -= 1;
    if (bytes[end - 1] !== CLOSE_BRACE) return -1;
    const quote = streamNameStart(bytes, start, end);
    if (quote < 0) return -1;
    if (!startsWith(bytes, quote, this.streamBytes)) return OTHER_STREAM;
    let i = skipSpaces(bytes, quote + this.streamBytes.length, end);
    if (bytes[i] !== COMMA) return -1;
    i = skipSpaces(bytes, i + 1, end);
    if (!startsWith(bytes, i, RECORD_KEY)) return -1;
    i = skipSpaces(bytes, i + RECORD_KEY.length, end);
    if (bytes[i] !== COLON) return -1;
    i = skipSpaces(bytes, i + 1, end);
    if (bytes[i] !== OPEN_BRACE) return -1;
    const width = this.properties.length * 2;
    if (this.spansUsed + width > this.spans.length) {
      this.spans = new Int32Array(width * 4096);
      this.spansUsed = 0;
    }
    const spans = this.spans;
    const base = this.spansUsed;
    spans.fill(-1, base, base + width);
    i = skipSpaces(bytes, i + 1, end);
    if (bytes[i] === CLOSE_BRACE) {
      i += 1;
    } else {
      for (;;) {
        if (bytes[i] !== QUOTE) return -1;
        const keyEnd = stringEnd(bytes, i, end);
        if (keyEnd < 0) return -1;
        const index = this.matchKey(bytes, i, keyEnd);
        if (index < 0) return -1; // undeclared or escaped: the slow path decides
        let j = keyEnd;
        if (bytes[j] !== COLON) {
          j = skipSpaces(bytes, j, end);
          if (bytes[j] !== COLON) return -1;
        }
        j = skipSpaces(bytes, j + 1, end);
        const valueStop = bytes[j] === QUOTE ? plainStringEnd(bytes, j, end) : valueEnd(bytes, j, end);
        if (valueStop < 0) return -1;
        if (!accepts(this.rules[index] as PropertyRule, bytes, j, valueStop)) return -1;
        spans[base + 2 * index] = j;
        spans[base + 2 * index + 1] = valueStop;
        i = valueStop;
        let code = bytes[i];
        if (code !== COMMA && code !== CLOSE_BRACE) {
          i = skipSpaces(bytes, i, end);
          code = bytes[i];
        }
        if (code === CLOSE_BRACE) {
          i += 1;
          break;
        }
        if (code !== COMMA) return -1;
        i = skipSpaces(bytes, i + 1, end);
      }
    }
    for (let r = 0; r < this.required.length; r += 1) if (spans[base + 2 * (this.required[r] as number)] === -1) return -1;
    if (!this.readTail(bytes, skipSpaces(bytes, i, end), end)) return -1;
    this.spansUsed += width;
    return base;
  }

  /** The envelope after the record object: `}` alone, or more members (version, time_extracted) and `}`. */
  private readTail(bytes: Buffer, i: number, end: number): boolean {
    if (bytes[i] !== COMMA) {
      this.version = undefined;
      this.timeExtracted = undefined;
      return i === end - 1;
    }
    const tail = this.tail;
    let same = tail.length === end - i;
    for (let k = 0; same && k < tail.length; k += 1) same = tail[k] === bytes[i + k];
    if (!same) {
      const members = envelopeTailMembers(bytes, i, end);
      if (members === undefined) return false;
      const version = members.version;
      this.tail = Buffer.from(bytes.subarray(i, end));
      this.tailVersion = typeof version === 'number' ? version : undefined;
      this.tailTimeExtracted = typeof members.time_extracted === 'string' ? members.time_extracted : undefined;
    }
    this.version = this.tailVersion;
    this.timeExtracted = this.tailTimeExtracted;
    return true;
  }

  /** The index of a property in `properties` (and spans), or -1. */
  indexOf(name: string): number {
    return this.indexes.get(name) ?? -1;
  }

  /** Property `index` of a scanned record, decoded; undefined when the record does not have it. */
  value(scanned: ScannedRecord, index: number): unknown {
    const at = scanned.base + 2 * index;
    const start = scanned.spans[at] as number;
    return start < 0 ? undefined : decodeSpan(scanned.bytes, start, scanned.spans[at + 1] as number);
  }
}
