/**
 * Outlier detection: the single-column filters (z-score, IQR) and the reference's model-based remover
 * over numeric rows (contamination estimate, PCA above 20 dimensions, local outlier factor or isolation
 * forest). Models are fitted on in-memory rows (a bounded sample of the stream) with `fit`, then score
 * any row with `score`/`isOutlier`, and save their fitted state with `toJSON`.
 */

import { MomentsAccumulator } from './accumulators.js';
import { linearQuantile, sortedNumbers } from './quantiles.js';
import { Mulberry32 } from './seeded-random.js';

export type NumericRow = readonly number[];

/** Bounds the contamination estimate is clamped to. */
export const MIN_CONTAMINATION = 0.025;
export const MAX_CONTAMINATION = 0.15;
/** Share of a row's dimensions that must be out of range for the row to count as out of range. */
export const OUT_OF_RANGE_DIMENSION_SHARE = 0.5;
/** Fences of the contamination estimate and the IQR filter, in IQRs beyond the quartiles. */
export const IQR_FENCE = 1.5;
/** More dimensions than this are reduced to this many principal components first. */
export const PCA_MAX_DIMENSIONS = 20;
/** `auto` uses local outlier factor up to this many dimensions, isolation forest above. */
export const LOF_MAX_DIMENSIONS = 5;
/** The z-score filter keeps values within this many sample standard deviations of the mean. */
export const Z_SCORE_LIMIT = 3;
/** Trees in the isolation forest. */
export const ISOLATION_FOREST_TREES = 100;
/** Rows drawn (without replacement) to grow each isolation tree, as scikit-learn's `max_samples='auto'`. */
export const ISOLATION_TREE_SAMPLE_SIZE = 256;
/** Seed of every model when none is given (the reference's random_state). */
export const DEFAULT_OUTLIER_SEED = 42;

export type OutlierMethod = 'lof' | 'isolation_forest';

function isCompleteRow(row: readonly (number | null | undefined)[]): row is NumericRow {
  return row.every((x) => typeof x === 'number' && Number.isFinite(x));
}

function checkRows(rows: readonly NumericRow[]): number {
  const dimensions = rows[0]?.length ?? 0;
  for (const row of rows) {
    if (row.length !== dimensions) throw new RangeError(`transform-core: rows must all have ${dimensions} values, got one with ${row.length}`);
  }
  return dimensions;
}

export interface ContaminationEstimate {
  /** Rows with at least half their dimensions beyond the IQR fences, over all rows. */
  outOfRangeRate: number;
  /** outOfRangeRate clamped to [MIN_CONTAMINATION, MAX_CONTAMINATION]. */
  rate: number;
}

export function clampContamination(rate: number): number {
  return Math.min(MAX_CONTAMINATION, Math.max(MIN_CONTAMINATION, rate));
}

/**
 * The reference's guess at the share of outliers: per dimension, quartiles by linear interpolation and
 * fences 1.5 IQR beyond them; a row is out of range when at least half its dimensions fall strictly
 * outside; the rate is clamped so a bad guess cannot switch detection off or flag half the data.
 */
export function estimateContamination(rows: readonly NumericRow[]): ContaminationEstimate {
  const dimensions = checkRows(rows);
  if (rows.length === 0 || dimensions === 0) return { outOfRangeRate: 0, rate: MIN_CONTAMINATION };
  const fences = Array.from({ length: dimensions }, (_, d) => {
    const sorted = sortedNumbers(rows.map((row) => row[d] as number));
    const q1 = linearQuantile(sorted, 0.25);
    const q3 = linearQuantile(sorted, 0.75);
    const reach = IQR_FENCE * (q3 - q1);
    return { low: q1 - reach, high: q3 + reach };
  });
  let outOfRange = 0;
  for (const row of rows) {
    let outside = 0;
    row.forEach((x, d) => {
      const fence = fences[d] as { low: number; high: number };
      if (x < fence.low || x > fence.high) outside += 1;
    });
    if (outside / dimensions >= OUT_OF_RANGE_DIMENSION_SHARE) outOfRange += 1;
  }
  const outOfRangeRate = outOfRange / rows.length;
  return { outOfRangeRate, rate: clampContamination(outOfRangeRate) };
}

