/**
 * Finds the top-level members of the `record` object in a RECORD line without parsing the line, so a
 * stage that touches a few columns decodes only those values and splices its results back into the
 * original text. JSON.parse plus JSON.stringify of a 300-byte record cost about 5 µs, more than every
 * other step of a stage together; locating members is a few native indexOf calls and a short loop.
 *
 * It is not a validator: it returns undefined for anything it does not expect (an escaped key, a
 * truncated line, a `record` that is not an object), and the caller then parses the line in full, which
 * reports malformed JSON with its line number as usual.
 */

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i += 1;
  return i;
}

/** Index one past the closing quote of the string opening at `i`, or -1. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const quote = text.indexOf('"', j);
    if (quote === -1) return -1;
    // Count the backslashes before the quote: an odd number escapes it.
    let backslashes = 0;
    let k = quote - 1;
    while (text.charCodeAt(k) === BACKSLASH) {
      backslashes += 1;
      k -= 1;
    }
    if (backslashes % 2 === 0) return quote + 1;
    j = quote + 1;
  }
}

/** Index one past the end of the JSON value starting at `i` (spaces skipped by the caller), or -1. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const code = text.charCodeAt(j);
      if (code === QUOTE) {
        j = stringEnd(text, j);
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
  while (j < text.length) {
    const code = text.charCodeAt(j);
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isSpace(code)) break;
    j += 1;
  }
  return j === i ? -1 : j;
}

/**
 * Scans RECORD lines for a fixed set of columns: for each, where its key and value are in the line (-1
 * when absent). Allocation-free per line (positions go to typed arrays, keys are compared in place),
 * which is what makes it faster than JSON.parse; a key that appears twice resolves to the last, as in
 * JSON.parse.
 */
export class RecordScanner {
  readonly keyStarts: Int32Array;
  readonly valueStarts: Int32Array;
  readonly valueEnds: Int32Array;
  /** Index of the record object's closing brace. */
  close = -1;
  /** Members in the record. */
  members = 0;
  /** Members whose key is not one of the columns. */
  unknownKeys = 0;
  /** Column indexes by the length of their name (an array: looked up for every member of every line). */
  private readonly byLength: (number[] | undefined)[] = [];
  /** Set by scan: true when it stopped at the last wanted column (close and members are then unset). */
  stoppedEarly = false;
  /**
   * What the last lines looked like, so the next one is checked rather than searched: the envelope up to
   * the record's `{`, and per member position the key's JSON text (quotes included) with its column index
   * (-1: not a column). Writers emit every record of a stream with the same envelope and keys in the same
   * order, so one startsWith per member replaces finding the key's end and looking its name up.
   */
  private envelope = '';
  private readonly seenKeys: string[] = [];
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
    columns.forEach((column, index) => {
      // JSON text of the key without quotes: for names without escapes it is the name itself.
      const list = this.byLength[column.length] ?? [];
      list.push(index);
      this.byLength[column.length] = list;
    });
  }

  private match(text: string, keyStart: number, keyEnd: number): number {
    const candidates = this.byLength[keyEnd - keyStart - 2];
    if (candidates === undefined) return -1;
    for (const index of candidates) if (text.startsWith(this.columns[index] as string, keyStart + 1)) return index;
    return -1;
  }

  /** Locate the columns in one line; false when the line is not in the expected shape (parse it instead). */
  scan(text: string): boolean {
    const keyStarts = this.keyStarts;
    keyStarts.fill(-1);
    this.members = 0;
    this.unknownKeys = 0;
    this.stoppedEarly = false;
    let missing = this.columns.length;
    let open: number;
    // The same envelope as the last line puts the record's `{` at the same place (the search below only
    // reads the text before it).
    if (this.envelope !== '' && text.startsWith(this.envelope)) open = this.envelope.length - 1;
    else {
      open = recordObjectStart(text);
      if (open < 0) return false;
      this.envelope = ownCopy(text.slice(0, open + 1));
    }
    let i = skipSpaces(text, open + 1);
    if (text.charCodeAt(i) === CLOSE_BRACE) {
      this.close = i;
      return true;
    }
    const seenKeys = this.seenKeys;
    let member = 0;
    for (;;) {
      if (text.charCodeAt(i) !== QUOTE) return false;
      let keyEnd: number;
      let index: number;
      const seen = seenKeys[member];
      // A learned key holds no quote or backslash, so matching its text means the key ends right after it.
      if (seen !== undefined && text.startsWith(seen, i)) {
        keyEnd = i + seen.length;
        index = this.seenIndexes[member] as number;
        if (index < 0) this.unknownKeys += 1;
      } else {
        keyEnd = stringEnd(text, i);
        if (keyEnd < 0) return false;
        index = this.match(text, i, keyEnd);
        let escaped = false;
        for (let k = i + 1; k < keyEnd - 1; k += 1) {
          if (text.charCodeAt(k) === BACKSLASH) {
            escaped = true;
            break;
          }
        }
        if (index < 0) {
          // An escaped key might still decode to a column name: only JSON.parse can tell.
          if (escaped) return false;
          this.unknownKeys += 1;
        }
        if (!escaped) {
          seenKeys[member] = index >= 0 ? `"${this.columns[index] as string}"` : ownCopy(text.slice(i, keyEnd));
          this.seenIndexes[member] = index;
        }
      }
      let j = keyEnd;
      if (text.charCodeAt(j) !== COLON) {
        j = skipSpaces(text, j);
        if (text.charCodeAt(j) !== COLON) return false;
      }
      j += 1;
      if (isSpace(text.charCodeAt(j))) j = skipSpaces(text, j);
      const end = text.charCodeAt(j) === QUOTE ? stringEnd(text, j) : valueEnd(text, j);
      if (end < 0) return false;
      if (index >= 0) {
        if (keyStarts[index] === -1) missing -= 1;
        keyStarts[index] = i;
        this.valueStarts[index] = j;
        this.valueEnds[index] = end;
        if (missing === 0 && this.stopWhenFound) {
          this.stoppedEarly = true;
          return true;
        }
      }
      this.members += 1;
      member += 1;
      i = end;
      let code = text.charCodeAt(i);
      if (isSpace(code)) {
        i = skipSpaces(text, i);
        code = text.charCodeAt(i);
      }
      if (code === CLOSE_BRACE) {
        this.close = i;
        return true;
      }
      if (code !== COMMA) return false;
      i += 1;
      if (isSpace(text.charCodeAt(i))) i = skipSpaces(text, i);
    }
  }

  /** The decoded value of column `index` in the last scanned line; undefined when absent. */
  value(text: string, index: number): unknown {
    return this.keyStarts[index] === -1 ? undefined : decodeValue(text, this.valueStarts[index] as number, this.valueEnds[index] as number);
  }
}

