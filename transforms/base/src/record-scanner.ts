/**
 * Finds the members of a RECORD line's `record` object in the line's bytes, so that a stage touching a
 * few columns decodes only those values and writes the rest of the line as it came. JSON.parse plus
 * JSON.stringify of a 350-byte record cost about 5 µs, and decoding the line's bytes to a string and
 * encoding it back another 1 µs; locating members in the bytes is one short loop over them.
 *
 * It is not a full validator. It returns false for anything it does not expect (an escaped key, a
 * control character or truncated string, a wanted value that is not well-formed JSON, a `record` that is
 * not an object), and the caller then parses the line in full, which reports malformed JSON with its line
 * number as usual. Values of columns nobody asked for are skipped by their delimiters, as they are passed
 * on unchanged.
 */
import { decodeSpan, numberKind, parseExact } from '@tapline/protocol';
import { decimalAt } from './decimal-bytes.js';

/**
 * Numbers of at most this many characters are read from their digits (decimalAt); longer ones, mostly
 * floats of 17 significant digits, whose mantissa is past 2^53 anyway, go to Number() without the scan.
 */
const SHORT_NUMBER = 18;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

function isSpace(code: number | undefined): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function skipSpaces(bytes: Buffer, i: number, end: number): number {
  while (i < end && isSpace(bytes[i])) i += 1;
  return i;
}

/**
 * Index one past the closing quote of the string opening at `i`, or -1 (unterminated, or a raw control
 * character, which JSON forbids). Sets `lastStringEscaped` and `lastStringAscii`.
 */
let lastStringEscaped = false;
let lastStringAscii = true;
function stringEnd(bytes: Buffer, i: number, end: number): number {
  let escaped = false;
  let ascii = true;
  for (let j = i + 1; j < end; j += 1) {
    const code = bytes[j] as number;
    if (code === QUOTE) {
      lastStringEscaped = escaped;
      lastStringAscii = ascii;
      return j + 1;
    }
    if (code < 32) return -1;
    if (code === BACKSLASH) {
      escaped = true;
      j += 1;
    } else if (code > 127) ascii = false;
  }
  return -1;
}

/**
 * Index one past the closing quote of the string opening at `i`, or -1, found with native searches for
 * the quote: for values nobody reads, passed on as they are (a JS loop over every byte costs ~3 ns a byte
 * here, a search ~50 ns a call). Escapes, control characters and non-ASCII bytes are not looked at.
 */
function skipString(bytes: Buffer, i: number, end: number): number {
  let quote = bytes.indexOf(QUOTE, i + 1);
  while (quote !== -1 && quote < end) {
    // An odd number of backslashes before the quote escapes it.
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes += 1;
    if ((backslashes & 1) === 0) return quote + 1;
    quote = bytes.indexOf(QUOTE, quote + 1);
  }
  return -1;
}

/** What the last stringEnd saw: 1 = escapes, 2 = non-ASCII bytes. */
function stringFlags(): number {
  return (lastStringEscaped ? 1 : 0) | (lastStringAscii ? 0 : 2);
}

/** The string at [start, end) (quotes included), given its stringFlags. */
function decodeString(bytes: Buffer, start: number, end: number, flags: number): string {
  if ((flags & 1) === 1) return JSON.parse(bytes.toString('utf8', start, end)) as string;
  return bytes.toString(flags === 0 ? 'latin1' : 'utf8', start + 1, end - 1);
}

/** Index one past the end of the non-string JSON value starting at `i`, or -1. */
function valueEnd(bytes: Buffer, i: number, end: number): number {
  const first = bytes[i];
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < end) {
      const code = bytes[j] as number;
      if (code === QUOTE) {
        j = skipString(bytes, j, end);
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
  // number, true, false, null: up to the next delimiter.
  let j = i;
  while (j < end) {
    const code = bytes[j];
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isSpace(code)) break;
    j += 1;
  }
  return j === i ? -1 : j;
}

