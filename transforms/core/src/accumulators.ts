/**
 * Streaming accumulators: one value at a time, bounded memory (except ExactQuantiles, which is for data
 * known to fit), so transform stages can fit statistics on unbounded streams. Each one saves its state
 * with `toJSON()` and restores it with the static `fromJSON()`, so a fitted stage can be persisted and
 * resumed; `merge()` combines two accumulators as if one had seen both inputs (the argument's input
 * coming after this one's, which matters only for NullRunAccumulator).
 */

import { Mulberry32 } from './seeded-random.js';
import { checkQuantile, linearQuantile, medianOfSorted, nearestQuantile, sortNumberRange, sortNumbersInPlace } from './quantiles.js';
import { compareValues, detachValue, plainJsonEqual, plainJsonHash, stableStringify } from './value-identity.js';

/** pandas zeroes central-moment sums below this before computing skew, to absorb rounding error. */
const FLOATING_POINT_NOISE = 1e-14;

/** Bias-corrected sample skewness (pandas `Series.skew`) from the count and central-moment sums. */
export function skewFromMoments(count: number, m2: number, m3: number): number {
  if (count < 3) return Number.NaN;
  const sum2 = Math.abs(m2) < FLOATING_POINT_NOISE ? 0 : m2;
  const sum3 = Math.abs(m3) < FLOATING_POINT_NOISE ? 0 : m3;
  if (sum2 === 0) return 0;
  return ((count * Math.sqrt(count - 1)) / (count - 2)) * (sum3 / sum2 ** 1.5);
}

/** Neumaier-compensated running sum: exact-looking totals over millions of values. */
class CompensatedSum {
  constructor(
    public high = 0,
    public low = 0,
  ) {}

  add(x: number): void {
    const total = this.high + x;
    this.low += Math.abs(this.high) >= Math.abs(x) ? this.high - total + x : x - total + this.high;
    this.high = total;
  }

  get value(): number {
    return this.high + this.low;
  }
}

export interface MomentsState {
  kind: 'moments';
  count: number;
  mean: number;
  m2: number;
  m3: number;
  sum: [number, number];
  /** The power of two the mean and moment sums are held multiplied by; absent when 1. */
  scale?: number;
}

/**
 * Values beyond this magnitude are held scaled down by a power of two: n * x^3 must stay a finite double
 * (2^300 cubed is 2^900, below the largest double's 2^1024 with room for 2^53 values).
 */
const MOMENTS_SAFE = 2 ** 300;

/**
 * Count, mean and the second and third central-moment sums, updated online (Welford's update extended
 * to the third moment by Terriberry) and merged with the pairwise formulas of Chan et al. and Pébay.
 * Gives the mean, sample and population standard deviation and pandas' bias-corrected skew. Values
 * that are not finite numbers are ignored.
 *
 * Huge values (a sentinel of 1.8e308, say) would overflow the squares and cubes, and the difference of two
 * such values of opposite signs. Once a value beyond 2^300 arrives, everything is held multiplied by a
 * power of two (`scale`) that brings it within range; the results are divided back. Powers of two scale
 * exactly, so up to that point, and for any stream without such values, the figures are bit for bit those
 * of the unscaled computation.
 */
