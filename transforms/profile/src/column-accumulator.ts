/**
 * Everything the profile learns about one column from every row, in bounded memory. Each figure here is
 * exact over the whole stream, except where a sketch is named: quantiles (KLL) and, once a column has
 * more than `trackedValues` distinct values, its distinct count (KMV). Figures that need the column's
 * type (invalid values, text, email, list and datetime statistics) come from the row sample instead,
 * because the type is only known once the sample is complete.
 */
import { FrequencyCounter, MinMaxAccumulator, MomentsAccumulator, NullRunAccumulator, QuantileSketch, isMissingValue } from '@tapline/transform-core';
import { DistinctSketch, hashNumber, hashString } from './distinct-sketch.js';

/** k of the quantile sketch: a rank error of at most 0.37% over all quantiles at 99% confidence. */
export const QUANTILE_SKETCH_K = 1000;

const TAG_STRING = 1;
const TAG_BOOLEAN = 2;
const TAG_STRUCTURED = 3;

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

  constructor(trackedValues: number, seed: number, precedingNulls = 0) {
    this.frequencies = new FrequencyCounter(trackedValues);
    this.quantiles = new QuantileSketch(QUANTILE_SKETCH_K, seed);
    for (let i = 0; i < precedingNulls; i += 1) this.nulls.add(true);
  }

  /** Returns whether the value is missing (the caller tracks complete rows). */
  add(value: unknown): boolean {
    if (value === null || value === undefined) {
      this.nulls.add(true);
      this.lastHash = -1;
      return true;
    }
    switch (typeof value) {
      case 'number':
        if (Number.isNaN(value)) {
          this.nulls.add(true);
          this.lastHash = -1;
          return true;
        }
        this.nulls.add(false);
        this.addNumber(value);
        this.count(value, (this.lastHash = hashNumber(value)));
        return false;
      case 'string': {
        // Only strings that start or end with a blank or a quote can be missing; skip the regex otherwise.
        const first = value.charCodeAt(0);
        const last = value.charCodeAt(value.length - 1);
        if ((value.length === 0 || first <= 32 || first === 34 || first === 39 || last <= 32 || last === 34 || last === 39) && isMissingValue(value)) {
          this.nulls.add(true);
          this.lastHash = -1;
          return true;
        }
        this.nulls.add(false);
        // Decimal strings (`singer.decimal`, "7530.81"): Number() reads plain ones; thousands commas,
        // currencies and percents do not read, and the column then takes its numbers from the sample.
        // Number() reads nothing finite from text that starts with a letter (skip it: most text does);
        // anything else, including leading blanks of any kind, it is asked.
        const letter = (first >= 65 && first <= 90) || (first >= 97 && first <= 122);
        if (!letter) {
          const x = Number(value);
          if (Number.isFinite(x)) this.addNumber(x);
        }
        this.count(value, (this.lastHash = hashString(value, TAG_STRING)));
        return false;
      }
      case 'boolean':
        this.nulls.add(false);
        this.count(value, (this.lastHash = hashString(value ? 't' : 'f', TAG_BOOLEAN)));
        return false;
      default:
        this.nulls.add(false);
        this.structuredCount += 1;
        // JSON.stringify, not the key-sorted form: 4x cheaper; the same object with its keys reordered then
        // counts as a different row in the estimated duplicate count (the exact tier sorts keys).
        this.lastHash = hashString(JSON.stringify(value), TAG_STRUCTURED);
        return false;
    }
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
  if (typeof value === 'boolean') return hashString(value ? 't' : 'f', TAG_BOOLEAN);
  return hashString(String(value), TAG_STRING);
}
