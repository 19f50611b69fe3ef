import { describe, expect, it } from 'vitest';
import {
  ExactQuantiles,
  FrequencyCounter,
  MinMaxAccumulator,
  MomentsAccumulator,
  Mulberry32,
  NullRunAccumulator,
  QuantileSketch,
  computeColumnStatistics,
  linearQuantile,
  medianOfSorted,
  nearestQuantile,
  type NumericStatistics,
} from '../src/index.js';

/** JSON round trip, as a fitted stage would save and load its state. */
const roundTrip = <T>(state: T): T => JSON.parse(JSON.stringify(state)) as T;

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
}

/** Skewed, shifted random data: exponential draws plus an offset, so mean and skew are far from 0. */
function randomData(count: number, seed: number): number[] {
  const random = new Mulberry32(seed);
  return Array.from({ length: count }, () => 1000 - 50 * Math.log(1 - random.next()));
}

function batch(values: number[]): { mean: number; sampleStd: number; populationStd: number; skew: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let m2 = 0;
  let m3 = 0;
  for (const x of values) {
    m2 += (x - mean) ** 2;
    m3 += (x - mean) ** 3;
  }
  return {
    mean,
    sampleStd: Math.sqrt(m2 / (n - 1)),
    populationStd: Math.sqrt(m2 / n),
    skew: ((n * Math.sqrt(n - 1)) / (n - 2)) * (m3 / m2 ** 1.5),
  };
}

describe('MomentsAccumulator', () => {
  it.each([3, 10, 1000, 100_000])('equals the two-pass batch formulas on %i random values (1e-9 relative)', (count) => {
    const values = randomData(count, count);
    const moments = new MomentsAccumulator();
    for (const x of values) moments.add(x);
    const expected = batch(values);
    expect(moments.count).toBe(count);
    expect(relativeError(moments.mean, expected.mean)).toBeLessThan(1e-9);
    expect(relativeError(moments.sampleStd, expected.sampleStd)).toBeLessThan(1e-9);
    expect(relativeError(moments.populationStd, expected.populationStd)).toBeLessThan(1e-9);
    expect(relativeError(moments.skew, expected.skew)).toBeLessThan(1e-9);
  });

  it('agrees with the profile statistics (pandas definitions)', () => {
    const values = randomData(5000, 11);
    const moments = new MomentsAccumulator();
    for (const x of values) moments.add(x);
    const numeric = computeColumnStatistics('x', values, 'number_with_decimals').numeric as NumericStatistics;
    expect(relativeError(moments.mean, numeric.average)).toBeLessThan(1e-9);
    expect(relativeError(moments.sampleStd, numeric.std as number)).toBeLessThan(1e-9);
    expect(relativeError(moments.skew, numeric.skew as number)).toBeLessThan(1e-9);
    expect(relativeError(moments.sum, numeric.sum)).toBeLessThan(1e-12);
  });

  it('known values: [1, 2, 3, 10] has skew 1.7636 (pandas), sample std 4.0825', () => {
    const moments = new MomentsAccumulator();
    for (const x of [1, 2, 3, 10]) moments.add(x);
    expect(moments.skew).toBeCloseTo(1.763632614803888, 12);
    expect(moments.sampleStd).toBeCloseTo(4.08248290463863, 12);
    expect(moments.populationStd).toBeCloseTo(3.5355339059327378, 12);
  });

  it('merging partitions equals one pass over everything', () => {
    const values = randomData(30_000, 5);
    const whole = new MomentsAccumulator();
    for (const x of values) whole.add(x);
    const parts = [values.slice(0, 7), values.slice(7, 20_000), values.slice(20_000)].map((part) => {
      const moments = new MomentsAccumulator();
      for (const x of part) moments.add(x);
      return moments;
    });
    const merged = (parts[0] as MomentsAccumulator).merge(parts[1] as MomentsAccumulator).merge(parts[2] as MomentsAccumulator).merge(new MomentsAccumulator());
    expect(merged.count).toBe(whole.count);
    expect(relativeError(merged.mean, whole.mean)).toBeLessThan(1e-12);
    expect(relativeError(merged.sampleStd, whole.sampleStd)).toBeLessThan(1e-9);
    expect(relativeError(merged.skew, whole.skew)).toBeLessThan(1e-9);
    expect(new MomentsAccumulator().merge(whole).toJSON()).toEqual(whole.toJSON());
  });

  it('edge cases follow pandas: NaN skew below 3 values, 0 for constants, NaN std when empty', () => {
    const moments = new MomentsAccumulator();
    expect(moments.mean).toBeNaN();
    expect(moments.sampleStd).toBeNaN();
    moments.add(5);
    moments.add(5);
    expect(moments.skew).toBeNaN();
    moments.add(5);
    expect(moments.skew).toBe(0);
    moments.add(Number.NaN);
    expect(moments.count).toBe(3);
  });

  it('state round-trips through JSON and keeps accumulating identically', () => {
    const values = randomData(2000, 9);
    const straight = new MomentsAccumulator();
    const saved = new MomentsAccumulator();
    values.slice(0, 1000).forEach((x) => {
      straight.add(x);
      saved.add(x);
    });
    const restored = MomentsAccumulator.fromJSON(roundTrip(saved.toJSON()));
    values.slice(1000).forEach((x) => {
      straight.add(x);
      restored.add(x);
    });
    expect(restored.toJSON()).toEqual(straight.toJSON());
  });
});