/** LOF neighbours: n < 10 -> 2; n < 500 -> floor(n/10) + 1; else 20 when contamination <= 0.1, else 35. */
export function lofNeighbourCount(rowCount: number, contamination: number): number {
  if (rowCount < 10) return 2;
  if (rowCount < 500) return Math.floor(rowCount / 10) + 1;
  return contamination <= 0.1 ? 20 : 35;
}

/** `auto`: local outlier factor for at most 5 dimensions (before any PCA), isolation forest above. */
export function chooseOutlierMethod(dimensions: number): OutlierMethod {
  return dimensions <= LOF_MAX_DIMENSIONS ? 'lof' : 'isolation_forest';
}

export interface ZScoreFilterState {
  kind: 'z_score';
  mean: number;
  std: number | null;
  limit: number;
}

/**
 * Keep values with mean - k*std <= x <= mean + k*std (k = 3, sample std). Missing values are kept:
 * they are not outliers, and filling them is the impute stage's job. With fewer than two fitted values
 * there is no spread to judge by and every value is kept.
 */
export class ZScoreFilter {
  private constructor(
    readonly mean: number,
    readonly std: number | null,
    readonly limit: number,
  ) {}

  static fit(values: Iterable<number>, limit = Z_SCORE_LIMIT): ZScoreFilter {
    const moments = new MomentsAccumulator();
    for (const x of values) moments.add(x);
    return ZScoreFilter.fromMoments(moments, limit);
  }

  /** From a streaming accumulator, so the filter can be fitted over a whole stream in constant memory. */
  static fromMoments(moments: MomentsAccumulator, limit = Z_SCORE_LIMIT): ZScoreFilter {
    const std = moments.sampleStd;
    return new ZScoreFilter(moments.mean, Number.isFinite(std) ? std : null, limit);
  }

  get lower(): number {
    return this.std === null ? -Infinity : this.mean - this.limit * this.std;
  }

  get upper(): number {
    return this.std === null ? Infinity : this.mean + this.limit * this.std;
  }

  keep(x: number | null | undefined): boolean {
    if (x === null || x === undefined || Number.isNaN(x)) return true;
    return x >= this.lower && x <= this.upper;
  }

  isOutlier(x: number | null | undefined): boolean {
    return !this.keep(x);
  }

  toJSON(): ZScoreFilterState {
    return { kind: 'z_score', mean: this.mean, std: this.std, limit: this.limit };
  }

  static fromJSON(state: ZScoreFilterState): ZScoreFilter {
    return new ZScoreFilter(state.mean, state.std, state.limit);
  }
}

export interface IqrFilterState {
  kind: 'iqr';
  firstQuartile: number;
  thirdQuartile: number;
  multiplier: number;
}

/** Keep values within [Q1 - 1.5 IQR, Q3 + 1.5 IQR] (quartiles by linear interpolation); missing values are kept. */
export class IqrFilter {
  private constructor(
    readonly firstQuartile: number,
    readonly thirdQuartile: number,
    readonly multiplier: number,
  ) {}

  static fit(values: Iterable<number>, multiplier = IQR_FENCE): IqrFilter {
    const sorted = sortedNumbers(values);
    return new IqrFilter(linearQuantile(sorted, 0.25), linearQuantile(sorted, 0.75), multiplier);
  }

  /** From quartiles computed elsewhere (an ExactQuantiles or a QuantileSketch over the stream). */
  static fromQuartiles(firstQuartile: number, thirdQuartile: number, multiplier = IQR_FENCE): IqrFilter {
    return new IqrFilter(firstQuartile, thirdQuartile, multiplier);
  }

  get lower(): number {
    return this.firstQuartile - this.multiplier * (this.thirdQuartile - this.firstQuartile);
  }

  get upper(): number {
    return this.thirdQuartile + this.multiplier * (this.thirdQuartile - this.firstQuartile);
  }

  keep(x: number | null | undefined): boolean {
    if (x === null || x === undefined || Number.isNaN(x)) return true;
    if (Number.isNaN(this.firstQuartile)) return true; // fitted on nothing
    return x >= this.lower && x <= this.upper;
  }

  isOutlier(x: number | null | undefined): boolean {
    return !this.keep(x);
  }

  toJSON(): IqrFilterState {
    return { kind: 'iqr', firstQuartile: this.firstQuartile, thirdQuartile: this.thirdQuartile, multiplier: this.multiplier };
  }

