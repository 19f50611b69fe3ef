/**
 * Reads a RECORD line written the way Singer taps write it (no blanks: `{"type":"RECORD","stream":"s",
 * "record":{"a":1,...},...}`) in one pass over its bytes, handing each value over already read: a plain
 * string's hash, a JSON number's value, an object's or array's hash. The protocol's RecordCodec locates the
 * values and the columns then read their bytes again (a second and third pass); this reader does both at
 * once for the usual shape and leaves every other line to the codec.
 *
 * It accepts only lines the codec (compiled with validate = false, as the profile does) also accepts, so
 * a line it reads is a valid RECORD of its stream: the same envelope without blanks; members that the
 * SCHEMA declares, each at most once (JSON.parse keeps the last of repeated keys; such a line goes to the
 * codec); printable ASCII strings without escapes; JSON numbers; literals; objects and arrays of
 * printable ASCII without escapes, proven valid by being canonical (as JSON.stringify writes them) or by
 * JSON.parse, once per distinct text (up to 256 texts of at most 256 bytes per property are remembered;
 * others are checked on every line); and after the record the same envelope members as an earlier
 * line, or members that pass the codec's check of them. Nothing is fed to a column before the whole
 * line is read, so a line it gives up on is read again from the start by the codec.
 */
import { envelopeTailMembers, parseExact, stringifyExact, type RecordCodec } from '@tapline/protocol';
import { HASH_PRIME_A, HASH_PRIME_B, hashLaneA, hashLaneB, hashOfLanes, hashString } from './distinct-sketch.js';
import { TAG_STRING, TAG_STRUCTURED } from './column-accumulator.js';
import { isCanonicalJson, jsonNumberEnd } from './value-bytes.js';

/** What `kinds[i]` says of property i's value in the line read last. */
export const ABSENT = 0;
export const NULL = 1;
export const STRING = 2;
export const NUMBER = 3;
export const TRUE = 4;
export const FALSE = 5;
export const STRUCTURED = 6;

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const MINUS = 45;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

// Module-local copies of imported constants: an imported binding costs a load and a check per use in a
// loop over every byte.
const PRIME_A = HASH_PRIME_A;
const PRIME_B = HASH_PRIME_B;
const STRING_LANE_A = hashLaneA(TAG_STRING);
const STRING_LANE_B = hashLaneB(TAG_STRING);
const STRUCTURED_LANE_A = hashLaneA(TAG_STRUCTURED);
const STRUCTURED_LANE_B = hashLaneB(TAG_STRUCTURED);

/** Object and array texts remembered per property, and the longest remembered: 64 KiB a property at most. */
const TEXTS_KEPT = 256;
const TEXT_MAX_BYTES = 256;

/** The hashAsciiBytes (TAG_STRUCTURED) of the value structuredEnd found last. */
let structuredHash = 0;

/**
 * One past the object or array at `index`, found by its brackets outside strings, hashing its bytes on
 * the way (into structuredHash); -1 when it holds anything but printable ASCII or a backslash (it is then
 * not canonical). Whether it is valid JSON is not checked here.
 */