describe('MomentsAccumulator with values near the largest double', () => {
  const stats = (values: number[], order: number[] = values.map((_, i) => i)) => {
    const moments = new MomentsAccumulator();
    for (const i of order) moments.add(values[i] as number);
    return moments;
  };

  it('gives the figures of the same data at a normal scale, multiplied back bit for bit', () => {
    const data = randomData(500, 11).map((x, i) => (i % 2 === 0 ? x : -x / 3));
    const base = stats(data);
    for (const power of [700, 1000 - 10]) {
      const huge = data.map((x) => x * 2 ** power);
      expect(huge.every(Number.isFinite)).toBe(true);
      const scaled = stats(huge);
      expect(scaled.mean).toBe(base.mean * 2 ** power);
      expect(scaled.sampleStd).toBe(base.sampleStd * 2 ** power);
      expect(scaled.populationStd).toBe(base.populationStd * 2 ** power);
      expect(scaled.skew).toBe(base.skew);
      // Merged halves, and a JSON round trip mid-stream, as for unscaled data.
      const merged = stats(huge.slice(0, 200)).merge(MomentsAccumulator.fromJSON(roundTrip(stats(huge.slice(200)).toJSON())));
      expect(relativeError(merged.sampleStd, scaled.sampleStd)).toBeLessThan(1e-12);
      expect(relativeError(merged.skew, scaled.skew)).toBeLessThan(1e-9);
    }
  });

  it('keeps a finite mean and std with a 1.8e308 sentinel among ordinary values, in any order', () => {
    const values = [...randomData(99, 5), Number.MAX_VALUE];
    const first = stats(values, [99, ...Array.from({ length: 99 }, (_, i) => i)]);
    const last = stats(values);
    for (const moments of [first, last]) {
      expect(relativeError(moments.mean, Number.MAX_VALUE / 100)).toBeLessThan(1e-12);
      // The sentinel dominates: sum of squared deviations ~ MAX^2 * 99/100, over 99: std ~ MAX / 10.
      expect(relativeError(moments.sampleStd, Number.MAX_VALUE / 10)).toBeLessThan(1e-9);
      expect(moments.skew).toBeCloseTo(10, 6); // one point far out: (n - 2)-corrected skew of n = 100 is 10
    }
    // Opposite signs, whose difference is beyond the largest double.
    const wide = stats([-Number.MAX_VALUE, 0, Number.MAX_VALUE]);
    expect(wide.mean).toBe(0);
    expect(wide.sampleStd).toBe(Number.MAX_VALUE);
    // Only a figure that is itself beyond the largest double is not one: MAX * sqrt(2) here.
    expect(stats([-Number.MAX_VALUE, Number.MAX_VALUE]).sampleStd).toBe(Infinity);
    const spread = stats([-1e308, 0, 1e308, Number.MAX_VALUE]);
    expect(relativeError(spread.mean, Number.MAX_VALUE / 4)).toBeLessThan(1e-12);
    expect(relativeError(spread.sampleStd, 1.2143277228365667e308)).toBeLessThan(1e-12);
    // Unscaled data is untouched: no scale in the saved state.
    expect(stats([1, 2, 3]).toJSON()).not.toHaveProperty('scale');
  });
});

