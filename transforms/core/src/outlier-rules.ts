/**
 * Outlier detection: the single-column filters (z-score, IQR) and the reference's model-based remover
 * over numeric rows (contamination estimate, PCA above 20 dimensions, local outlier factor or isolation
 * forest). Models are fitted on in-memory rows (a bounded sample of the stream) with `fit`, then score
 * any row with `score`/`isOutlier`, and save their fitted state with `toJSON`.
 */

import { MomentsAccumulator } from './accumulators.js';
import { linearQuantile, sortedNumbers } from './quantiles.js';
import { Mulberry32, reservoirSample } from './seeded-random.js';

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
 * The reference's guess at the share of outliers: per dimension, IqrFilter's fences (1.5 IQR beyond
 * quartiles by linear interpolation); a row is out of range when at least half its dimensions fall
 * strictly outside; the rate is clamped so a bad guess cannot switch detection off or flag half the data.
 */
export function estimateContamination(rows: readonly NumericRow[]): ContaminationEstimate {
  const dimensions = checkRows(rows);
  if (rows.length === 0 || dimensions === 0) return { outOfRangeRate: 0, rate: MIN_CONTAMINATION };
  const fences = Array.from({ length: dimensions }, (_, d) => IqrFilter.fit(rows.map((row) => row[d] as number)));
  let outOfRange = 0;
  for (const row of rows) {
    let outside = 0;
    for (let d = 0; d < dimensions; d += 1) if ((fences[d] as IqrFilter).isOutlier(row[d])) outside += 1;
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

/**
 * A single-column filter: keeps values within [lower, upper] (computed once: a stream's every value is
 * compared with them). Missing values are kept: they are not outliers, and filling them is the impute
 * stage's job.
 */
export abstract class BoundsFilter {
  protected constructor(
    readonly lower: number,
    readonly upper: number,
  ) {}

  keep(x: number | null | undefined): boolean {
    if (x === null || x === undefined || Number.isNaN(x)) return true;
    return x >= this.lower && x <= this.upper;
  }

  isOutlier(x: number | null | undefined): boolean {
    return !this.keep(x);
  }
}

export interface ZScoreFilterState {
  kind: 'z_score';
  mean: number;
  std: number | null;
  limit: number;
}

/**
 * Keep values with mean - k*std <= x <= mean + k*std (k = 3, sample std); missing values are kept. With
 * fewer than two fitted values there is no spread to judge by and every value is kept.
 */
export class ZScoreFilter extends BoundsFilter {
  private constructor(
    readonly mean: number,
    readonly std: number | null,
    readonly limit: number,
  ) {
    super(std === null ? -Infinity : mean - limit * std, std === null ? Infinity : mean + limit * std);
  }

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

  toJSON(): ZScoreFilterState {
    return { kind: 'z_score', mean: this.mean, std: this.std, limit: this.limit };
  }

  static fromJSON(state: ZScoreFilterState): ZScoreFilter {
    return new ZScoreFilter(state.mean, state.std, state.limit);
  }
}

export interface IqrFilterState {
  kind: 'iqr';
  /** NaN (null once written as JSON) when fitted on nothing. */
  firstQuartile: number | null;
  thirdQuartile: number | null;
  multiplier: number;
}

/**
 * Keep values within [Q1 - 1.5 IQR, Q3 + 1.5 IQR] (quartiles by linear interpolation); missing values are
 * kept, and every value when fitted on nothing (NaN quartiles).
 */
export class IqrFilter extends BoundsFilter {
  private constructor(
    readonly firstQuartile: number,
    readonly thirdQuartile: number,
    readonly multiplier: number,
  ) {
    const empty = Number.isNaN(firstQuartile);
    super(
      empty ? -Infinity : firstQuartile - multiplier * (thirdQuartile - firstQuartile),
      empty ? Infinity : thirdQuartile + multiplier * (thirdQuartile - firstQuartile),
    );
  }

  static fit(values: Iterable<number>, multiplier = IQR_FENCE): IqrFilter {
    const sorted = sortedNumbers(values);
    return new IqrFilter(linearQuantile(sorted, 0.25), linearQuantile(sorted, 0.75), multiplier);
  }

  /** From quartiles computed elsewhere (an ExactQuantiles or a QuantileSketch over the stream). */
  static fromQuartiles(firstQuartile: number, thirdQuartile: number, multiplier = IQR_FENCE): IqrFilter {
    return new IqrFilter(firstQuartile, thirdQuartile, multiplier);
  }

  toJSON(): IqrFilterState {
    return { kind: 'iqr', firstQuartile: this.firstQuartile, thirdQuartile: this.thirdQuartile, multiplier: this.multiplier };
  }

  static fromJSON(state: IqrFilterState): IqrFilter {
    // A filter fitted on nothing keeps every value; its NaN quartiles come back from JSON as null.
    return new IqrFilter(state.firstQuartile ?? Number.NaN, state.thirdQuartile ?? Number.NaN, state.multiplier);
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
  /** The trees as scoring reads them, made on first use after fitting or restoring. */
  private flat: FlatForest | undefined;
  private point = new Float64Array(0);
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
    this.flat = undefined;
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
    const { links, values, roots } = (this.flat ??= flattenForest(this.trees));
    // The row's values as plain doubles, read a hundred times or so each.
    if (this.point.length !== row.length) this.point = new Float64Array(row.length);
    const point = this.point;
    for (let d = 0; d < row.length; d += 1) point[d] = row[d] as number;
    let total = 0;
    let t = 0;
    // Four trees at a time: each step down a tree waits for the step before, so walking four at once
    // keeps the processor busy. Their path lengths are still added in tree order.
    for (; t + 4 <= roots.length; t += 4) {
      let a = roots[t] as number;
      let b = roots[t + 1] as number;
      let c = roots[t + 2] as number;
      let d = roots[t + 3] as number;
      let fa = links[2 * a] as number;
      let fb = links[2 * b] as number;
      let fc = links[2 * c] as number;
      let fd = links[2 * d] as number;
      while (fa >= 0 || fb >= 0 || fc >= 0 || fd >= 0) {
        if (fa >= 0) {
          a = (links[2 * a + 1] as number) + ((point[fa] as number) <= (values[a] as number) ? 0 : 1);
          fa = links[2 * a] as number;
        }
        if (fb >= 0) {
          b = (links[2 * b + 1] as number) + ((point[fb] as number) <= (values[b] as number) ? 0 : 1);
          fb = links[2 * b] as number;
        }
        if (fc >= 0) {
          c = (links[2 * c + 1] as number) + ((point[fc] as number) <= (values[c] as number) ? 0 : 1);
          fc = links[2 * c] as number;
        }
        if (fd >= 0) {
          d = (links[2 * d + 1] as number) + ((point[fd] as number) <= (values[d] as number) ? 0 : 1);
          fd = links[2 * d] as number;
        }
      }
      total += values[a] as number;
      total += values[b] as number;
      total += values[c] as number;
      total += values[d] as number;
    }
    for (; t < roots.length; t += 1) {
      let node = roots[t] as number;
      for (let feature = links[2 * node] as number; feature >= 0; feature = links[2 * node] as number) {
        node = (links[2 * node + 1] as number) + ((point[feature] as number) <= (values[node] as number) ? 0 : 1);
      }
      total += values[node] as number;
    }
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

/**
 * All trees of a forest in two arrays: per node its feature and first child (`links`, two integers), and
 * its threshold (`values`). A row goes to the first child when its feature value is <= the threshold, else
 * to the one after it (siblings are adjacent; nodes are numbered level by level, so a tree's top levels
 * share a few cache lines). A leaf has feature -1 and, in place of the threshold, its path length h(x):
 * its depth plus c(its sample size), the same sum scoring a row to it would make.
 */
interface FlatForest {
  links: Int32Array;
  values: Float64Array;
  roots: Int32Array;
}

function flattenForest(trees: readonly IsolationTreeState[]): FlatForest {
  const count = trees.reduce((total, tree) => total + tree.feature.length, 0);
  const links = new Int32Array(2 * count);
  const values = new Float64Array(count);
  const roots = new Int32Array(trees.length);
  let next = 0;
  trees.forEach((tree, t) => {
    roots[t] = next;
    // Breadth first: [node in the tree, its number here, its depth] for each node to copy.
    const queue: number[] = [0, next, 0];
    next += 1;
    for (let head = 0; head < queue.length; head += 3) {
      const node = queue[head] as number;
      const at = queue[head + 1] as number;
      const depth = queue[head + 2] as number;
      const feature = tree.feature[node] as number;
      if (feature >= 0) {
        links[2 * at] = feature;
        links[2 * at + 1] = next;
        values[at] = tree.threshold[node] as number;
        queue.push(tree.left[node] as number, next, depth + 1, tree.right[node] as number, next + 1, depth + 1);
        next += 2;
      } else {
        links[2 * at] = -1;
        values[at] = depth + averagePathLength(tree.size[node] as number);
      }
    }
  });
  return { links, values, roots };
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

/**
 * Euclidean distance from `point` to the row of `coordinates` (row-major) that starts at `base`: the
 * squared differences summed in dimension order, then sqrt. Every distance between a point and a row
 * is computed here, so equal distances (ties) are equal to the bit.
 */
function distanceTo(point: Float64Array, coordinates: Float64Array, base: number, dimensions: number): number {
  let total = 0;
  for (let d = 0; d < dimensions; d += 1) {
    const difference = (point[d] as number) - (coordinates[base + d] as number);
    total += difference * difference;
  }
  return Math.sqrt(total);
}

/** A cell is halved once it has been searched this many times, if its candidate list is still long. */
const CELL_SEARCHES_BEFORE_HALVING = 8;
/** A candidate list counts as long above this many rows per neighbour asked for. */
const CANDIDATES_PER_NEIGHBOUR = 2;
/** Candidate list entries (12 bytes each) kept in all: at most this many per row, and at most CANDIDATE_ENTRIES_MAX. */
const CANDIDATE_ENTRIES_PER_ROW = 128;
/**
 * Share of that budget spent at once, halving every long cell breadth first, before any search: a stream
 * in some order (say by a modelled id) would otherwise spend the whole budget on the cells it meets first.
 */
const CANDIDATE_BUDGET_UPFRONT = 0.25;
const CANDIDATE_ENTRIES_MAX = 1 << 20;
/** Cells are halved at most this many times (cells around many equal rows cannot shorten their list). */
const CELL_DEPTH_MAX = 64;

/** The k-th smallest (from 0) of `values`, which it reorders (quickselect). */
function kthSmallest(values: Float64Array, k: number): number {
  let from = 0;
  let to = values.length - 1;
  while (from < to) {
    const pivot = values[(from + to) >>> 1] as number;
    let i = from;
    let j = to;
    while (i <= j) {
      while ((values[i] as number) < pivot) i += 1;
      while ((values[j] as number) > pivot) j -= 1;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) to = j;
    else if (k >= i) from = i;
    else break;
  }
  return values[k] as number;
}

/** A box of the space with the rows that can be among the k nearest of a point in it. */
interface Cell {
  readonly low: Float64Array;
  readonly high: Float64Array;
  readonly depth: number;
  /** Candidates, by lower bound (`bounds`), then row index; emptied once the cell is halved. */
  rows: Int32Array;
  bounds: Float64Array;
  /** Upper bound of the k-th distance from any point of the cell (the (k + 1)-th, when a search skips a row). */
  readonly upper: number;
  /** Every row not among the candidates has a lower bound above this (Infinity: every row is a candidate). */
  readonly reach: number;
  /** Searches that ended here; -1 once the cell will not be halved (short list, or it cannot be). */
  searches: number;
}

/**
 * The k nearest rows to a point (Euclidean; by distance, ties by lower row index), exactly as a full
 * scan finds them, but fast enough to score a stream of millions of points against a few thousand rows.
 *
 * The space is cut into cells, each with a list of candidates: U, an upper bound of the k-th distance
 * from any point of the cell (the (k + 1)-th smallest farthest distance from the cell to a row: one more
 * than k, as a fitted row's search skips itself), and every row whose lower-bound distance from the
 * cell is <= U, sorted by that bound. A search finds the point's cell and walks its list, stopping at the
 * first row whose lower bound is beyond the k-th distance so far. The first cell is the rows' bounding
 * box with every row on its list. Cells whose list is long (over about 2k rows) are halved across their
 * widest side (at the median of the rows inside, else the middle): breadth first up to a quarter of a
 * memory budget when the index is made, then, with the rest, a cell each time it has been searched a
 * few times, so cells are refined where the points searched for are and building costs little more than
 * the searches themselves. In the end a search computes a few dozen distances, nearly in order.
 *
 * A point outside the bounding box is searched from the cell holding the nearest point of the box (every
 * row is inside the box, so the lower bounds still hold); should its k-th distance then exceed U, or
 * more neighbours be asked for than the lists were made for, the search scans every row instead.
 *
 * Why it is exact in floating point: a row's distance is computed by distanceTo() alone, sqrt of
 * the squared differences summed in dimension order. Its lower bound from a cell is the same sum with,
 * per dimension, the gap between the row and the cell's interval (0 inside it); its upper bound the same
 * sum with the farther end of the interval. Subtraction, squaring, adding non-negative terms and sqrt
 * all round monotonically, so the computed bounds never cross the computed distance of any point in the
 * cell. A row is passed over only when its lower bound is strictly above the k-th distance: a row at
 * exactly that distance may still win the tie by a lower index.
 */
export class NearestNeighbourIndex {
  private readonly dimensions: number;
  private readonly size: number;
  /** The rows' coordinates by row index, row-major. */
  private readonly coordinates: Float64Array;
  /** The k the lists are made for; 0: no lists, every search scans. */
  private readonly neighbours: number;
  /**
   * The cell tree, three numbers per node: split, axis, child. A point whose coordinate `axis` is below
   * `split` goes to node `child`, the others to `child + 1`; a leaf has axis -1 and its cell at `cells[child]`.
   * One array, so a search's walk down the tree reads one cache line per level.
   */
  private tree = new Float64Array(0);
  private nodes = 0;
  private readonly cells: Cell[] = [];
  /** Candidate entries held by all lists, and the most they may hold. */
  private entries = 0;
  private readonly budget: number;
  /** The point searched for, copied once so the inner loops read doubles, not array elements. */
  private readonly point: Float64Array;
  /** The k best so far (distance, then row index), kept sorted; reused by every search. */
  private bestDistance = new Float64Array(0);
  private bestIndex = new Int32Array(0);
  /** Room for the bounds of a list being made. */
  private readonly nearScratch: Float64Array;
  private readonly farScratch: Float64Array;

  /** `neighbours`: the k searches will ask for, which the candidate lists are made for (0: none, every search scans). */
  constructor(rows: readonly NumericRow[], neighbours = 0) {
    const size = rows.length;
    const dimensions = size === 0 ? 0 : (rows[0] as NumericRow).length;
    this.size = size;
    this.dimensions = dimensions;
    this.neighbours = neighbours;
    this.point = new Float64Array(dimensions);
    this.coordinates = new Float64Array(size * dimensions);
    rows.forEach((row, i) => {
      for (let d = 0; d < dimensions; d += 1) this.coordinates[i * dimensions + d] = row[d] as number;
    });
    this.budget = Math.min(CANDIDATE_ENTRIES_MAX, CANDIDATE_ENTRIES_PER_ROW * size);
    this.nearScratch = new Float64Array(neighbours > 0 ? size : 0);
    this.farScratch = new Float64Array(neighbours > 0 ? size : 0);
    if (size > 0 && neighbours > 0) {
      const low = new Float64Array(dimensions).fill(Infinity);
      const high = new Float64Array(dimensions).fill(-Infinity);
      for (let i = 0; i < size * dimensions; i += 1) {
        const d = i % dimensions;
        const x = this.coordinates[i] as number;
        if (x < (low[d] as number)) low[d] = x;
        if (x > (high[d] as number)) high[d] = x;
      }
      this.tree = new Float64Array(3 * 64);
      this.nodes = 1;
      this.setLeaf(0, this.cell(low, high, 0, Int32Array.from({ length: size }, (_, i) => i), Infinity));
      const upfront = CANDIDATE_BUDGET_UPFRONT * this.budget;
      const queue = [0];
      for (let head = 0; head < queue.length && this.entries <= upfront; head += 1) {
        const node = queue[head] as number;
        if (this.isLong(node) && this.halve(node)) queue.push(this.tree[3 * node + 2] as number, (this.tree[3 * node + 2] as number) + 1);
      }
    }
  }

  /**
   * The cell [low, high] inside one whose candidates are `rows` (holding every row that can be one here)
   * and whose upper bound is `upper`: its own upper bound is the lower of that and the (k + 1)-th smallest
   * farthest distance from this cell to those rows; its candidates those whose lower bound is within it.
   */
  private cell(low: Float64Array, high: Float64Array, depth: number, rows: Int32Array, upper: number): Cell {
    const { coordinates, dimensions, neighbours } = this;
    const nearest = this.nearScratch;
    const farthest = this.farScratch;
    for (let r = 0; r < rows.length; r += 1) {
      const base = (rows[r] as number) * dimensions;
      let near = 0;
      let far = 0;
      for (let d = 0; d < dimensions; d += 1) {
        const x = coordinates[base + d] as number;
        const from = low[d] as number;
        const to = high[d] as number;
        const gap = x < from ? from - x : x > to ? x - to : 0;
        near += gap * gap;
        const toFrom = Math.abs(from - x);
        const toTo = Math.abs(to - x);
        const reach = toFrom > toTo ? toFrom : toTo;
        far += reach * reach;
      }
      nearest[r] = Math.sqrt(near);
      farthest[r] = Math.sqrt(far);
    }
    if (rows.length > neighbours) upper = Math.min(upper, kthSmallest(farthest.subarray(0, rows.length), neighbours));
    const kept: number[] = [];
    for (let r = 0; r < rows.length; r += 1) if ((nearest[r] as number) <= upper) kept.push(r);
    kept.sort((a, b) => (nearest[a] as number) - (nearest[b] as number) || (rows[a] as number) - (rows[b] as number));
    const candidates = new Int32Array(kept.length);
    const bounds = new Float64Array(kept.length);
    kept.forEach((r, i) => {
      candidates[i] = rows[r] as number;
      bounds[i] = nearest[r] as number;
    });
    this.entries += kept.length;
    const reach = kept.length === this.size ? Infinity : upper;
    return { low, high, depth, rows: candidates, bounds, upper, reach, searches: 0 };
  }

  private setLeaf(node: number, cell: Cell): void {
    this.tree[3 * node] = 0;
    this.tree[3 * node + 1] = -1;
    this.tree[3 * node + 2] = this.cells.length;
    this.cells.push(cell);
  }

  /** Whether leaf `node`'s list is long enough to be worth halving (and it may still be halved). */
  private isLong(node: number): boolean {
    const cell = this.cells[this.tree[3 * node + 2] as number] as Cell;
    return cell.rows.length > CANDIDATES_PER_NEIGHBOUR * (this.neighbours + 1) && cell.depth < CELL_DEPTH_MAX;
  }

  /** Halves leaf `node` across its widest side (at the median of its rows inside it, else the middle); false if it cannot be. */
  private halve(node: number): boolean {
    const cell = this.cells[this.tree[3 * node + 2] as number] as Cell;
    const { dimensions, coordinates } = this;
    let axis = -1;
    let widest = 0;
    for (let d = 0; d < dimensions; d += 1) {
      const side = (cell.high[d] as number) - (cell.low[d] as number);
      if (side > widest) {
        widest = side;
        axis = d;
      }
    }
    if (axis < 0) return false;
    const from = cell.low[axis] as number;
    const to = cell.high[axis] as number;
    const inside: number[] = [];
    for (let r = 0; r < cell.rows.length; r += 1) if (cell.bounds[r] === 0) inside.push(coordinates[(cell.rows[r] as number) * dimensions + axis] as number);
    let split = inside.length >= 2 ? (inside.sort((a, b) => a - b)[inside.length >> 1] as number) : from / 2 + to / 2;
    if (!(split > from && split < to)) split = from / 2 + to / 2;
    if (!(split > from && split < to)) return false;
    const belowHigh = cell.high.slice();
    belowHigh[axis] = split;
    const aboveLow = cell.low.slice();
    aboveLow[axis] = split;
    if (3 * (this.nodes + 2) > this.tree.length) {
      const grown = new Float64Array(2 * this.tree.length);
      grown.set(this.tree);
      this.tree = grown;
    }
    const below = this.nodes;
    this.nodes += 2;
    // The halved cell's slot in `cells` goes to its lower half (its lists are no longer needed).
    const slot = this.tree[3 * node + 2] as number;
    this.cells[slot] = this.cell(cell.low, belowHigh, cell.depth + 1, cell.rows, cell.upper);
    this.tree[3 * below] = 0;
    this.tree[3 * below + 1] = -1;
    this.tree[3 * below + 2] = slot;
    this.setLeaf(below + 1, this.cell(aboveLow, cell.high, cell.depth + 1, cell.rows, cell.upper));
    this.entries -= cell.rows.length;
    this.tree[3 * node] = split;
    this.tree[3 * node + 1] = axis;
    this.tree[3 * node + 2] = below;
    return true;
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
    if (k <= 0 || this.size === 0) return 0;
    const { dimensions, coordinates } = this;
    const query = this.point;
    for (let d = 0; d < dimensions; d += 1) query[d] = point[d] as number;
    if (this.nodes === 0) return this.scan(k, skip);
    // The cell holding the point; outside the bounding box, the cell holding the nearest point of the box.
    let tree = this.tree;
    let node = 0;
    let axis = tree[1] as number;
    for (;;) {
      while (axis >= 0) {
        node = (tree[3 * node + 2] as number) + ((query[axis] as number) < (tree[3 * node] as number) ? 0 : 1);
        axis = tree[3 * node + 1] as number;
      }
      const leaf = this.cells[tree[3 * node + 2] as number] as Cell;
      if (leaf.searches < 0 || ++leaf.searches < CELL_SEARCHES_BEFORE_HALVING) break;
      if (!(this.isLong(node) && this.entries <= this.budget && this.halve(node))) {
        leaf.searches = -1;
        break;
      }
      tree = this.tree; // halving may have grown it
      axis = tree[3 * node + 1] as number;
    }
    const cell = this.cells[tree[3 * node + 2] as number] as Cell;
    const { rows, bounds } = cell;
    const bestDistance = this.bestDistance;
    const bestIndex = this.bestIndex;
    let found = 0;
    let limit = Infinity; // the k-th distance once k rows are found
    for (let entry = 0; entry < rows.length; entry += 1) {
      if ((bounds[entry] as number) > limit) break; // and so are all the rest
      const index = rows[entry] as number;
      if (index === skip) continue;
      const distance = distanceTo(query, coordinates, index * dimensions, dimensions);
      if (found === k && (distance > limit || (distance === limit && index > (bestIndex[k - 1] as number)))) continue;
      found = this.insert(found, k, distance, index);
      if (found === k) limit = bestDistance[k - 1] as number;
    }
    // Every row off the list has a lower bound beyond the reach: exact when the k-th distance is within it.
    if (cell.reach === Infinity || (found === k && limit <= cell.reach)) return found;
    return this.scan(k, skip);
  }

  /** The full scan, for `this.point`. */
  private scan(k: number, skip: number): number {
    const { coordinates, dimensions, size } = this;
    const query = this.point;
    const bestDistance = this.bestDistance;
    let found = 0;
    let limit = Infinity;
    for (let index = 0; index < size; index += 1) {
      if (index === skip) continue;
      const distance = distanceTo(query, coordinates, index * dimensions, dimensions);
      // Rows come in index order, so one at the k-th distance cannot win the tie.
      if (found === k && distance >= limit) continue;
      found = this.insert(found, k, distance, index);
      if (found === k) limit = bestDistance[k - 1] as number;
    }
    return found;
  }

  /** Puts a row among the `found` best (sorted by distance, then index); returns the new count (at most k). */
  private insert(found: number, k: number, distance: number, index: number): number {
    const bestDistance = this.bestDistance;
    const bestIndex = this.bestIndex;
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
    return found < k ? found + 1 : k;
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
    this.index = new NearestNeighbourIndex(this.rows, this.k);
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
    const index = (this.index ??= new NearestNeighbourIndex(this.rows, this.k));
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
  /** Fit LOF on a seeded subsample of at most this many rows (fitting is quadratic); all rows when not given. */
  lofFitRows?: number;
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
  private readonly lofFitRows: number | undefined;

  constructor(options: OutlierRemoverOptions = {}) {
    this.requestedMethod = options.method ?? 'auto';
    this.seed = options.seed ?? DEFAULT_OUTLIER_SEED;
    this.lofFitRows = options.lofFitRows;
  }

  fit(rows: readonly (readonly (number | null | undefined)[])[]): this {
    const complete = rows.filter(isCompleteRow);
    this.dimensions = checkRows(complete);
    this.contaminationRate = estimateContamination(complete).rate;
    this.fittedMethod = this.requestedMethod === 'auto' ? chooseOutlierMethod(this.dimensions) : this.requestedMethod;
    this.pca = this.dimensions > PCA_MAX_DIMENSIONS ? PrincipalComponents.fit(complete, PCA_MAX_DIMENSIONS, this.seed) : undefined;
    const modelled = this.pca ? complete.map((row) => (this.pca as PrincipalComponents).transform(row)) : complete;
    if (this.fittedMethod === 'lof') {
      // reservoirSample keeps every row, in order, when there are no more than lofFitRows.
      const fitted = this.lofFitRows === undefined ? modelled : reservoirSample(modelled, this.lofFitRows, this.seed);
      this.model = new LocalOutlierFactor({ neighbours: lofNeighbourCount(fitted.length, this.contaminationRate), contamination: this.contaminationRate }).fit(fitted);
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

  /**
   * The row as the model takes it (its principal components above 20 dimensions); undefined for a row
   * with a missing value or of other dimensions, which is not modelled.
   */
  project(row: readonly (number | null | undefined)[]): NumericRow | undefined {
    if (!isCompleteRow(row) || row.length !== this.dimensions) return undefined;
    return this.pca ? this.pca.transform(row) : row;
  }

  /** isOutlier() of a row that project() gave. */
  isOutlierProjected(projected: NumericRow): boolean {
    return this.model !== undefined && this.model.isOutlier(projected);
  }

  /** The model's score (LOF, or isolation-forest anomaly score); undefined for a row with missing values. */
  score(row: readonly (number | null | undefined)[]): number | undefined {
    const projected = this.project(row);
    if (projected === undefined || this.model === undefined) return undefined;
    return this.model.score(projected);
  }

  isOutlier(row: readonly (number | null | undefined)[]): boolean {
    const projected = this.project(row);
    return projected !== undefined && this.isOutlierProjected(projected);
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