  static fromJSON(state: IqrFilterState): IqrFilter {
    return new IqrFilter(state.firstQuartile, state.thirdQuartile, state.multiplier);
  }
}

export interface PrincipalComponentsState {
  kind: 'pca';
  mean: number[];
  components: number[][];
  explainedVariance: number[];
}

const POWER_ITERATION_LIMIT = 5000;
const POWER_ITERATION_TOLERANCE = 1e-13;

function dot(a: readonly number[], b: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < a.length; i += 1) total += (a[i] as number) * (b[i] as number);
  return total;
}

function normalise(vector: number[]): number {
  const norm = Math.sqrt(dot(vector, vector));
  if (norm > 0) for (let i = 0; i < vector.length; i += 1) vector[i] = (vector[i] as number) / norm;
  return norm;
}

function orthogonalise(vector: number[], basis: readonly (readonly number[])[]): void {
  // Twice, so rounding left by the first pass does not let earlier components creep back in.
  for (let pass = 0; pass < 2; pass += 1) {
    for (const b of basis) {
      const projection = dot(vector, b);
      for (let i = 0; i < vector.length; i += 1) vector[i] = (vector[i] as number) - projection * (b[i] as number);
    }
  }
}

/**
 * Principal components of the covariance matrix by power iteration (seeded start vectors, each
 * orthogonalised against the components already found). Deterministic for a given input and seed;
 * each component's sign is fixed so its largest-magnitude loading is positive, as scikit-learn does.
 */
export class PrincipalComponents {
  private constructor(
    readonly mean: readonly number[],
    readonly components: readonly (readonly number[])[],
    readonly explainedVariance: readonly number[],
  ) {}

  static fit(rows: readonly NumericRow[], componentCount = PCA_MAX_DIMENSIONS, seed = DEFAULT_OUTLIER_SEED): PrincipalComponents {
    const dimensions = checkRows(rows);
    const n = rows.length;
    const mean = Array.from({ length: dimensions }, (_, d) => (n === 0 ? 0 : rows.reduce((total, row) => total + (row[d] as number), 0) / n));
    const covariance = Array.from({ length: dimensions }, () => new Array<number>(dimensions).fill(0));
    for (const row of rows) {
      const centred = row.map((x, d) => x - (mean[d] as number));
      for (let i = 0; i < dimensions; i += 1) {
        const ci = centred[i] as number;
        const target = covariance[i] as number[];
        for (let j = i; j < dimensions; j += 1) target[j] = (target[j] as number) + ci * (centred[j] as number);
      }
    }
    const divisor = Math.max(n - 1, 1);
    for (let i = 0; i < dimensions; i += 1) {
      for (let j = i; j < dimensions; j += 1) {
        const value = ((covariance[i] as number[])[j] as number) / divisor;
        (covariance[i] as number[])[j] = value;
        (covariance[j] as number[])[i] = value;
      }
    }
    const multiply = (vector: readonly number[]): number[] => covariance.map((row) => dot(row, vector));
    const random = new Mulberry32(seed);
    const components: number[][] = [];
    const variances: number[] = [];
    for (let c = 0; c < Math.min(componentCount, dimensions); c += 1) {
      let vector = Array.from({ length: dimensions }, () => random.next() - 0.5);
      orthogonalise(vector, components);
      normalise(vector);
      for (let iteration = 0; iteration < POWER_ITERATION_LIMIT; iteration += 1) {
        const next = multiply(vector);
        orthogonalise(next, components);
        if (normalise(next) === 0) break; // the rest of the space has no variance: keep the orthogonal start
        const change = 1 - Math.abs(dot(next, vector));
        vector = next;
        if (change < POWER_ITERATION_TOLERANCE) break;
      }
      let largest = 0;
      for (const x of vector) if (Math.abs(x) > Math.abs(largest)) largest = x;
      if (largest < 0) vector = vector.map((x) => -x);
      components.push(vector);
      variances.push(Math.max(0, dot(vector, multiply(vector))));
    }
    return new PrincipalComponents(mean, components, variances);
  }

  /** The row's coordinates along the components. */
  transform(row: NumericRow): number[] {
    const centred = row.map((x, d) => x - (this.mean[d] as number));
    return this.components.map((component) => dot(component, centred));
  }