describe('MinMaxAccumulator', () => {
  it('tracks extremes, merges and round-trips', () => {
    const a = new MinMaxAccumulator();
    expect(a.min).toBeUndefined();
    [3, -2, 7, Number.NaN].forEach((x) => a.add(x));
    const b = new MinMaxAccumulator();
    b.add(10);
    a.merge(b);
    expect([a.min, a.max, a.count]).toEqual([-2, 10, 4]);
    expect(MinMaxAccumulator.fromJSON(roundTrip(a.toJSON())).toJSON()).toEqual(a.toJSON());
    expect(MinMaxAccumulator.fromJSON(roundTrip(new MinMaxAccumulator().toJSON())).min).toBeUndefined();
  });
});

describe('NullRunAccumulator', () => {
  const feed = (flags: string): NullRunAccumulator => {
    const accumulator = new NullRunAccumulator();
    for (const flag of flags) accumulator.add(flag === 'n');
    return accumulator;
  };

  it('finds the longest run of nulls, leading runs included', () => {
    expect(feed('nnnnvnv').longestRun).toBe(4);
    expect(feed('vnnvnnnnnv').longestRun).toBe(5);
    expect(feed('vvv').longestRun).toBe(0);
    expect(feed('nnvnv').firstValueNull).toBe(true);
    expect(feed('vnn').firstValueNull).toBe(false);
    expect(feed('vnnv').nullRate).toBe(0.5);
  });

  it('merging in order joins runs across the boundary', () => {
    const cases = ['vnn|nnv', 'nnn|nnv', 'vnv|nnn', '|nnv', 'nn|', 'n|n|n', 'vnnn|v|nn'];
    for (const layout of cases) {
      const parts = layout.split('|').map(feed);
      const merged = parts.slice(1).reduce((acc, part) => acc.merge(part), parts[0] as NullRunAccumulator);
      expect(merged.toJSON()).toEqual(feed(layout.replace(/\|/g, '')).toJSON());
    }
  });

  it('round-trips through JSON', () => {
    const accumulator = feed('nvnnvn');
    const restored = NullRunAccumulator.fromJSON(roundTrip(accumulator.toJSON()));
    restored.add(true);
    accumulator.add(true);
    expect(restored.toJSON()).toEqual(accumulator.toJSON());
  });
});

describe('ExactQuantiles', () => {
  it('gives numpy quantiles and the pandas median', () => {
    const quantiles = new ExactQuantiles();
    [9, 1, 8, 2, 7, 3, 6, 4, 5, 100].forEach((x) => quantiles.add(x));
    expect(quantiles.median).toBe(5.5);
    expect(quantiles.quantile(0.25)).toBe(3.25); // numpy.quantile(..., 0.25)
    expect(quantiles.quantile(0.25, 'nearest')).toBe(3);
    expect(quantiles.quantile(0.75, 'nearest')).toBe(8);
    expect(quantiles.rank(5)).toBe(0.5);
    const other = new ExactQuantiles();
    other.add(0);
    quantiles.merge(other);
    expect(quantiles.count).toBe(11);
    expect(ExactQuantiles.fromJSON(roundTrip(quantiles.toJSON())).quantile(0.1)).toBe(quantiles.quantile(0.1));
  });

  it('nearest rounds half positions to the even index, like numpy', () => {
    // numpy.quantile(range(1, n + 1), q, method='nearest') for n = 3 and n = 7
    expect(nearestQuantile([1, 2, 3], 0.25)).toBe(1);
    expect(nearestQuantile([1, 2, 3], 0.75)).toBe(3);
    expect(nearestQuantile([1, 2, 3, 4, 5, 6, 7], 0.25)).toBe(3);
    expect(nearestQuantile([1, 2, 3, 4, 5, 6, 7], 0.75)).toBe(5);
    expect(linearQuantile([1, 2, 3, 4], 0.75)).toBe(3.25);
    expect(medianOfSorted([1, 2, 3, 4])).toBe(2.5);
  });
});