function structuredEnd(bytes: Buffer, index: number, end: number): number {
  let a = STRUCTURED_LANE_A;
  let b = STRUCTURED_LANE_B;
  let depth = 0;
  let inString = false;
  for (let j = index; j < end; j += 1) {
    const code = bytes[j] as number;
    if (code < 32 || code > 126 || code === BACKSLASH) return -1;
    a = Math.imul(a ^ code, PRIME_A);
    b = Math.imul(b ^ code, PRIME_B);
    if (code === QUOTE) {
      inString = !inString;
    } else if (!inString) {
      if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        depth += 1;
      } else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) {
        structuredHash = hashOfLanes(a, b);
        return j + 1;
      }
    }
  }
  return -1;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Bytes to find at a place in a line, compared four at a time (a line's view reads them unaligned). */
class Literal {
  readonly length: number;
  private readonly words: Int32Array;

  constructor(readonly bytes: Buffer) {
    this.length = bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.words = Int32Array.from({ length: bytes.length >> 2 }, (_, w) => view.getInt32(4 * w, true));
  }

  /** Whether the literal is at `index` of `bytes` (seen through `view`), inside the line ending at `end`. */
  at(view: DataView, bytes: Buffer, index: number, end: number): boolean {
    const length = this.length;
    if (index + length > end) return false;
    const words = this.words;
    for (let w = 0; w < words.length; w += 1) if (view.getInt32(index + 4 * w, true) !== words[w]) return false;
    const literal = this.bytes;
    for (let k = words.length * 4; k < length; k += 1) if (bytes[index + k] !== literal[k]) return false;
    return true;
  }
}

/** An object or array text read before, and the hash of its value's JSON.stringify text. */
interface KnownText {
  text: Literal;
  hash: number;
}

const LITERAL_NULL = new Literal(Buffer.from('null'));
const LITERAL_TRUE = new Literal(Buffer.from('true'));
const LITERAL_FALSE = new Literal(Buffer.from('false'));

export class RecordLineReader {
  /** Per property (the codec's order), the kind of its value in the line read last. */
  readonly kinds: Uint8Array;
  /** A string's bytes between its quotes; an object's or array's bytes. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** A number's value; the hash of a string (TAG_STRING), or of an object's or array's JSON.stringify text (TAG_STRUCTURED). */
  readonly values: Float64Array;
  /** `{"type":"RECORD","stream":"<stream>","record":{` */
  private readonly prefix: Literal;
  /** Per property, `"<name>":` */
  private readonly keys: Literal[];
  /** The property that followed each property (the last entry: the first property) in the last line: keys come in one order. */
  private readonly follows: Int32Array;
  /** The envelope members after the record of an earlier line, known to be valid. */
  private tail = new Literal(Buffer.alloc(0));
  /** The buffer read last, and a view of it. */
  private viewed: Buffer | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private readonly structuredTexts: Map<number, KnownText>[];

  constructor(codec: RecordCodec, stream: string) {
    const count = codec.properties.length;
    this.kinds = new Uint8Array(count);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
    this.values = new Float64Array(count);
    this.prefix = new Literal(Buffer.from(`{"type":"RECORD","stream":${JSON.stringify(stream)},"record":{`));
    this.keys = codec.properties.map((name) => new Literal(Buffer.from(`${JSON.stringify(name)}:`)));
    this.structuredTexts = codec.properties.map(() => new Map<number, KnownText>());
    this.follows = Int32Array.from({ length: count + 1 }, (_, i) => (i + 1 < count ? i + 1 : 0));
  }

  /** Lines that started with this stream's envelope but were not read: the profiler stops asking when most are not. */
  misses = 0;
  /** Lines read. */
  hits = 0;

  /** Read the line at [start, end); false when it is not in the shape this reader proves (the codec decides then). */
  read(bytes: Buffer, start: number, end: number): boolean {
    if (bytes !== this.viewed) {
      this.viewed = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    if (bytes[end - 1] !== CLOSE_BRACE || !this.prefix.at(this.view, bytes, start, end)) return false;
    if (this.readMembers(bytes, start + this.prefix.length, end)) {
      this.hits += 1;
      return true;
    }
    this.misses += 1;
    return false;
  }

  private readMembers(bytes: Buffer, index: number, end: number): boolean {
    const kinds = this.kinds;
    const keys = this.keys;
    const follows = this.follows;
    const view = this.view;
    for (let p = 0; p < kinds.length; p += 1) kinds[p] = ABSENT; // a loop: fill() is a call for ten bytes
    let i = index;
    if (bytes[i] === CLOSE_BRACE) return this.readTail(bytes, i + 1, end);
    let previous = keys.length;
    for (;;) {
      let property = follows[previous] as number;
      if (!(keys[property] as Literal).at(view, bytes, i, end)) {
        property = this.keyAt(bytes, i, end);
        if (property < 0) return false;
        follows[previous] = property;
      }
      if (kinds[property] !== ABSENT) return false; // a repeated key
      i += (keys[property] as Literal).length;
      const first = bytes[i] as number;
      if (first === QUOTE) {
        let a = STRING_LANE_A;
        let b = STRING_LANE_B;
        let j = i + 1;
        for (; j < end; j += 1) {
          const code = bytes[j] as number;
          if (code === QUOTE) break;
          if (code < 32 || code > 126 || code === BACKSLASH) return false;
          a = Math.imul(a ^ code, PRIME_A);
          b = Math.imul(b ^ code, PRIME_B);
        }
        if (j >= end) return false;
        kinds[property] = STRING;
        this.starts[property] = i + 1;
        this.ends[property] = j;
        this.values[property] = hashOfLanes(a, b);
        i = j + 1;
      } else if (first === MINUS || isDigit(first)) {
        const j = jsonNumberEnd(bytes, i, end, this.values, property);
        if (j < 0) return false;
        kinds[property] = NUMBER;
        // Where it is, for a number beyond 2^53 (an integer there is counted by its digits).
        this.starts[property] = i;
        this.ends[property] = j;
        i = j;
      } else if (first === 110 /* n */) {
        if (!LITERAL_NULL.at(view, bytes, i, end)) return false;
        kinds[property] = NULL;
        i += 4;
      } else if (first === 116 /* t */) {
        if (!LITERAL_TRUE.at(view, bytes, i, end)) return false;
        kinds[property] = TRUE;
        i += 4;
      } else if (first === 102 /* f */) {
        if (!LITERAL_FALSE.at(view, bytes, i, end)) return false;
        kinds[property] = FALSE;
        i += 5;
      } else if (first === OPEN_BRACE || first === OPEN_BRACKET) {
        const j = structuredEnd(bytes, i, end);
        if (j < 0) return false;
        // A text seen before has its hash known; another is checked (and then remembered). The hash is that
        // of the text JSON.stringify gives for the value, which is the text itself when it is canonical.
        const texts = this.structuredTexts[property] as Map<number, KnownText>;
        const known = texts.get(structuredHash);
        let hash: number;
        if (known !== undefined && known.text.length === j - i && known.text.at(view, bytes, i, j)) {
          hash = known.hash;
        } else {
          const textHash = structuredHash;
          if (isCanonicalJson(bytes, i, j)) {
            hash = textHash;
          } else {
            let value: unknown;
            try {
              value = parseExact(bytes.toString('latin1', i, j));
            } catch {
              return false; // the codec (and then JSON.parse of the line) decides
            }
            hash = hashString(stringifyExact(value), TAG_STRUCTURED);
          }
          if (texts.size < TEXTS_KEPT && j - i <= TEXT_MAX_BYTES) texts.set(textHash, { text: new Literal(Buffer.from(bytes.subarray(i, j))), hash });
        }
        kinds[property] = STRUCTURED;
        this.starts[property] = i;
        this.ends[property] = j;
        this.values[property] = hash;
        i = j;
      } else {
        return false;
      }
      previous = property;
      if (i >= end) return false;
      const next = bytes[i];
      if (next === CLOSE_BRACE) return this.readTail(bytes, i + 1, end);
      if (next !== COMMA) return false;
      i += 1;
    }
  }

  /** The property whose `"<name>":` is at `index`, or -1. */
  private keyAt(bytes: Buffer, index: number, end: number): number {
    const keys = this.keys;
    for (let property = 0; property < keys.length; property += 1) if ((keys[property] as Literal).at(this.view, bytes, index, end)) return property;
    return -1;
  }

  /** After the record object: `}` ending the line, or envelope members the codec accepts, then `}`. */
  private readTail(bytes: Buffer, i: number, end: number): boolean {
    if (i >= end) return false;
    if (bytes[i] !== COMMA) return i === end - 1; // bytes[end - 1] is the closing brace
    if (this.tail.length === end - i && this.tail.at(this.view, bytes, i, end)) return true;
    // The codec's own check (RecordCodec's readTail).
    if (envelopeTailMembers(bytes, i, end) === undefined) return false;
    this.tail = new Literal(Buffer.from(bytes.subarray(i, end)));
    return true;
  }
}