  toJSON(): PrincipalComponentsState {
    return { kind: 'pca', mean: [...this.mean], components: this.components.map((c) => [...c]), explainedVariance: [...this.explainedVariance] };
  }

  static fromJSON(state: PrincipalComponentsState): PrincipalComponents {
    return new PrincipalComponents(state.mean, state.components, state.explainedVariance);
  }
}

const EULER_GAMMA = 0.5772156649015329;

/** Average path length of an unsuccessful search in a binary search tree of n items: c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** One isolation tree, flat: internal nodes have a feature >= 0, leaves feature -1 and their sample size. */
export interface IsolationTreeState {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  size: number[];
}

export interface IsolationForestState {
  kind: 'isolation_forest';
  sampleSize: number;
  threshold: number;
  trees: IsolationTreeState[];
}

export interface IsolationForestOptions {
  trees?: number;
  sampleSize?: number;
  seed?: number;
}

/**
 * Isolation forest (Liu, Ting, Zhou 2008) as scikit-learn grows it: each tree on min(256, n) rows drawn
 * without replacement, depth limited to ceil(log2(sample)), a random non-constant feature and a uniform
 * threshold per split. Score s(x) = 2^(-E[h(x)] / c(sample)) in (0, 1]; higher is more anomalous.
 * With a contamination rate the threshold is the (1 - rate) quantile of the fitted rows' scores (the
 * rate's share of them scores above it); with `auto` it is 0.5 as in the paper.
 */
export class IsolationForest {
  private trees: IsolationTreeState[] = [];
  private fittedSampleSize = 0;
  private scoreThreshold = 0.5;
  private readonly treeCount: number;
  private readonly maxSampleSize: number;
  private readonly seed: number;

  constructor(options: IsolationForestOptions = {}) {
    this.treeCount = options.trees ?? ISOLATION_FOREST_TREES;
    this.maxSampleSize = options.sampleSize ?? ISOLATION_TREE_SAMPLE_SIZE;
    this.seed = options.seed ?? DEFAULT_OUTLIER_SEED;
  }

  fit(rows: readonly NumericRow[], contamination: number | 'auto' = 'auto'): this {
    checkRows(rows);
    const random = new Mulberry32(this.seed);
    const n = rows.length;
    this.fittedSampleSize = Math.min(this.maxSampleSize, n);
    const maxDepth = Math.ceil(Math.log2(Math.max(this.fittedSampleSize, 2)));
    const indices = Array.from({ length: n }, (_, i) => i);
    this.trees = [];
    for (let t = 0; t < this.treeCount; t += 1) {
      // Partial Fisher-Yates: the first fittedSampleSize slots become a sample without replacement.
      for (let i = 0; i < this.fittedSampleSize; i += 1) {
        const j = i + random.nextInt(n - i);
        [indices[i], indices[j]] = [indices[j] as number, indices[i] as number];
      }
      this.trees.push(growTree(rows, indices.slice(0, this.fittedSampleSize), maxDepth, random));
    }
    if (contamination === 'auto' || n === 0) {
      this.scoreThreshold = 0.5;
    } else {
      this.scoreThreshold = linearQuantile(sortedNumbers(rows.map((row) => this.score(row))), 1 - contamination);
    }
    return this;
  }

  /** The anomaly score s(x) in (0, 1]. */
  score(row: NumericRow): number {
    if (this.trees.length === 0) return 0;
    let total = 0;
    for (const tree of this.trees) total += pathLength(tree, row);
    const normaliser = averagePathLength(this.fittedSampleSize);
    return normaliser === 0 ? 0.5 : 2 ** (-(total / this.trees.length) / normaliser);
  }

  get threshold(): number {
    return this.scoreThreshold;
  }

  isOutlier(row: NumericRow): boolean {
    return this.score(row) > this.scoreThreshold;
  }

  toJSON(): IsolationForestState {
    return { kind: 'isolation_forest', sampleSize: this.fittedSampleSize, threshold: this.scoreThreshold, trees: this.trees };
  }

  static fromJSON(state: IsolationForestState): IsolationForest {
    const forest = new IsolationForest({ trees: state.trees.length, sampleSize: state.sampleSize });
    forest.trees = state.trees;
    forest.fittedSampleSize = state.sampleSize;
    forest.scoreThreshold = state.threshold;
    return forest;
  }
}

