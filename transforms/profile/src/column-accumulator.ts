/**
 * Everything the profile learns about one column from every row, in bounded memory. Each figure here is
 * exact over the whole stream, except where a sketch is named: quantiles (KLL) and, once a column has
 * more than `trackedValues` distinct values, its distinct count (KMV). Figures that need the column's
 * type (invalid values, text, email, list and datetime statistics) come from the row sample instead,
 * because the type is only known once the sample is complete.
 */
import { decodeSpan, stringifyExact } from '@tapline/protocol';
import { startsWith } from '@tapline/transform-base';
import { FrequencyCounter, MinMaxAccumulator, MomentsAccumulator, NullRunAccumulator, QuantileSketch, isMissingValue } from '@tapline/transform-core';
import { DistinctSketch, hashAsciiBytes, hashNumber, hashString } from './distinct-sketch.js';
import { isCanonicalJson, jsonNumberAt, numberOfText } from './value-bytes.js';

/** k of the quantile sketch: a rank error of at most 0.37% over all quantiles at 99% confidence. */
export const QUANTILE_SKETCH_K = 1000;

/** Hash tags: they keep kinds of value apart (1 vs "1"). */
export const TAG_STRING = 1;
const TAG_BOOLEAN = 2;
export const TAG_STRUCTURED = 3;
const TAG_BIG_INTEGER = 4;
const HASH_TRUE = hashString('t', TAG_BOOLEAN);
const HASH_FALSE = hashString('f', TAG_BOOLEAN);

/** Canonical object and array texts remembered per column, and the longest remembered: 64 KiB a column at most. */
const CANONICAL_TEXTS_KEPT = 256;
const CANONICAL_TEXT_MAX_BYTES = 256;

const QUOTE = 34;
const MINUS = 45;

/** Only strings that start or end with a blank or a quote can be missing (isMissingValue strips those). */
function mayBeMissing(first: number, last: number): boolean {
  return first <= 32 || first === 34 || first === 39 || last <= 32 || last === 34 || last === 39;
}

/** Number() reads nothing finite from text that starts with a letter. */
function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function sameText(text: string, bytes: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let k = 0; k < text.length; k += 1) if (text.charCodeAt(k) !== bytes[start + k]) return false;
  return true;
}

export class ColumnAccumulator {
  readonly nulls = new NullRunAccumulator();
  readonly moments = new MomentsAccumulator();
  readonly extent = new MinMaxAccumulator();
  readonly quantiles: QuantileSketch;
  readonly frequencies: FrequencyCounter;
  /** Fed only once `frequencies` overflows, starting with everything it had tracked. */
  distinct: DistinctSketch | undefined;
  /** Non-missing values that are JSON numbers or strings that read as a plain number. */
  numericCount = 0;
  /** Non-missing values that are objects or arrays: counted only in the sample (hashing them costs a stringify). */
  structuredCount = 0;
  /** Hash of the last value added, or -1 when it was missing: the row's duplicate hash is built from these. */
  lastHash = -1;
  /** This column's salt in the row hash (its name's hash), so equal values in different columns differ. */
  readonly rowSalt: number;
  /**
   * While `frequencies` counts exactly: each distinct string read from bytes, by its hash, so a value
   * seen before is counted without making a new string (and the counter hashes a string it knows).
   */
  private readonly interned = new Map<number, string>();
  /** Object and array texts found canonical (see addSpan), by hash: a value seen before skips the check. */
  private readonly canonicalTexts = new Map<number, Buffer>();

  constructor(name: string, trackedValues: number, seed: number, precedingNulls = 0) {
    this.rowSalt = (hashString(name) * 4294967296) >>> 0;
    this.frequencies = new FrequencyCounter(trackedValues);
    this.quantiles = new QuantileSketch(QUANTILE_SKETCH_K, seed);
    for (let i = 0; i < precedingNulls; i += 1) this.nulls.add(true);
  }

  /** Returns whether the value is missing (the caller tracks complete rows). */
  add(value: unknown): boolean {
    if (value === null || value === undefined) return this.addNull();
    switch (typeof value) {
      case 'number':
        return Number.isNaN(value) ? this.addNull() : this.addJsonNumber(value);
      case 'string': {
        const first = value.charCodeAt(0);
        if ((value.length === 0 || mayBeMissing(first, value.charCodeAt(value.length - 1))) && isMissingValue(value)) return this.addNull();
        this.nulls.add(false);
        // Decimal strings (`singer.decimal`, "7530.81"): Number() reads plain ones; thousands commas,
        // currencies and percents do not read, and the column then takes its numbers from the sample.
        // Skip text that starts with a letter (most text does); anything else, including leading blanks
        // of any kind, Number() is asked.
        if (!isLetter(first)) this.addNumber(Number(value));
        this.count(value, (this.lastHash = hashString(value, TAG_STRING)));
        return false;
      }
      case 'boolean':
        return this.addBoolean(value);
      case 'bigint':
        // An integer beyond 2^53, read exactly (parseExact, decodeSpan).
        return Number.isSafeInteger(Number(value)) ? this.addJsonNumber(Number(value)) : this.addBigInteger(value);
      default:
        // JSON.stringify, not the key-sorted form: 4x cheaper; the same object with its keys reordered then
        // counts as a different row in the estimated duplicate count (the exact tier sorts keys). Bigints
        // inside keep their digits, as the line's canonical text has them.
        return this.addStructured(hashString(stringifyExact(value), TAG_STRUCTURED));
    }
  }