/** Whether [start, end) is exactly the ASCII text `word`. */
function isWord(bytes: Buffer, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k += 1) if (bytes[start + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** Whether the value at [start, end) (a string, object or array already delimited) is well-formed enough to decode. */
function isDecodable(bytes: Buffer, start: number, end: number): boolean {
  const first = bytes[start];
  if (first === QUOTE || first === OPEN_BRACE || first === OPEN_BRACKET) return true;
  if (first === 110 /* n */) return isWord(bytes, start, end, 'null');
  if (first === 116 /* t */) return isWord(bytes, start, end, 'true');
  if (first === 102 /* f */) return isWord(bytes, start, end, 'false');
  return numberKind(bytes, start, end) !== 0;
}

/**
 * The value at [start, end), decoded as parseExact would (JSON.parse, with integers beyond 2^53 as exact
 * bigints); the caller has checked it with isDecodable (objects and arrays go through parseExact, which
 * throws JSON.parse's error on what is malformed inside them).
 */
export function decodeBytes(bytes: Buffer, start: number, end: number): unknown {
  const first = bytes[start] as number;
  if (first === QUOTE) {
    stringEnd(bytes, start, end);
    return decodeString(bytes, start, end, stringFlags());
  }
  if (first === 110) return null;
  if (first === 116) return true;
  if (first === 102) return false;
  if (first === OPEN_BRACE || first === OPEN_BRACKET) return parseExact(bytes.toString('utf8', start, end));
  // Longer numbers (a float's 17 digits) are past the exact fast path anyway: Number() at once.
  const x = end - start <= SHORT_NUMBER ? decimalAt(bytes, start, end) : Number.NaN;
  // Beyond the fast path's reach it asked Number(), which reads a JSON number exactly as JSON.parse does.
  const y = Number.isNaN(x) ? Number(bytes.toString('latin1', start, end)) : x;
  // Beyond 2^53 an integer literal is exact as a bigint, as the protocol decodes it (rare: read again there).
  return y > Number.MAX_SAFE_INTEGER || y < -Number.MAX_SAFE_INTEGER ? decodeSpan(bytes, start, end) : y;
}

/**
 * Scans the `record` objects of RECORD lines for a fixed set of columns: for each, where its key and value
 * are (-1 when absent). Allocation-free per line (positions go to typed arrays, keys are compared in
 * place); a key that appears twice resolves to the last, as in JSON.parse, unless the scan stops early.
 */
export class RecordScanner {
  readonly keyStarts: Int32Array;
  readonly valueStarts: Int32Array;
  readonly valueEnds: Int32Array;
  /** For string values: stringFlags (escapes, non-ASCII), so decoding does not read the string again. */
  readonly stringFlags: Uint8Array;
  /** Index of the record object's closing brace. */
  close = -1;
  /** Members in the record. */
  members = 0;
  /** Members whose key is not one of the columns. */
  unknownKeys = 0;
  /** Set by scan: true when it stopped at the last wanted column (close and members are then unset). */
  stoppedEarly = false;
  /** Each column's key as it appears in a line, quotes included (UTF-8). */
  private readonly keys: Buffer[];
  /** Column indexes by the byte length of their quoted key. */
  private readonly byLength: (number[] | undefined)[] = [];
  /**
   * What the last lines looked like, so the next one is checked rather than searched: per member
   * position the key's bytes (quotes included) and its column index (-1: not a column). Writers emit
   * every record of a stream with its keys in the same order, so one comparison per member replaces
   * finding the key's end and looking its name up.
   */
  private readonly seenKeys: Buffer[] = [];
  private readonly seenIndexes: number[] = [];

  /**
   * @param stopWhenFound stop scanning once every column was found. Faster (the rest of the line is not
   * read), but then a key repeated later in the line is not seen (JSON.parse would take the last one),
   * and `close`, `members` and `unknownKeys` are not known; they are whenever a column is absent.
   */
  constructor(
    readonly columns: readonly string[],
    private readonly stopWhenFound = false,
  ) {
    this.keyStarts = new Int32Array(columns.length);
    this.valueStarts = new Int32Array(columns.length);
    this.valueEnds = new Int32Array(columns.length);
    this.stringFlags = new Uint8Array(columns.length);
    this.keys = columns.map((column) => Buffer.from(JSON.stringify(column), 'utf8'));
    this.keys.forEach((key, index) => {
      const list = this.byLength[key.length] ?? [];
      list.push(index);
      this.byLength[key.length] = list;
    });
  }

  /** The column whose quoted key is at [start, end) (unescaped), or -1. */
  private match(bytes: Buffer, start: number, end: number): number {
    const candidates = this.byLength[end - start];
    if (candidates === undefined) return -1;
    for (const index of candidates) if (startsWith(bytes, start, this.keys[index] as Buffer)) return index;
    return -1;
  }

  /**
   * Locate the columns in the record object whose `{` is at `open`, in a line ending at `end`; false when
   * the record is not in the expected shape (parse the line instead).
   */
  scan(bytes: Buffer, open: number, end: number): boolean {
    const keyStarts = this.keyStarts;
    keyStarts.fill(-1);
    this.members = 0;
    this.unknownKeys = 0;
    this.stoppedEarly = false;
    let missing = this.columns.length;
    let i = skipSpaces(bytes, open + 1, end);
    if (bytes[i] === CLOSE_BRACE) {
      this.close = i;
      return true;
    }
    const seenKeys = this.seenKeys;
    let member = 0;
    for (;;) {
      if (bytes[i] !== QUOTE) return false;
      let keyEnd: number;
      let index: number;
      const seen = seenKeys[member];
      // A learned key holds no quote or backslash, so matching its bytes means the key ends right after.
      if (seen !== undefined && startsWith(bytes, i, seen)) {
        keyEnd = i + seen.length;
        index = this.seenIndexes[member] as number;
        if (index < 0) this.unknownKeys += 1;
      } else {
        keyEnd = stringEnd(bytes, i, end);
        if (keyEnd < 0) return false;
        // An escaped key might still decode to a column name: only JSON.parse can tell.
        if (lastStringEscaped) return false;
        index = this.match(bytes, i, keyEnd);
        if (index < 0) this.unknownKeys += 1;
        seenKeys[member] = index >= 0 ? (this.keys[index] as Buffer) : Buffer.from(bytes.subarray(i, keyEnd));
        this.seenIndexes[member] = index;
      }
      let j = keyEnd;
      if (bytes[j] !== COLON) {
        j = skipSpaces(bytes, j, end);
        if (bytes[j] !== COLON) return false;
      }
      j += 1;
      if (isSpace(bytes[j])) j = skipSpaces(bytes, j, end);
      // A wanted string is read byte by byte (escapes and control characters matter when decoding it).
      const valueStop = bytes[j] === QUOTE ? (index >= 0 ? stringEnd(bytes, j, end) : skipString(bytes, j, end)) : valueEnd(bytes, j, end);
      if (valueStop < 0) return false;
      if (index >= 0) {
        if (!isDecodable(bytes, j, valueStop)) return false;
        if (keyStarts[index] === -1) missing -= 1;
        if (bytes[j] === QUOTE) this.stringFlags[index] = stringFlags();
        keyStarts[index] = i;
        this.valueStarts[index] = j;
        this.valueEnds[index] = valueStop;
        if (missing === 0 && this.stopWhenFound) {
          this.stoppedEarly = true;
          return true;
        }
      }
      this.members += 1;
      member += 1;
      i = valueStop;
      let code = bytes[i];
      if (isSpace(code)) {
        i = skipSpaces(bytes, i, end);
        code = bytes[i];
      }
      if (code === CLOSE_BRACE) {
        this.close = i;
        return true;
      }
      if (code !== COMMA) return false;
      i += 1;
      if (isSpace(bytes[i])) i = skipSpaces(bytes, i, end);
    }
  }

  /** How many numbers `save` writes. */
  get savedSize(): number {
    return 3 * this.columns.length + 3;
  }

  /**
   * The result of the last scan into `out` from `at` (positions relative to `lineStart`), so that the line can be
   * handed over again later, moved elsewhere, without scanning it again (see `load`).
   */
  save(out: Int32Array, at: number, lineStart: number): void {
    const count = this.columns.length;
    for (let i = 0; i < count; i += 1) {
      const key = this.keyStarts[i] as number;
      out[at + 3 * i] = key === -1 ? -1 : key - lineStart;
      out[at + 3 * i + 1] = (this.valueStarts[i] as number) - lineStart;
      // Four times the end, plus the string flags (lines are far below 2^29 bytes).
      out[at + 3 * i + 2] = ((this.valueEnds[i] as number) - lineStart) * 4 + (this.stringFlags[i] as number);
    }
    out[at + 3 * count] = this.close - lineStart;
    out[at + 3 * count + 1] = this.members;
    out[at + 3 * count + 2] = (this.stoppedEarly ? 1 : 0) + 2 * this.unknownKeys;
  }

  /**
   * Take the result of `other`'s last scan for this scanner's columns, which are a subset of the other's:
   * `map[i]` is the index in `other.columns` of this scanner's column i.
   */
  copyFrom(other: RecordScanner, map: Int32Array): void {
    for (let i = 0; i < map.length; i += 1) {
      const j = map[i] as number;
      this.keyStarts[i] = other.keyStarts[j] as number;
      this.valueStarts[i] = other.valueStarts[j] as number;
      this.valueEnds[i] = other.valueEnds[j] as number;
      this.stringFlags[i] = other.stringFlags[j] as number;
    }
    this.close = other.close;
    this.members = other.members;
    this.unknownKeys = other.unknownKeys + other.columns.length - this.columns.length;
    this.stoppedEarly = other.stoppedEarly;
  }

  /** Restore a scan saved with `save`, for the same line now at `lineStart`, from `from` at `at`. */
  load(from: Int32Array, at: number, lineStart: number): void {
    const count = this.columns.length;
    for (let i = 0; i < count; i += 1) {
      const key = from[at + 3 * i] as number;
      this.keyStarts[i] = key === -1 ? -1 : key + lineStart;
      this.valueStarts[i] = (from[at + 3 * i + 1] as number) + lineStart;
      const endAndFlags = from[at + 3 * i + 2] as number;
      this.valueEnds[i] = (endAndFlags >> 2) + lineStart;
      this.stringFlags[i] = endAndFlags & 3;
    }
    this.close = (from[at + 3 * count] as number) + lineStart;
    this.members = from[at + 3 * count + 1] as number;
    const flags = from[at + 3 * count + 2] as number;
    this.stoppedEarly = (flags & 1) === 1;
    this.unknownKeys = flags >> 1;
  }

  /** The byte length of column `index`'s key as it appears in a line, quotes included. */
  keyLength(index: number): number {
    return (this.keys[index] as Buffer).length;
  }

  /** The decoded value of column `index` in the last scanned record; undefined when absent. */
  value(bytes: Buffer, index: number): unknown {
    if (this.keyStarts[index] === -1) return undefined;
    const start = this.valueStarts[index] as number;
    const end = this.valueEnds[index] as number;
    return bytes[start] === QUOTE ? decodeString(bytes, start, end, this.stringFlags[index] as number) : decodeBytes(bytes, start, end);
  }

  /**
   * value(), but a string holding a decimal (`"-12.50"`, `"1e3"`: no blank or escape) as the finite number
   * Number() reads it as, without making the string. For plans that read a `singer.decimal` column
   * only as numbers and never write it back (see StreamPlan.numbersOnly).
   */
  numberOrValue(bytes: Buffer, index: number): unknown {
    if (this.keyStarts[index] !== -1 && this.stringFlags[index] === 0) {
      const start = this.valueStarts[index] as number;
      const end = this.valueEnds[index] as number;
      if (bytes[start] === QUOTE) {
        // Only finite numbers: a text such as "1e400" goes as the string, for the plan's own check.
        const x = end - start - 2 <= SHORT_NUMBER ? decimalAt(bytes, start + 1, end - 1) : Number.NaN;
        if (Number.isFinite(x)) return x;
      }
    }
    return this.value(bytes, index);
  }
}

/** Whether `bytes` holds `prefix` at `at`. */
export function startsWith(bytes: Buffer, at: number, prefix: Buffer): boolean {
  const length = prefix.length;
  if (at + length > bytes.length) return false;
  for (let k = 0; k < length; k += 1) if (bytes[at + k] !== prefix[k]) return false;
  return true;
}

const TYPE_KEY = Buffer.from('"type"');
const RECORD_TYPE = Buffer.from('"RECORD"');
const STREAM_KEY = Buffer.from('"stream"');
const RECORD_KEY = Buffer.from('"record"');

/**
 * Reads the envelope of a RECORD line on bytes: the members before the `record` object, which must
 * include `"type":"RECORD"` and the stream name (in any order, spaces allowed, as Python's json.dumps
 * writes them; see needsStream). Lines in any other shape (the record before the stream, an escaped or non-ASCII stream
 * name) are left to the full parse.
 */
export class RecordEnvelope {
  /**
   * @param needsStream false when the caller knows the stream already (the runtime writing a record it
   * took in earlier): then the record object may also come before the stream name.
   */
  constructor(private readonly needsStream = true) {}

  /** The stream name of the last line read ('' when not needed and not before the record), and where its record object's `{` is. */
  stream = '';
  open = -1;
  /** The envelope of the last line read, up to the record's `{`: a line that starts with it is of the same stream. */
  private last: Buffer = Buffer.alloc(0);

  /** True when the line at [start, end) is a RECORD line in a usual shape; `stream` and `open` are then set. */
  read(bytes: Buffer, start: number, end: number): boolean {
    const last = this.last;
    if (last.length > 0 && startsWith(bytes, start, last) && start + last.length < end) {
      this.open = start + last.length - 1;
      return true;
    }
    if (bytes[start] !== OPEN_BRACE) return false;
    let isRecord = false;
    let stream: string | undefined;
    let i = skipSpaces(bytes, start + 1, end);
    for (;;) {
      if (bytes[i] !== QUOTE) return false;
      const keyEnd = stringEnd(bytes, i, end);
      if (keyEnd < 0) return false;
      let j = skipSpaces(bytes, keyEnd, end);
      if (bytes[j] !== COLON) return false;
      j = skipSpaces(bytes, j + 1, end);
      const key = keyEnd - i === 8 ? (startsWith(bytes, i, RECORD_KEY) ? 'record' : startsWith(bytes, i, STREAM_KEY) ? 'stream' : '') : keyEnd - i === 6 && startsWith(bytes, i, TYPE_KEY) ? 'type' : '';
      if (key === 'record') {
        if (!isRecord || (stream === undefined && this.needsStream) || bytes[j] !== OPEN_BRACE) return false;
        this.stream = stream ?? '';
        this.open = j;
        this.last = Buffer.from(bytes.subarray(start, j + 1));
        return true;
      }
      const valueStop = bytes[j] === QUOTE ? stringEnd(bytes, j, end) : valueEnd(bytes, j, end);
      if (valueStop < 0) return false;
      if (key === 'type') {
        if (valueStop - j !== RECORD_TYPE.length || !startsWith(bytes, j, RECORD_TYPE)) return false;
        isRecord = true;
      } else if (key === 'stream') {
        if (bytes[j] !== QUOTE || lastStringEscaped || !lastStringAscii || valueStop - j < 3) return false;
        stream = bytes.toString('latin1', j + 1, valueStop - 1);
      }
      i = skipSpaces(bytes, valueStop, end);
      if (bytes[i] !== COMMA) return false;
      i = skipSpaces(bytes, i + 1, end);
    }
  }
}