function growTree(rows: readonly NumericRow[], sample: number[], maxDepth: number, random: Mulberry32): IsolationTreeState {
  const tree: IsolationTreeState = { feature: [], threshold: [], left: [], right: [], size: [] };
  const dimensions = rows[0]?.length ?? 0;
  const grow = (members: number[], depth: number): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.size.push(members.length);
    if (depth >= maxDepth || members.length <= 1) return node;
    // Features in random order; the first that varies within the node is split on.
    const features = Array.from({ length: dimensions }, (_, d) => d);
    for (let i = 0; i < dimensions; i += 1) {
      const j = i + random.nextInt(dimensions - i);
      [features[i], features[j]] = [features[j] as number, features[i] as number];
      const feature = features[i] as number;
      let min = Infinity;
      let max = -Infinity;
      for (const m of members) {
        const x = (rows[m] as NumericRow)[feature] as number;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      if (max <= min) continue;
      let threshold = min + random.next() * (max - min);
      if (threshold >= max) threshold = min;
      const leftMembers = members.filter((m) => ((rows[m] as NumericRow)[feature] as number) <= threshold);
      const rightMembers = members.filter((m) => ((rows[m] as NumericRow)[feature] as number) > threshold);
      tree.feature[node] = feature;
      tree.threshold[node] = threshold;
      tree.left[node] = grow(leftMembers, depth + 1);
      tree.right[node] = grow(rightMembers, depth + 1);
      return node;
    }
    return node; // every feature constant: a leaf
  };
  grow(sample, 0);
  return tree;
}

function pathLength(tree: IsolationTreeState, row: NumericRow): number {
  let node = 0;
  let depth = 0;
  while ((tree.feature[node] as number) >= 0) {
    const x = row[tree.feature[node] as number] as number;
    node = x <= (tree.threshold[node] as number) ? (tree.left[node] as number) : (tree.right[node] as number);
    depth += 1;
  }
  return depth + averagePathLength(tree.size[node] as number);
}

export interface LocalOutlierFactorState {
  kind: 'lof';
  neighbours: number;
  threshold: number;
  rows: number[][];
  kDistance: number[];
  reachDensity: number[];
  fittedScores: number[];
}

export interface LocalOutlierFactorOptions {
  neighbours: number;
  /** Share of the fitted rows to flag, or `auto` (LOF > 1.5, scikit-learn's default offset). */
  contamination?: number | 'auto';
}

/** scikit-learn adds this to mean reachability distances so duplicate points do not divide by zero. */
const REACHABILITY_EPSILON = 1e-10;

function euclidean(a: NumericRow, b: NumericRow): number {
  let total = 0;
  for (let i = 0; i < a.length; i += 1) {
    const difference = (a[i] as number) - (b[i] as number);
    total += difference * difference;
  }
  return Math.sqrt(total);
}

/**
 * The k nearest rows to a point (Euclidean; by distance, ties by lower row index), exactly as a full
 * scan finds them, but faster: the rows are kept sorted along their widest axis, and the search walks outwards from the
 * point's position on that axis, stopping on each side once the gap along the axis alone exceeds the
 * k-th distance so far (no row beyond can be nearer). Scoring a stream against a few thousand fitted
 * rows is then a few hundred distance computations per row instead of one per fitted row.
 */
export class NearestNeighbourIndex {
  private readonly order: Int32Array;
  private readonly keys: Float64Array;
  /** The rows' coordinates in sorted order, row-major: one block of memory the search walks through. */
  private readonly coordinates: Float64Array;
  private readonly dimensions: number;
  private readonly axis: number;
  /** The k best so far (distance, then row index), kept sorted; reused by every search. */
  private bestDistance = new Float64Array(0);
  private bestIndex = new Int32Array(0);