export class MomentsAccumulator {
  private n = 0;
  private mu = 0;
  private sum2 = 0;
  private sum3 = 0;
  private scale = 1;
  private readonly total = new CompensatedSum();

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    let v = x * this.scale;
    if (Math.abs(v) > MOMENTS_SAFE) {
      this.rescale(this.scale * 2 ** -Math.ceil(Math.log2(Math.abs(v) / MOMENTS_SAFE)));
      v = x * this.scale;
    }
    const before = this.n;
    this.n += 1;
    const delta = v - this.mu;
    const deltaN = delta / this.n;
    const term = delta * deltaN * before;
    this.mu += deltaN;
    this.sum3 += term * deltaN * (this.n - 2) - 3 * deltaN * this.sum2;
    this.sum2 += term;
    this.total.add(x);
  }

  /** Hold everything multiplied by `scale` (a smaller power of two than now) instead. */
  private rescale(scale: number): void {
    const factor = scale / this.scale;
    this.mu *= factor;
    this.sum2 *= factor * factor;
    this.sum3 *= factor * factor * factor;
    this.scale = scale;
  }

  merge(other: MomentsAccumulator): this {
    if (other.n === 0) return this;
    if (this.n === 0) {
      this.n = other.n;
      this.mu = other.mu;
      this.sum2 = other.sum2;
      this.sum3 = other.sum3;
      this.scale = other.scale;
      this.total.high = other.total.high;
      this.total.low = other.total.low;
      return this;
    }
    if (other.scale < this.scale) this.rescale(other.scale);
    const factor = this.scale / other.scale;
    const otherMu = other.mu * factor;
    const otherSum2 = other.sum2 * factor * factor;
    const otherSum3 = other.sum3 * factor * factor * factor;
    const na = this.n;
    const nb = other.n;
    const n = na + nb;
    const delta = otherMu - this.mu;
    const sum3 =
      this.sum3 + otherSum3 + (delta ** 3 * na * nb * (na - nb)) / (n * n) + (3 * delta * (na * otherSum2 - nb * this.sum2)) / n;
    this.sum2 = this.sum2 + otherSum2 + (delta * delta * na * nb) / n;
    this.sum3 = sum3;
    this.mu += (delta * nb) / n;
    this.n = n;
    this.total.add(other.total.high);
    this.total.add(other.total.low);
    return this;
  }

  get count(): number {
    return this.n;
  }

  /** NaN when empty. */
  get mean(): number {
    return this.n === 0 ? Number.NaN : this.mu / this.scale;
  }

  get sum(): number {
    return this.total.value;
  }

  /** Sum of squared deviations from the mean (Infinity when that exceeds the largest double). */
  get m2(): number {
    return this.sum2 / this.scale / this.scale;
  }

  /** Sum of cubed deviations from the mean (±Infinity when that exceeds the largest double). */
  get m3(): number {
    return this.sum3 / this.scale / this.scale / this.scale;
  }

  /** Variance with `ddof` degrees of freedom removed (1: sample, 0: population); NaN when undefined. */
  variance(ddof: 0 | 1 = 1): number {
    return this.scaledVariance(ddof) / this.scale / this.scale;
  }

  private scaledVariance(ddof: 0 | 1): number {
    return this.n - ddof <= 0 ? Number.NaN : Math.max(this.sum2, 0) / (this.n - ddof);
  }

  /** The standard deviations are taken before scaling back, so a variance beyond the largest double still gives one. */
  get sampleStd(): number {
    return Math.sqrt(this.scaledVariance(1)) / this.scale;
  }

  get populationStd(): number {
    return Math.sqrt(this.scaledVariance(0)) / this.scale;
  }

  /** pandas' skew: NaN below three values, 0 for a constant column. Scaling does not change it. */
  get skew(): number {
    return skewFromMoments(this.n, this.sum2, this.sum3);
  }

  toJSON(): MomentsState {
    const state: MomentsState = { kind: 'moments', count: this.n, mean: this.mu, m2: this.sum2, m3: this.sum3, sum: [this.total.high, this.total.low] };
    if (this.scale !== 1) state.scale = this.scale;
    return state;
  }

  static fromJSON(state: MomentsState): MomentsAccumulator {
    const accumulator = new MomentsAccumulator();
    accumulator.n = state.count;
    accumulator.mu = state.mean;
    accumulator.sum2 = state.m2;
    accumulator.sum3 = state.m3;
    accumulator.scale = state.scale ?? 1;
    accumulator.total.high = state.sum[0];
    accumulator.total.low = state.sum[1];
    return accumulator;
  }
}

export interface MinMaxState {
  kind: 'min_max';
  count: number;
  min: number | null;
  max: number | null;
}