describe('QuantileSketch (KLL)', () => {
  const bound = QuantileSketch.rankErrorBound(200, 'all');

  it('documents its bound: 1.65% for all queries, 1.33% for one, at k = 200', () => {
    expect(bound).toBeCloseTo(0.0165, 3);
    expect(QuantileSketch.rankErrorBound(200, 'single')).toBeCloseTo(0.0133, 3);
  });

  function maxRankError(sketch: QuantileSketch, sorted: Float64Array): number {
    const n = sorted.length;
    const countAtMost = (x: number): number => {
      let low = 0;
      let high = n;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if ((sorted[middle] as number) <= x) low = middle + 1;
        else high = middle;
      }
      return low;
    };
    let worst = 0;
    for (let i = 1; i < 1000; i += 1) {
      const q = i / 1000;
      // The returned value's true rank interval is [rank - 1, rank] / n for distinct values.
      const trueRank = countAtMost(sketch.quantile(q));
      const error = Math.max(0, q - trueRank / n, (trueRank - 1) / n - q);
      worst = Math.max(worst, error);
      const x = sorted[Math.floor(q * n)] as number;
      worst = Math.max(worst, Math.abs(sketch.rank(x) - countAtMost(x) / n));
    }
    return worst;
  }

  it.each([
    ['random order', 'random'],
    ['ascending', 'ascending'],
    ['descending', 'descending'],
  ])('stays within its rank error on 1M values in %s', (_, order) => {
    const n = 1_000_000;
    const random = new Mulberry32(2024);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i += 1) values[i] = random.next() * 1000;
    const sorted = Float64Array.from(values).sort();
    const stream = order === 'random' ? values : order === 'ascending' ? sorted : Float64Array.from(sorted).reverse();
    const sketch = new QuantileSketch(200, 1);
    for (const x of stream) sketch.add(x);
    expect(sketch.count).toBe(n);
    expect(sketch.min).toBe(sorted[0]);
    expect(sketch.max).toBe(sorted[n - 1]);
    expect(sketch.retained).toBeLessThan(3 * 200 + 8 * 20);
    expect(maxRankError(sketch, sorted)).toBeLessThanOrEqual(bound);
  });

  it('is deterministic for a seed, and merged sketches stay within the bound', () => {
    const random = new Mulberry32(77);
    const values = Array.from({ length: 200_000 }, () => random.next());
    const a = new QuantileSketch(200, 3);
    const b = new QuantileSketch(200, 3);
    for (const x of values) {
      a.add(x);
      b.add(x);
    }
    expect(a.toJSON()).toEqual(b.toJSON());
    const parts = [0, 1, 2, 3].map((p) => {
      const sketch = new QuantileSketch(200, p);
      for (const x of values.slice(p * 50_000, (p + 1) * 50_000)) sketch.add(x);
      return sketch;
    });
    const merged = parts.slice(1).reduce((acc, part) => acc.merge(part), parts[0] as QuantileSketch);
    expect(merged.count).toBe(200_000);
    expect(maxRankError(merged, Float64Array.from(values).sort())).toBeLessThanOrEqual(bound);
  });

  it('is exact while everything fits, and round-trips through JSON mid-stream', () => {
    const small = new QuantileSketch(200, 0);
    [5, 1, 4, 2, 3].forEach((x) => small.add(x));
    expect([small.quantile(0), small.quantile(0.5), small.quantile(1), small.rank(2)]).toEqual([1, 3, 5, 0.4]);
    const random = new Mulberry32(5);
    const values = Array.from({ length: 50_000 }, () => random.next());
    const straight = new QuantileSketch(100, 9);
    const saved = new QuantileSketch(100, 9);
    values.slice(0, 20_000).forEach((x) => {
      straight.add(x);
      saved.add(x);
    });
    const restored = QuantileSketch.fromJSON(roundTrip(saved.toJSON()));
    values.slice(20_000).forEach((x) => {
      straight.add(x);
      restored.add(x);
    });
    expect(restored.toJSON()).toEqual(straight.toJSON());
    expect(new QuantileSketch().quantile(0.5)).toBeNaN();
  });

  it('counts finite values and keeps their exact min and max, through merges and JSON', () => {
    const empty = new QuantileSketch(100, 1);
    expect([empty.count, empty.min, empty.max]).toEqual([0, undefined, undefined]);
    expect(roundTrip(empty.toJSON())).toMatchObject({ count: 0, min: null, max: null });
    const a = new QuantileSketch(100, 1);
    const b = new QuantileSketch(100, 2);
    [3, Number.NaN, -7.5, Infinity, 12].forEach((x) => a.add(x));
    [40, -Infinity, 0.5].forEach((x) => b.add(x));
    expect([a.count, a.min, a.max, a.quantile(0), a.quantile(1)]).toEqual([3, -7.5, 12, -7.5, 12]);
    a.merge(b).merge(empty);
    expect([a.count, a.min, a.max, a.rank(-8), a.rank(40)]).toEqual([5, -7.5, 40, 0, 1]);
    const restored = QuantileSketch.fromJSON(roundTrip(a.toJSON()));
    expect([restored.count, restored.min, restored.max]).toEqual([5, -7.5, 40]);
    expect(restored.toJSON()).toEqual(a.toJSON());
    expect(() => a.quantile(1.5)).toThrow(/quantile must be within \[0, 1\], got 1.5/);
  });
});