  constructor(rows: readonly NumericRow[]) {
    const dimensions = rows.length === 0 ? 0 : (rows[0] as NumericRow).length;
    let axis = 0;
    let widest = -1;
    for (let d = 0; d < dimensions; d += 1) {
      let low = Infinity;
      let high = -Infinity;
      for (const row of rows) {
        const x = row[d] as number;
        if (x < low) low = x;
        if (x > high) high = x;
      }
      if (high - low > widest) {
        widest = high - low;
        axis = d;
      }
    }
    this.axis = axis;
    this.dimensions = dimensions;
    const order = Array.from({ length: rows.length }, (_, i) => i);
    order.sort((a, b) => ((rows[a] as NumericRow)[axis] as number) - ((rows[b] as NumericRow)[axis] as number) || a - b);
    this.order = Int32Array.from(order);
    this.keys = Float64Array.from(order, (i) => (rows[i] as NumericRow)[axis] as number);
    this.coordinates = new Float64Array(rows.length * dimensions);
    order.forEach((i, position) => {
      const row = rows[i] as NumericRow;
      for (let d = 0; d < dimensions; d += 1) this.coordinates[position * dimensions + d] = row[d] as number;
    });
  }

  /** The k nearest rows to `point`, skipping row `skip` (-1: none). */
  nearest(point: NumericRow, k: number, skip = -1): { index: number; distance: number }[] {
    const found = this.search(point, k, skip);
    const bestDistance = this.bestDistance;
    const bestIndex = this.bestIndex;
    const result = new Array<{ index: number; distance: number }>(found);
    for (let i = 0; i < found; i += 1) result[i] = { index: bestIndex[i] as number, distance: bestDistance[i] as number };
    return result;
  }

  /**
   * nearest() without building its result: returns how many were found, nearest first in
   * `foundIndexes` and `foundDistances` (valid until the next search). For scoring every row of a stream.
   */
  search(point: NumericRow, k: number, skip = -1): number {
    if (this.bestDistance.length < k + 1) {
      this.bestDistance = new Float64Array(k + 1);
      this.bestIndex = new Int32Array(k + 1);
    }
    const bestDistance = this.bestDistance;
    const bestIndex = this.bestIndex;
    const { keys, order, coordinates, dimensions } = this;
    const size = keys.length;
    const x = point[this.axis] as number;
    // First position whose key is >= x.
    let low = 0;
    let high = size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((keys[middle] as number) < x) low = middle + 1;
      else high = middle;
    }
    let left = low - 1;
    let right = low;
    let found = 0;
    while (left >= 0 || right < size) {
      const limit = found === k ? (bestDistance[k - 1] as number) : Infinity;
      const gapLeft = left >= 0 ? x - (keys[left] as number) : Infinity;
      const gapRight = right < size ? (keys[right] as number) - x : Infinity;
      // A gap equal to the limit may still tie the k-th distance with a lower index: keep going.
      if (gapLeft > limit && gapRight > limit) break;
      const position = gapLeft <= gapRight ? left-- : right++;
      const index = order[position] as number;
      if (index === skip) continue;
      // The same arithmetic as euclidean(), so distances (and ties) are bit-identical to a full scan.
      let total = 0;
      const base = position * dimensions;
      for (let d = 0; d < dimensions; d += 1) {
        const difference = (point[d] as number) - (coordinates[base + d] as number);
        total += difference * difference;
      }
      const distance = Math.sqrt(total);
      if (found === k && (distance > limit || (distance === limit && index > (bestIndex[k - 1] as number)))) continue;
      let at = found;
      while (at > 0) {
        const before = bestDistance[at - 1] as number;
        if (before < distance || (before === distance && (bestIndex[at - 1] as number) < index)) break;
        bestDistance[at] = before;
        bestIndex[at] = bestIndex[at - 1] as number;
        at -= 1;
      }
      bestDistance[at] = distance;
      bestIndex[at] = index;
      if (found < k) found += 1;
    }
    return found;
  }

  get foundIndexes(): Int32Array {
    return this.bestIndex;
  }

  get foundDistances(): Float64Array {
    return this.bestDistance;
  }
}

/**
 * Local outlier factor (Breunig et al. 2000) with exact k-nearest neighbours, as scikit-learn computes
 * it: reach-dist(p, o) = max(k-distance(o), d(p, o)); lrd(p) = 1 / (mean reach-dist + 1e-10); LOF(p) =
 * mean lrd of p's neighbours / lrd(p). Fitting is O(n^2), meant for a bounded sample. Fitted rows are
 * scored leaving themselves out (`fittedScores`); any other row is scored against the fitted rows.
 */