/** Index of the `{` of a RECORD line's `record` object (it may follow version, stream, ...), or -1. */
function recordObjectStart(text: string): number {
  if (text.charCodeAt(0) !== OPEN_BRACE) return -1;
  let i = skipSpaces(text, 1);
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return -1;
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return -1;
    const isRecord = keyEnd - i === 8 && text.startsWith('"record"', i);
    let j = skipSpaces(text, keyEnd);
    if (text.charCodeAt(j) !== COLON) return -1;
    j = skipSpaces(text, j + 1);
    if (isRecord) return text.charCodeAt(j) === OPEN_BRACE ? j : -1;
    const end = valueEnd(text, j);
    if (end < 0) return -1;
    i = skipSpaces(text, end);
    if (text.charCodeAt(i) !== COMMA) return -1;
    i = skipSpaces(text, i + 1);
  }
}

/** A flat copy of a slice, so that keeping it does not keep the whole line it was cut from. */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Whether Number() may read the text: JSON number characters, no leading zero, a digit after `-` and
 * after `.`, a digit at the end. What passes and is still not a number (`1e5e5`) comes out NaN, and
 * JSON.parse then rejects it with the line's error.
 */
function isPlainNumber(text: string, start: number, end: number): boolean {
  let i = start;
  if (text.charCodeAt(i) === 45) i += 1;
  if (!isDigit(text.charCodeAt(i))) return false;
  if (text.charCodeAt(i) === 48 && i + 1 < end && isDigit(text.charCodeAt(i + 1))) return false;
  for (; i < end; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (!isDigit(text.charCodeAt(i + 1))) return false;
    } else if (!(isDigit(code) || code === 101 || code === 69 || code === 43 || code === 45)) return false;
  }
  return isDigit(text.charCodeAt(end - 1));
}

/** Decode one member's value from its text. */
export function decodeValue(text: string, start: number, end: number): unknown {
  const first = text.charCodeAt(start);
  if (first === QUOTE) {
    const inner = text.slice(start + 1, end - 1);
    return inner.includes('\\') ? (JSON.parse(text.slice(start, end)) as unknown) : inner;
  }
  if (first === 110 /* n */ && end - start === 4) return null;
  if (first === 116 /* t */ && end - start === 4) return true;
  if (first === 102 /* f */ && end - start === 5) return false;
  if ((first === 45 /* - */ || (first >= 48 && first <= 57)) && end - start <= 16) {
    // Integers of up to 15 digits (ids, counts) are exact in a double: add their digits up, no slice.
    const negative = first === 45;
    let i = negative ? start + 1 : start;
    const digits = end - i;
    if (digits > 0 && digits <= 15 && !(digits > 1 && text.charCodeAt(i) === 48)) {
      let x = 0;
      for (; i < end; i += 1) {
        const code = text.charCodeAt(i);
        if (code < 48 || code > 57) break;
        x = x * 10 + (code - 48);
      }
      if (i === end) return negative ? -x : x;
    }
  }
  if ((first === 45 /* - */ || (first >= 48 && first <= 57)) && isPlainNumber(text, start, end)) {
    // Number() reads a JSON number exactly as JSON.parse does, for less than half the cost.
    const x = Number(text.slice(start, end));
    if (x === x) return x;
  }
  return JSON.parse(text.slice(start, end)) as unknown;
}