/** Smallest and largest finite number seen. */
export class MinMaxAccumulator {
  private n = 0;
  private low = Infinity;
  private high = -Infinity;

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    this.n += 1;
    if (x < this.low) this.low = x;
    if (x > this.high) this.high = x;
  }

  merge(other: MinMaxAccumulator): this {
    this.n += other.n;
    this.low = Math.min(this.low, other.low);
    this.high = Math.max(this.high, other.high);
    return this;
  }

  get count(): number {
    return this.n;
  }

  /** undefined when empty. */
  get min(): number | undefined {
    return this.n === 0 ? undefined : this.low;
  }

  get max(): number | undefined {
    return this.n === 0 ? undefined : this.high;
  }

  toJSON(): MinMaxState {
    return { kind: 'min_max', count: this.n, min: this.n === 0 ? null : this.low, max: this.n === 0 ? null : this.high };
  }

  static fromJSON(state: MinMaxState): MinMaxAccumulator {
    const accumulator = new MinMaxAccumulator();
    accumulator.n = state.count;
    accumulator.low = state.min ?? Infinity;
    accumulator.high = state.max ?? -Infinity;
    return accumulator;
  }
}

export interface NullRunState {
  kind: 'null_runs';
  count: number;
  nullCount: number;
  longestRun: number;
  leadingRun: number;
  trailingRun: number;
}

/**
 * Null bookkeeping in arrival order: how many values and nulls, the longest run of consecutive nulls
 * (the reference's max_null_seq, which sequential imputation is limited by) and whether the first value
 * was null (forward fill has nothing to carry into a leading gap).
 */
export class NullRunAccumulator {
  private n = 0;
  private nulls = 0;
  private longest = 0;
  private leading = 0;
  private trailing = 0;

  add(isNull: boolean): void {
    if (isNull) {
      if (this.nulls === this.n) this.leading += 1;
      this.nulls += 1;
      this.trailing += 1;
      if (this.trailing > this.longest) this.longest = this.trailing;
    } else {
      this.trailing = 0;
    }
    this.n += 1;
  }

  /** Append `other`'s values after this one's. */
  merge(other: NullRunAccumulator): this {
    const allNull = this.nulls === this.n;
    const otherAllNull = other.nulls === other.n;
    this.longest = Math.max(this.longest, other.longest, this.trailing + other.leading);
    if (allNull) this.leading = this.n + other.leading;
    this.trailing = otherAllNull ? this.trailing + other.n : other.trailing;
    this.n += other.n;
    this.nulls += other.nulls;
    return this;
  }

  get count(): number {
    return this.n;
  }

  get nullCount(): number {
    return this.nulls;
  }

  get nullRate(): number {
    return this.n === 0 ? 0 : this.nulls / this.n;
  }

  get longestRun(): number {
    return this.longest;
  }

  get firstValueNull(): boolean {
    return this.leading > 0;
  }

  toJSON(): NullRunState {
    return { kind: 'null_runs', count: this.n, nullCount: this.nulls, longestRun: this.longest, leadingRun: this.leading, trailingRun: this.trailing };
  }

  static fromJSON(state: NullRunState): NullRunAccumulator {
    const accumulator = new NullRunAccumulator();
    accumulator.n = state.count;
    accumulator.nulls = state.nullCount;
    accumulator.longest = state.longestRun;
    accumulator.leading = state.leadingRun;
    accumulator.trailing = state.trailingRun;
    return accumulator;
  }
}

export type QuantileMethod = 'linear' | 'nearest';

export interface ExactQuantilesState {
  kind: 'exact_quantiles';
  values: number[];
}