export class LocalOutlierFactor {
  private rows: NumericRow[] = [];
  private kDistance: number[] = [];
  private reachDensity: number[] = [];
  private scores: number[] = [];
  private lofThreshold = 1.5;
  private k: number;
  private readonly contamination: number | 'auto';
  private index: NearestNeighbourIndex | undefined;

  constructor(options: LocalOutlierFactorOptions) {
    this.k = options.neighbours;
    this.contamination = options.contamination ?? 'auto';
  }

  /** Neighbours actually used: at most the fitted rows minus one. */
  get neighbours(): number {
    return this.k;
  }

  fit(rows: readonly NumericRow[]): this {
    checkRows(rows);
    this.rows = rows.map((row) => [...row]);
    this.index = undefined;
    const n = rows.length;
    this.k = Math.max(0, Math.min(this.k, n - 1));
    if (this.k === 0) {
      this.kDistance = [];
      this.reachDensity = [];
      this.scores = rows.map(() => 1);
      return this;
    }
    this.index = new NearestNeighbourIndex(this.rows);
    const index = this.index;
    const neighbourLists = this.rows.map((row, i) => index.nearest(row, this.k, i));
    this.kDistance = neighbourLists.map((list) => (list[list.length - 1] as { distance: number }).distance);
    this.reachDensity = neighbourLists.map((list) => this.densityOf(list));
    this.scores = neighbourLists.map((list, i) => this.factorOf(list, this.reachDensity[i] as number));
    this.lofThreshold = this.contamination === 'auto' ? 1.5 : linearQuantile(sortedNumbers(this.scores), 1 - this.contamination);
    return this;
  }

  private densityOf(list: readonly { index: number; distance: number }[]): number {
    let total = 0;
    for (const { index, distance } of list) total += Math.max(this.kDistance[index] as number, distance);
    return 1 / (total / list.length + REACHABILITY_EPSILON);
  }

  private factorOf(list: readonly { index: number }[], density: number): number {
    let total = 0;
    for (const { index } of list) total += this.reachDensity[index] as number;
    return total / list.length / density;
  }

  /** LOF of each fitted row, computed without the row itself (what the reference's fit_predict flags). */
  get fittedScores(): readonly number[] {
    return this.scores;
  }

  /** Which fitted rows are outliers. */
  get fittedOutliers(): boolean[] {
    return this.scores.map((score) => score > this.lofThreshold);
  }

  /** LOF of any row against the fitted rows; about 1 for inliers, larger for outliers. */
  score(row: NumericRow): number {
    if (this.k === 0) return 1;
    const index = (this.index ??= new NearestNeighbourIndex(this.rows));
    // densityOf and factorOf over the search's arrays (same sums in the same order), allocating nothing.
    const found = index.search(row, this.k);
    const indexes = index.foundIndexes;
    const distances = index.foundDistances;
    let reach = 0;
    for (let i = 0; i < found; i += 1) reach += Math.max(this.kDistance[indexes[i] as number] as number, distances[i] as number);
    const density = 1 / (reach / found + REACHABILITY_EPSILON);
    let total = 0;
    for (let i = 0; i < found; i += 1) total += this.reachDensity[indexes[i] as number] as number;
    return total / found / density;
  }

  get threshold(): number {
    return this.lofThreshold;
  }

  isOutlier(row: NumericRow): boolean {
    return this.score(row) > this.lofThreshold;
  }

  toJSON(): LocalOutlierFactorState {
    return {
      kind: 'lof',
      neighbours: this.k,
      threshold: this.lofThreshold,
      rows: this.rows.map((row) => [...row]),
      kDistance: [...this.kDistance],
      reachDensity: [...this.reachDensity],
      fittedScores: [...this.scores],
    };
  }

  static fromJSON(state: LocalOutlierFactorState): LocalOutlierFactor {
    const lof = new LocalOutlierFactor({ neighbours: state.neighbours });
    lof.rows = state.rows;
    lof.kDistance = state.kDistance;
    lof.reachDensity = state.reachDensity;
    lof.lofThreshold = state.threshold;
    lof.scores = state.fittedScores;
    return lof;
  }
}

export interface OutlierRemoverOptions {
  method?: OutlierMethod | 'auto';
  seed?: number;
}