describe('FrequencyCounter', () => {
  it('counts exactly and finds the mode, lowest value on ties', () => {
    const counter = new FrequencyCounter();
    ['b', 'a', 'b', 'a', 'c'].forEach((x) => counter.add(x));
    expect(counter.mode()).toEqual({ value: 'a', count: 2 });
    expect(counter.count('c')).toBe(1);
    expect(counter.top(2)).toEqual([
      { value: 'a', count: 2 },
      { value: 'b', count: 2 },
    ]);
  });

  it('top(n) is the first n of the full ranking, ties by lowest value, for any n', () => {
    const random = new Mulberry32(8);
    for (let round = 0; round < 60; round += 1) {
      const counter = new FrequencyCounter();
      const spread = 1 + Math.floor(random.next() * 40);
      for (let i = 0; i < 150; i += 1) {
        const x = Math.floor(random.next() * spread);
        counter.add(random.next() < 0.3 ? `s${x}` : random.next() < 0.1 ? [x] : x);
      }
      const ranking = counter.top();
      for (const n of [0, 1, 2, 5, 20, ranking.length - 1, ranking.length]) expect(counter.top(n)).toEqual(ranking.slice(0, n));
      expect(counter.mode()).toEqual(ranking[0]);
    }
  });

  it('keeps 1, "1" and true apart, and counts false and 0 like any value', () => {
    const counter = new FrequencyCounter();
    [1, '1', true, false, false, 0, 0, 0].forEach((x) => counter.add(x));
    expect(counter.distinctCount).toBe(5);
    expect(counter.mode()).toEqual({ value: 0, count: 3 });
  });

  it('with a cap of 255: exact up to 255 distinct values, overflow at the 256th (the category rule)', () => {
    const counter = new FrequencyCounter(255);
    for (let i = 0; i < 255; i += 1) counter.add(`v${i}`);
    counter.add('v0');
    expect(counter.overflowed).toBe(false);
    expect(counter.distinctCount).toBe(255);
    expect(counter.mode()).toEqual({ value: 'v0', count: 2 });
    counter.add('v255');
    expect(counter.overflowed).toBe(true);
    expect(counter.distinctCount).toBe(255);
    expect(counter.total).toBe(257);
    expect(counter.mode()).toBeUndefined();
    expect(counter.count('v0')).toBe(2);
  });

  it('merges and round-trips through JSON', () => {
    const a = new FrequencyCounter(3);
    const b = new FrequencyCounter(3);
    ['x', 'y', 'x'].forEach((v) => a.add(v));
    ['x', 'z', 'w', 'q'].forEach((v) => b.add(v));
    a.merge(b);
    expect(a.count('x')).toBe(3);
    expect(a.total).toBe(7);
    expect(a.overflowed).toBe(true);
    const restored = FrequencyCounter.fromJSON(roundTrip(a.toJSON()));
    expect(restored.toJSON()).toEqual(a.toJSON());
    const unlimited = FrequencyCounter.fromJSON(roundTrip(new FrequencyCounter().toJSON()));
    expect(unlimited.cap).toBe(Infinity);
  });
});