/** Every value kept, sorted on demand: exact quantiles for data that fits in memory (a fitted sample). */
export class ExactQuantiles {
  private values: number[] = [];
  private sorted = true;

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    const last = this.values[this.values.length - 1];
    if (last !== undefined && x < last) this.sorted = false;
    this.values.push(x);
  }

  merge(other: ExactQuantiles): this {
    for (const x of other.values) this.add(x);
    return this;
  }

  private ordered(): number[] {
    if (!this.sorted) {
      sortNumbersInPlace(this.values);
      this.sorted = true;
    }
    return this.values;
  }

  get count(): number {
    return this.values.length;
  }

  /** numpy's `linear` (default) or `nearest` quantile; NaN when empty. */
  quantile(q: number, method: QuantileMethod = 'linear'): number {
    const values = this.ordered();
    return method === 'linear' ? linearQuantile(values, q) : nearestQuantile(values, q);
  }

  get median(): number {
    return medianOfSorted(this.ordered());
  }

  /** Share of values <= x. */
  rank(x: number): number {
    const values = this.ordered();
    if (values.length === 0) return Number.NaN;
    let low = 0;
    let high = values.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((values[middle] as number) <= x) low = middle + 1;
      else high = middle;
    }
    return low / values.length;
  }

  toJSON(): ExactQuantilesState {
    return { kind: 'exact_quantiles', values: [...this.ordered()] };
  }

  static fromJSON(state: ExactQuantilesState): ExactQuantiles {
    const quantiles = new ExactQuantiles();
    for (const x of state.values) quantiles.add(x);
    return quantiles;
  }
}

export interface QuantileSketchState {
  kind: 'kll';
  k: number;
  count: number;
  min: number | null;
  max: number | null;
  levels: number[][];
  randomState: number;
}

/** Narrowest a KLL level gets, whatever its depth (as in Apache DataSketches). */
const KLL_MIN_LEVEL_WIDTH = 8;
/** How fast level capacities shrink going down from the top level. */
const KLL_CAPACITY_DECAY = 2 / 3;

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const result = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) result[k++] = (a[i] as number) <= (b[j] as number) ? (a[i++] as number) : (b[j++] as number);
  while (i < a.length) result[k++] = a[i++] as number;
  while (j < b.length) result[k++] = b[j++] as number;
  return result;
}

/**
 * A KLL quantile sketch (Karnin, Lang, Liberty 2016) laid out like Apache DataSketches' KLL: level h
 * holds items of weight 2^h; when the sketch is full, the lowest level at capacity is sorted and every
 * other item (from a random offset) is promoted, the rest dropped. Capacities shrink by 2/3 per level
 * below the top, with a floor of 8, so it keeps about 3k items however many it sees.
 *
 * Rank-error bound: with parameter k, the normalised rank error is at most `rankErrorBound(k)` with
 * 99% confidence: 2.296 / k^0.9723 for any single query, 2.446 / k^0.9433 for all queries at once
 * (DataSketches' empirical fits for this algorithm). k = 200 (the default): 1.33% and 1.65%.
 * min and max are exact. Compaction coin flips come from a seeded mulberry32, so a given input order and
 * seed always gives the same sketch.
 */
export class QuantileSketch {
  static readonly DEFAULT_K = 200;

  /** The normalised rank error bound (99% confidence) for k, for one query or for all queries at once. */
  static rankErrorBound(k: number = QuantileSketch.DEFAULT_K, scope: 'single' | 'all' = 'all'): number {
    return scope === 'single' ? 2.296 / k ** 0.9723 : 2.446 / k ** 0.9433;
  }

  private levels: number[][] = [[]];
  /** The count of values and the exact min and max. */
  private extent = new MinMaxAccumulator();
  private retainedCount = 0;
  private random: Mulberry32;
  private view: { values: number[]; cumulative: number[] } | undefined;

  constructor(
    readonly k: number = QuantileSketch.DEFAULT_K,
    seed = 0,
  ) {
    if (!Number.isInteger(k) || k < KLL_MIN_LEVEL_WIDTH) throw new RangeError(`transform-core: KLL k must be an integer >= ${KLL_MIN_LEVEL_WIDTH}, got ${k}`);
    this.random = new Mulberry32(seed);
  }

  /**
   * Level capacities depend only on the number of levels, so they are computed once per level count
   * (add and compress are hot), with their total.
   */
  private capacityList: number[] = [];
  private capacityTotal = 0;

  private capacities(): number[] {
    const count = this.levels.length;
    if (this.capacityList.length !== count) {
      const list: number[] = [];
      let total = 0;
      for (let level = 0; level < count; level += 1) {
        const depth = count - level - 1;
        const capacity = Math.max(KLL_MIN_LEVEL_WIDTH, Math.round(this.k * KLL_CAPACITY_DECAY ** depth));
        list.push(capacity);
        total += capacity;
      }
      this.capacityList = list;
      this.capacityTotal = total;
    }
    return this.capacityList;
  }