export interface OutlierRemoverState {
  kind: 'outlier_remover';
  method: OutlierMethod;
  dimensions: number;
  contamination: number;
  pca: PrincipalComponentsState | null;
  model: LocalOutlierFactorState | IsolationForestState;
}

/**
 * The reference's model-based remover over numeric rows. `fit` uses only complete rows: estimate the
 * contamination on them, reduce more than 20 dimensions to 20 principal components, pick LOF (at most
 * 5 original dimensions) or an isolation forest, and fit it with that contamination. `isOutlier`
 * never flags a row with a missing value (such rows are not modelled and are kept).
 */
export class OutlierRemover {
  private fittedMethod: OutlierMethod = 'lof';
  private dimensions = 0;
  private contaminationRate = MIN_CONTAMINATION;
  private pca: PrincipalComponents | undefined;
  private model: LocalOutlierFactor | IsolationForest | undefined;
  private readonly requestedMethod: OutlierMethod | 'auto';
  private readonly seed: number;

  constructor(options: OutlierRemoverOptions = {}) {
    this.requestedMethod = options.method ?? 'auto';
    this.seed = options.seed ?? DEFAULT_OUTLIER_SEED;
  }

  fit(rows: readonly (readonly (number | null | undefined)[])[]): this {
    const complete = rows.filter(isCompleteRow);
    this.dimensions = checkRows(complete);
    this.contaminationRate = estimateContamination(complete).rate;
    this.fittedMethod = this.requestedMethod === 'auto' ? chooseOutlierMethod(this.dimensions) : this.requestedMethod;
    this.pca = this.dimensions > PCA_MAX_DIMENSIONS ? PrincipalComponents.fit(complete, PCA_MAX_DIMENSIONS, this.seed) : undefined;
    const modelled = this.pca ? complete.map((row) => (this.pca as PrincipalComponents).transform(row)) : complete;
    if (this.fittedMethod === 'lof') {
      this.model = new LocalOutlierFactor({ neighbours: lofNeighbourCount(modelled.length, this.contaminationRate), contamination: this.contaminationRate }).fit(modelled);
    } else {
      this.model = new IsolationForest({ seed: this.seed }).fit(modelled, this.contaminationRate);
    }
    return this;
  }

  get method(): OutlierMethod {
    return this.fittedMethod;
  }

  get contamination(): number {
    return this.contaminationRate;
  }

  private project(row: readonly (number | null | undefined)[]): NumericRow | undefined {
    if (!isCompleteRow(row) || row.length !== this.dimensions) return undefined;
    return this.pca ? this.pca.transform(row) : row;
  }

  /** The model's score (LOF, or isolation-forest anomaly score); undefined for a row with missing values. */
  score(row: readonly (number | null | undefined)[]): number | undefined {
    const projected = this.project(row);
    if (projected === undefined || this.model === undefined) return undefined;
    return this.model.score(projected);
  }

  isOutlier(row: readonly (number | null | undefined)[]): boolean {
    const projected = this.project(row);
    if (projected === undefined || this.model === undefined) return false;
    return this.model.isOutlier(projected);
  }

  /** For LOF, the fitted rows' own verdicts (scored leaving themselves out), in the order of the complete rows given to fit. */
  get fittedOutliers(): boolean[] | undefined {
    return this.model instanceof LocalOutlierFactor ? this.model.fittedOutliers : undefined;
  }

  toJSON(): OutlierRemoverState {
    if (this.model === undefined) throw new Error('transform-core: OutlierRemover.toJSON() called before fit()');
    return {
      kind: 'outlier_remover',
      method: this.fittedMethod,
      dimensions: this.dimensions,
      contamination: this.contaminationRate,
      pca: this.pca ? this.pca.toJSON() : null,
      model: this.model.toJSON(),
    };
  }

  static fromJSON(state: OutlierRemoverState): OutlierRemover {
    const remover = new OutlierRemover({ method: state.method });
    remover.fittedMethod = state.method;
    remover.dimensions = state.dimensions;
    remover.contaminationRate = state.contamination;
    remover.pca = state.pca ? PrincipalComponents.fromJSON(state.pca) : undefined;
    remover.model = state.model.kind === 'lof' ? LocalOutlierFactor.fromJSON(state.model) : IsolationForest.fromJSON(state.model);
    return remover;
  }
}