  /**
   * add() for the value at [start, end) of a RECORD line the protocol's RecordCodec scanned (valid JSON,
   * top-level strings printable ASCII without escapes), read from the bytes where they tell everything
   * add() needs and decoded where they do not.
   */
  addSpan(bytes: Buffer, start: number, end: number): boolean {
    const first = bytes[start] as number;
    if (first === QUOTE) return this.addPlainString(bytes, start + 1, end - 1, hashAsciiBytes(bytes, start + 1, end - 1, TAG_STRING));
    if (first === MINUS || (first >= 48 && first <= 57)) {
      const x = jsonNumberAt(bytes, start, end);
      return x > Number.MAX_SAFE_INTEGER || x < -Number.MAX_SAFE_INTEGER ? this.addLargeNumber(bytes, start, end, x) : this.addJsonNumber(x);
    }
    if (first === 110 /* null */) return this.addNull();
    if (first === 116 /* true */ || first === 102 /* false */) return this.addBoolean(first === 116);
    // An object or an array: its bytes are the JSON.stringify text add() would hash, when canonical.
    const hash = hashAsciiBytes(bytes, start, end, TAG_STRUCTURED);
    const known = this.canonicalTexts.get(hash);
    if (known === undefined || known.length !== end - start || !startsWith(bytes, start, known)) {
      if (!isCanonicalJson(bytes, start, end)) return this.add(decodeSpan(bytes, start, end));
      if (this.canonicalTexts.size < CANONICAL_TEXTS_KEPT && end - start <= CANONICAL_TEXT_MAX_BYTES) {
        this.canonicalTexts.set(hash, Buffer.from(bytes.subarray(start, end)));
      }
    }
    return this.addStructured(hash);
  }

  addBoolean(value: boolean): boolean {
    this.nulls.add(false);
    this.count(value, (this.lastHash = value ? HASH_TRUE : HASH_FALSE));
    return false;
  }

  /** add(null). */
  addNull(): boolean {
    this.nulls.add(true);
    this.lastHash = -1;
    return true;
  }

  /** add() of a number that is not NaN (a JSON number's value). */
  addJsonNumber(x: number): boolean {
    this.nulls.add(false);
    this.addNumber(x);
    this.count(x, (this.lastHash = hashNumber(x)));
    return false;
  }

  /**
   * add() of the JSON number at [start, end) whose value `x` is beyond 2^53: an integer literal counts by
   * its exact digits (ids one apart past 2^53 are two values, as parseExact reads them), anything else
   * (`1.5e300`) as its double.
   */
  addLargeNumber(bytes: Buffer, start: number, end: number, x: number): boolean {
    const exact = decodeSpan(bytes, start, end);
    return typeof exact === 'bigint' ? this.addBigInteger(exact) : this.addJsonNumber(x);
  }

  /** add() of an integer beyond 2^53: statistics on its nearest double, counts and hashes by its digits. */
  addBigInteger(value: bigint): boolean {
    this.nulls.add(false);
    this.addNumber(Number(value));
    this.count(value, (this.lastHash = hashString(value.toString(), TAG_BIG_INTEGER)));
    return false;
  }

  /** add() of an object or array whose JSON.stringify text hashes (with TAG_STRUCTURED) to `hash`. */
  addStructured(hash: number): boolean {
    this.nulls.add(false);
    this.structuredCount += 1;
    this.lastHash = hash;
    return false;
  }

  /**
   * add() of the string between the quotes at [start, end): printable ASCII, one byte a character;
   * `hash` is its hashAsciiBytes with TAG_STRING.
   */
  addPlainString(bytes: Buffer, start: number, end: number, hash: number): boolean {
    const first = bytes[start] as number;
    if (start === end || mayBeMissing(first, bytes[end - 1] as number)) return this.add(bytes.toString('latin1', start, end));
    this.nulls.add(false);
    if (!isLetter(first)) {
      const x = numberOfText(bytes, start, end);
      this.addNumber(typeof x === 'number' ? x : Number(bytes.toString('latin1', start, end))); // else UNDECIDED
    }
    this.lastHash = hash;
    if (this.distinct !== undefined) this.distinct.add(hash);
    else this.count(this.internedString(bytes, start, end, hash), hash);
    return false;
  }

  private internedString(bytes: Buffer, start: number, end: number, hash: number): string {
    const known = this.interned.get(hash);
    if (known !== undefined && sameText(known, bytes, start, end)) return known;
    const text = bytes.toString('latin1', start, end);
    if (known === undefined) this.interned.set(hash, text);
    return text;
  }

  private addNumber(x: number): void {
    if (!Number.isFinite(x)) return;
    this.numericCount += 1;
    this.moments.add(x);
    this.extent.add(x);
    this.quantiles.add(x);
  }

  private count(value: unknown, hash: number): void {
    if (this.distinct !== undefined) {
      this.distinct.add(hash);
      return;
    }
    this.frequencies.add(value);
    if (this.frequencies.overflowed) {
      // From here on the counter's counts would no longer be exact; a sketch takes over distinct counting.
      const sketch = new DistinctSketch();
      for (const { value: tracked } of this.frequencies.top()) sketch.add(hashOf(tracked));
      sketch.add(hash);
      this.distinct = sketch;
      this.interned.clear();
    }
  }

  /** Whether the value counts (and so count_distinct, top values and mode) are exact. */
  get frequenciesExact(): boolean {
    return this.distinct === undefined && this.structuredCount === 0;
  }

  /** Every non-missing value was a number (or a plain numeric string): moments and sketch cover the column. */
  get numericComplete(): boolean {
    const present = this.nulls.count - this.nulls.nullCount;
    return present > 0 && this.numericCount === present;
  }
}

function hashOf(value: unknown): number {
  if (typeof value === 'number') return hashNumber(value);
  if (typeof value === 'boolean') return value ? HASH_TRUE : HASH_FALSE;
  if (typeof value === 'bigint') return hashString(value.toString(), TAG_BIG_INTEGER);
  return hashString(String(value), TAG_STRING);
}