  private totalCapacity(): number {
    this.capacities();
    return this.capacityTotal;
  }

  add(x: number): void {
    if (!Number.isFinite(x)) return;
    this.view = undefined;
    this.extent.add(x);
    (this.levels[0] as number[]).push(x);
    this.retainedCount += 1;
    if (this.retainedCount >= this.totalCapacity()) this.compress();
  }

  /**
   * Compacts the lowest level at capacity into the one above. Done in place (no array per compaction):
   * the level keeps only its odd item, and the promoted items are merged into the next level from the
   * back, taking the next level's item first on ties, as a forward merge would.
   */
  private compress(): void {
    const capacities = this.capacities();
    let level = 0;
    while (level < this.levels.length - 1 && (this.levels[level] as number[]).length < (capacities[level] as number)) level += 1;
    if (level === this.levels.length - 1) this.levels.push([]);
    const items = this.levels[level] as number[];
    // With an odd count one item stays behind at its weight; level 0 is in arrival order, so the oldest.
    const first = items.length % 2;
    if (level === 0) sortNumberRange(items, first, items.length);
    const offset = this.random.next() < 0.5 ? 0 : 1;
    const promotedCount = (items.length - first - offset + 1) >> 1;
    const above = this.levels[level + 1] as number[];
    let i = above.length - 1;
    let j = first + offset + 2 * (promotedCount - 1);
    let k = above.length + promotedCount - 1;
    // Grown by pushing rather than by setting its length, which would leave the array holey (slower).
    for (let added = 0; added < promotedCount; added += 1) above.push(0);
    while (j >= first + offset) {
      const promoted = items[j] as number;
      if (i >= 0 && (above[i] as number) > promoted) {
        above[k] = above[i] as number;
        i -= 1;
      } else {
        above[k] = promoted;
        j -= 2;
      }
      k -= 1;
    }
    this.retainedCount -= items.length - first - promotedCount;
    items.length = first;
  }

  merge(other: QuantileSketch): this {
    if (other.k !== this.k) throw new RangeError(`transform-core: cannot merge KLL sketches with k ${this.k} and ${other.k}`);
    if (other.count === 0) return this;
    this.view = undefined;
    other.levels.forEach((items, level) => {
      if (this.levels[level] === undefined) this.levels[level] = [];
      this.levels[level] = level === 0 ? [...(this.levels[0] as number[]), ...items] : mergeSorted(this.levels[level] as number[], items);
    });
    this.extent.merge(other.extent);
    this.retainedCount += other.retainedCount;
    while (this.retainedCount >= this.totalCapacity()) this.compress();
    return this;
  }

  get count(): number {
    return this.extent.count;
  }

  /** Items held (memory use), about 3k at most. */
  get retained(): number {
    return this.retainedCount;
  }

  get min(): number | undefined {
    return this.extent.min;
  }

  get max(): number | undefined {
    return this.extent.max;
  }

  private sortedView(): { values: number[]; cumulative: number[] } {
    if (this.view) return this.view;
    const pairs: [number, number][] = [];
    this.levels.forEach((items, level) => {
      const weight = 2 ** level;
      for (const x of items) pairs.push([x, weight]);
    });
    pairs.sort((a, b) => a[0] - b[0]);
    const values: number[] = [];
    const cumulative: number[] = [];
    let running = 0;
    for (const [x, weight] of pairs) {
      running += weight;
      values.push(x);
      cumulative.push(running);
    }
    this.view = { values, cumulative };
    return this.view;
  }

  /** Estimated share of values <= x. */
  rank(x: number): number {
    const { count, min, max } = this.extent;
    if (count === 0) return Number.NaN;
    if (x < (min as number)) return 0;
    if (x >= (max as number)) return 1;
    const { values, cumulative } = this.sortedView();
    let low = 0;
    let high = values.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((values[middle] as number) <= x) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? 0 : (cumulative[low - 1] as number) / count;
  }

  /** Estimated q-quantile: the smallest retained item whose estimated rank reaches q; NaN when empty. */
  quantile(q: number): number {
    checkQuantile(q);
    const { count, min, max } = this.extent;
    if (count === 0) return Number.NaN;
    if (q === 0) return min as number;
    if (q === 1) return max as number;
    const { values, cumulative } = this.sortedView();
    const target = q * count;
    let low = 0;
    let high = values.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) >= target) high = middle;
      else low = middle + 1;
    }
    return values[low] as number;
  }

  toJSON(): QuantileSketchState {
    const { count, min, max } = this.extent.toJSON();
    return {
      kind: 'kll',
      k: this.k,
      count,
      min,
      max,
      levels: this.levels.map((items) => [...items]),
      randomState: this.random.state,
    };
  }

  static fromJSON(state: QuantileSketchState): QuantileSketch {
    const sketch = new QuantileSketch(state.k);
    sketch.levels = state.levels.map((items) => [...items]);
    sketch.extent = MinMaxAccumulator.fromJSON({ kind: 'min_max', count: state.count, min: state.min, max: state.max });
    sketch.retainedCount = state.levels.reduce((total, items) => total + items.length, 0);
    sketch.random = Mulberry32.fromState(state.randomState);
    return sketch;
  }
}

export interface ValueCount {
  value: unknown;
  count: number;
}

/** A counted value with its stable JSON text when it is a structure (to compare without rebuilding it). */
interface RankedCount {
  value: unknown;
  count: number;
  text: string | undefined;
}

/** A hash cut to 30 bits, which V8 keeps as a small integer: a Map finds those faster than other numbers. */
function smallHash(hash: number | undefined): number | undefined {
  return hash === undefined ? undefined : hash & 0x3fffffff;
}

/** Highest count first, then the lowest value (compareValues' order). */
function byCountThenValue(a: RankedCount, b: RankedCount): number {
  if (a.count !== b.count) return b.count - a.count;
  if (a.text !== undefined && b.text !== undefined) return a.text < b.text ? -1 : a.text > b.text ? 1 : 0;
  return compareValues(a.value, b.value);
}

/**
 * Puts a copy of `candidate` among `best` (at most `limit` entries, in byCountThenValue order) if it
 * belongs there; after any equal entries, as in a stable sort, so `best` ends as the sorted list's first
 * `limit` exactly.
 */
function offer(best: RankedCount[], limit: number, candidate: RankedCount): void {
  if (best.length === limit) {
    if (byCountThenValue(candidate, best[limit - 1] as RankedCount) >= 0) return;
    best.pop();
  }
  let at = best.length;
  while (at > 0 && byCountThenValue(candidate, best[at - 1] as RankedCount) < 0) at -= 1;
  best.splice(at, 0, { value: candidate.value, count: candidate.count, text: candidate.text });
}

export interface FrequencyCounterState {
  kind: 'frequencies';
  /** null means unlimited. */
  cap: number | null;
  total: number;
  overflowed: boolean;
  entries: [unknown, number][];
}

/**
 * Exact value counts for up to `cap` distinct values. A value first seen after the cap is reached is not
 * tracked and the counter reports `overflowed`; counts of tracked values stay exact (every occurrence
 * after a value's first is counted, and none came before it), but the mode may then be an untracked value,
 * so `mode()` returns undefined. With cap 255 this decides the category/high-cardinality rule in bounded
 * memory. Values are identified by `valueKey` (1, "1" and true are different values).
 */
export class FrequencyCounter {
  /**
   * Primitives keyed by themselves (a Map keeps the number 1, the string "1" and true apart without
   * building a key string per value, which profiling showed dominated `add`); structures (arrays,
   * objects) by their stable JSON text in a map of their own, so no string can collide with them.
   */
  private readonly primitives = new Map<string | number | boolean | null, { value: unknown; count: number }>();
  private readonly structures = new Map<string, { value: unknown; count: number }>();
  /**
   * The structures again, by plainJsonHash of their text parsed back (a private copy, so changes to a
   * counted value do not matter): a plain structure (as JSON.parse builds them, the usual case) is found
   * by hashing and comparing it in place, without building its stable text, which dominated counting a
   * JSON column.
   */
  private readonly structureIndex = new Map<number, { canonical: unknown; entry: { value: unknown; count: number } }[]>();
  private totalCount = 0;
  private overflow = false;

  /**
   * @param cap distinct values tracked at most.
   * @param detachValues copy the strings it keeps (detachString), so that a counter living for a whole
   * run does not keep the lines they were cut from; false for a short-lived counter of values that are
   * kept anyway (a sample), which saves a copy per distinct value.
   */
  constructor(
    readonly cap: number = Infinity,
    private readonly detachValues = true,
  ) {
    if (!(cap >= 0)) throw new RangeError(`transform-core: frequency cap must be >= 0, got ${cap}`);
  }

  private mapFor(value: unknown): [Map<string | number | boolean | null, { value: unknown; count: number }>, string | number | boolean | null] {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return [this.primitives, value];
      case 'number':
        return [this.primitives, Number.isNaN(value) ? null : Object.is(value, -0) ? 0 : value];
      case 'bigint': {
        // A bigint is the number it names; past 2^53 only its digits tell two apart.
        const asNumber = Number(value);
        return Number.isSafeInteger(asNumber) ? [this.primitives, asNumber] : [this.structures as Map<string | number | boolean | null, { value: unknown; count: number }>, `n:${value}`];
      }
      case 'undefined':
        return [this.primitives, null];
      default:
        return value === null ? [this.primitives, null] : [this.structures as Map<string | number | boolean | null, { value: unknown; count: number }>, stableStringify(value)];
    }
  }

  private get counts(): { size: number; values(): IterableIterator<{ value: unknown; count: number }> } {
    const primitives = this.primitives;
    const structures = this.structures;
    return {
      size: primitives.size + structures.size,
      *values() {
        yield* primitives.values();
        yield* structures.values();
      },
    };
  }

  add(value: unknown, count = 1): void {
    this.totalCount += count;
    // The hot path: strings, booleans and (non-zero, non-NaN) numbers are their own keys.
    if (typeof value === 'string' || (typeof value === 'number' && value === value && value !== 0) || typeof value === 'boolean') {
      this.addTo(this.primitives, value, value, count);
      return;
    }
    if (typeof value === 'object' && value !== null) {
      this.addStructure(value, count);
      return;
    }
    const [map, key] = this.mapFor(value);
    this.addTo(map, key, value, count);
  }

  private addStructure(value: object, count: number): void {
    const hash = smallHash(plainJsonHash(value));
    if (hash !== undefined) {
      const found = this.findStructure(hash, value);
      if (found !== undefined) {
        found.count += count;
        return;
      }
      // Not indexed, so new: every tracked structure is indexed (see indexStructure).
    }
    const text = stableStringify(value);
    const entry = this.structures.get(text);
    if (entry) {
      entry.count += count;
    } else if (this.primitives.size + this.structures.size < this.cap) {
      const added = { value, count };
      this.structures.set(text, added);
      this.indexStructure(text, added);
    } else {
      this.overflow = true;
    }
  }

  private findStructure(hash: number, value: unknown): { value: unknown; count: number } | undefined {
    const bucket = this.structureIndex.get(hash);
    if (bucket === undefined) return undefined;
    for (const slot of bucket) if (plainJsonEqual(value, slot.canonical)) return slot.entry;
    return undefined;
  }

  /** Index a tracked structure by its text parsed back, which is plain JSON with that same text. */
  private indexStructure(text: string, entry: { value: unknown; count: number }): void {
    let canonical: unknown;
    try {
      canonical = JSON.parse(text);
    } catch {
      return; // not JSON (an array with holes): no plain structure has this text
    }
    const hash = smallHash(plainJsonHash(canonical));
    if (hash === undefined) return; // deeper than plainJsonHash goes: plain ones that deep are not hashed either
    const bucket = this.structureIndex.get(hash);
    if (bucket === undefined) this.structureIndex.set(hash, [{ canonical, entry }]);
    else bucket.push({ canonical, entry });
  }

  private addTo(map: Map<string | number | boolean | null, { value: unknown; count: number }>, key: string | number | boolean | null, value: unknown, count: number): void {
    const entry = map.get(key);
    if (entry) {
      entry.count += count;
    } else if (this.primitives.size + this.structures.size < this.cap) {
      if (!this.detachValues) {
        map.set(key, { value, count });
        return;
      }
      // Kept for the whole run: detach strings from the line they were cut from.
      const own = detachValue(value);
      map.set(typeof key === 'string' && key === value ? (own as string) : key, { value: own, count });
    } else {
      this.overflow = true;
    }
  }

  /** Adds other's counts; values new to this counter are tracked while there is room. */
  merge(other: FrequencyCounter): this {
    for (const { value, count } of other.counts.values()) this.add(value, count);
    // Occurrences other saw but did not track still count towards the total.
    this.totalCount += other.totalCount - [...other.counts.values()].reduce((sum, entry) => sum + entry.count, 0);
    if (other.overflow) this.overflow = true;
    return this;
  }

  /** Every value added, tracked or not. */
  get total(): number {
    return this.totalCount;
  }

  /** Distinct values tracked: exact unless overflowed (then more than `cap` exist). */
  get distinctCount(): number {
    return this.counts.size;
  }

  get overflowed(): boolean {
    return this.overflow;
  }

  count(value: unknown): number {
    const [map, key] = this.mapFor(value);
    return map.get(key)?.count ?? 0;
  }

  /** Values by count, highest first; equal counts by lowest value (so the order is input-independent). */
  top(limit = Infinity): ValueCount[] {
    const size = this.primitives.size + this.structures.size;
    let best: RankedCount[];
    if (limit >= size || !Number.isInteger(limit) || limit < 0) {
      // Structures compare by their stable JSON text, which is their key here: computed once, not per comparison.
      const ranked: RankedCount[] = [];
      for (const { value, count } of this.primitives.values()) ranked.push({ value, count, text: undefined });
      for (const [text, { value, count }] of this.structures) ranked.push({ value, count, text });
      best = ranked.sort(byCountThenValue).slice(0, limit);
    } else {
      // The mode and the top 20 of 10,000 values: keep the best `limit` in order while passing over the
      // rest once, instead of sorting them all. Entries are offered through one reused object, and
      // copied only when they get in (a sample's column has up to 100,000 distinct values); most are
      // passed over on their count alone.
      best = [];
      if (limit > 0) {
        const candidate: RankedCount = { value: undefined, count: 0, text: undefined };
        for (const entry of this.primitives.values()) {
          if (best.length === limit && entry.count < (best[limit - 1] as RankedCount).count) continue;
          candidate.value = entry.value;
          candidate.count = entry.count;
          offer(best, limit, candidate);
        }
        for (const [text, entry] of this.structures) {
          if (best.length === limit && entry.count < (best[limit - 1] as RankedCount).count) continue;
          candidate.value = entry.value;
          candidate.count = entry.count;
          candidate.text = text;
          offer(best, limit, candidate);
        }
      }
    }
    return best.map(({ value, count }) => ({ value, count }));
  }

  /** The most frequent value, lowest value on ties (top(1)'s); undefined when empty or overflowed. */
  mode(): ValueCount | undefined {
    return this.overflow ? undefined : this.top(1)[0];
  }

  toJSON(): FrequencyCounterState {
    return {
      kind: 'frequencies',
      cap: Number.isFinite(this.cap) ? this.cap : null,
      total: this.totalCount,
      overflowed: this.overflow,
      entries: [...this.counts.values()].map(({ value, count }) => [value, count]),
    };
  }

  static fromJSON(state: FrequencyCounterState): FrequencyCounter {
    const counter = new FrequencyCounter(state.cap ?? Infinity);
    for (const [value, count] of state.entries) {
      const [map, key] = counter.mapFor(value);
      map.set(key, { value, count });
    }
    for (const [text, entry] of counter.structures) counter.indexStructure(text, entry);
    counter.totalCount = state.total;
    counter.overflow = state.overflowed;
    return counter;
  }
}
