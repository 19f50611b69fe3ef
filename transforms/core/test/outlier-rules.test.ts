import { describe, expect, it } from 'vitest';
import {
  IqrFilter,
  IsolationForest,
  LocalOutlierFactor,
  MAX_CONTAMINATION,
  MIN_CONTAMINATION,
  MomentsAccumulator,
  Mulberry32,
  NearestNeighbourIndex,
  OutlierRemover,
  PrincipalComponents,
  ZScoreFilter,
  averagePathLength,
  chooseOutlierMethod,
  estimateContamination,
  lofNeighbourCount,
  reservoirSample,
  type NumericRow,
} from '../src/index.js';

const roundTrip = <T>(state: T): T => JSON.parse(JSON.stringify(state)) as T;

/** Standard normal draws (Box-Muller) from a seeded generator. */
function normals(random: Mulberry32, count: number): number[] {
  return Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next()));
}

function cluster(count: number, dimensions: number, seed: number): number[][] {
  const random = new Mulberry32(seed);
  return Array.from({ length: count }, () => normals(random, dimensions));
}

describe('contamination estimate', () => {
  it('is the share of rows out of range, clamped to [0.025, 0.15]', () => {
    expect([MIN_CONTAMINATION, MAX_CONTAMINATION]).toEqual([0.025, 0.15]);
    const tidy = Array.from({ length: 100 }, (_, i) => [i]);
    expect(estimateContamination(tidy)).toEqual({ outOfRangeRate: 0, rate: 0.025 });
    const rows = [...Array.from({ length: 18 }, (_, i) => [i, i]), [1000, 1000], [-1000, -1000]];
    expect(estimateContamination(rows)).toEqual({ outOfRangeRate: 0.1, rate: 0.1 });
    const wild = [...Array.from({ length: 6 }, (_, i) => [i]), [1e6], [1e6], [-1e6], [-1e6]];
    expect(estimateContamination(wild)).toEqual({ outOfRangeRate: 0.4, rate: 0.15 });
    expect(estimateContamination([]).rate).toBe(0.025);
  });

  it('uses linearly interpolated quartiles (14 is beyond 6.75 + 1.5 * 4.5 = 13.5; nearest-rank would say 14.5)', () => {
    const rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 14].map((x) => [x]);
    expect(estimateContamination(rows).outOfRangeRate).toBe(0.1);
    expect(estimateContamination([0, 1, 2, 3, 4, 5, 6, 7, 8, 13.5].map((x) => [x])).outOfRangeRate).toBe(0);
  });

  it('a row counts when at least half of its dimensions are out of range', () => {
    const base = (dimensions: number): number[][] => Array.from({ length: 19 }, (_, i) => Array.from({ length: dimensions }, () => i));
    const withRow = (row: number[]): number => estimateContamination([...base(row.length), row]).outOfRangeRate;
    expect(withRow([999, 5])).toBe(0.05); // 1 of 2
    expect(withRow([999, 5, 5])).toBe(0); // 1 of 3
    expect(withRow([999, 999, 5])).toBe(0.05); // 2 of 3
    expect(withRow([999, 999, 5, 5])).toBe(0.05); // 2 of 4
  });
});

describe('model choice', () => {
  it('LOF neighbours: n < 10 -> 2; n < 500 -> n/10 + 1; else 20 (rate <= 0.1) or 35', () => {
    expect(lofNeighbourCount(9, 0.05)).toBe(2);
    expect(lofNeighbourCount(10, 0.05)).toBe(2);
    expect(lofNeighbourCount(19, 0.05)).toBe(2);
    expect(lofNeighbourCount(20, 0.05)).toBe(3);
    expect(lofNeighbourCount(499, 0.05)).toBe(50);
    expect(lofNeighbourCount(500, 0.1)).toBe(20);
    expect(lofNeighbourCount(500, 0.11)).toBe(35);
  });

  it('auto: LOF up to 5 dimensions, isolation forest from 6', () => {
    expect(chooseOutlierMethod(1)).toBe('lof');
    expect(chooseOutlierMethod(5)).toBe('lof');
    expect(chooseOutlierMethod(6)).toBe('isolation_forest');
  });
});

describe('ZScoreFilter', () => {
  const values = [2, 4, 4, 4, 5, 5, 7, 9];
  const filter = ZScoreFilter.fit(values);

  it('keeps mean - 3 std <= x <= mean + 3 std with the sample std, bounds included', () => {
    const std = Math.sqrt(32 / 7);
    expect(filter.mean).toBe(5);
    expect(filter.std).toBeCloseTo(std, 12);
    expect(filter.keep(filter.upper)).toBe(true);
    expect(filter.keep(filter.lower)).toBe(true);
    expect(filter.keep(filter.upper + 1e-9)).toBe(false);
    expect(filter.isOutlier(filter.lower - 1e-9)).toBe(true);
  });

  it('keeps missing values, and everything when there is no spread to judge by', () => {
    expect(filter.keep(null)).toBe(true);
    expect(filter.keep(Number.NaN)).toBe(true);
    expect(ZScoreFilter.fit([5]).keep(1e9)).toBe(true);
  });

  it('fits from a streaming accumulator and round-trips', () => {
    const moments = new MomentsAccumulator();
    values.forEach((x) => moments.add(x));
    expect(ZScoreFilter.fromMoments(moments).toJSON()).toEqual(filter.toJSON());
    expect(ZScoreFilter.fromJSON(roundTrip(filter.toJSON())).upper).toBe(filter.upper);
  });
});

describe('IqrFilter', () => {
  it('keeps [Q1 - 1.5 IQR, Q3 + 1.5 IQR] with linear quartiles, fences included', () => {
    const filter = IqrFilter.fit([0, 1, 2, 3, 4, 5, 6, 7, 8, 20]);
    expect([filter.firstQuartile, filter.thirdQuartile]).toEqual([2.25, 6.75]);
    expect([filter.lower, filter.upper]).toEqual([-4.5, 13.5]);
    expect(filter.keep(13.5)).toBe(true);
    expect(filter.keep(13.6)).toBe(false);
    expect(filter.keep(null)).toBe(true);
    expect(IqrFilter.fromJSON(roundTrip(filter.toJSON())).toJSON()).toEqual(filter.toJSON());
    expect(IqrFilter.fromQuartiles(1, 3).upper).toBe(6);
  });

  it('fitted on nothing keeps every value, as a z-score filter without spread does', () => {
    const filter = IqrFilter.fit([Number.NaN, Infinity]);
    expect([filter.lower, filter.upper]).toEqual([-Infinity, Infinity]);
    expect([filter.keep(-1e300), filter.keep(0), filter.keep(1e300), filter.isOutlier(5)]).toEqual([true, true, true, false]);
    const flat = ZScoreFilter.fit([4]);
    expect([flat.lower, flat.upper, flat.isOutlier(-1e300)]).toEqual([-Infinity, Infinity, false]);
    // Saved and restored (params_file, STATE), it still keeps every value: its quartiles come back as null.
    const restored = IqrFilter.fromJSON(JSON.parse(JSON.stringify(filter.toJSON())));
    expect([restored.lower, restored.upper, restored.isOutlier(5), restored.isOutlier(-5)]).toEqual([-Infinity, Infinity, false, false]);
  });
});

describe('IsolationForest', () => {
  it('c(n) is the average unsuccessful-search path length', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(256)).toBeCloseTo(10.244770920119917, 12);
  });

  it("reproduces scikit-learn's documented example with the `auto` threshold", () => {
    // IsolationForest(random_state=0).fit([[-1.1], [0.3], [0.5], [100]]).predict([[0.1], [0], [90]]) == [1, 1, -1]
    const forest = new IsolationForest({ seed: 0 }).fit([[-1.1], [0.3], [0.5], [100]]);
    expect([[0.1], [0], [90]].map((row) => forest.isOutlier(row))).toEqual([false, false, true]);
  });

  it('scores an isolated point far above a cluster, and flags it at a small contamination', () => {
    const rows = [...cluster(500, 2, 1), [8, 8]];
    const forest = new IsolationForest().fit(rows, 0.01);
    const outlierScore = forest.score([8, 8]);
    expect(outlierScore).toBeGreaterThan(0.7);
    expect(forest.score([0, 0])).toBeLessThan(0.5);
    expect(forest.isOutlier([8, 8])).toBe(true);
    expect(rows.filter((row) => forest.isOutlier(row)).length).toBe(5); // 1% of 501, by the quantile threshold
  });

  it('is deterministic for a seed and round-trips through JSON', () => {
    const rows = cluster(300, 3, 2);
    const a = new IsolationForest({ seed: 7 }).fit(rows, 0.05);
    const b = new IsolationForest({ seed: 7 }).fit(rows, 0.05);
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(new IsolationForest({ seed: 8 }).fit(rows, 0.05).score([1, 1, 1])).not.toBe(a.score([1, 1, 1]));
    const restored = IsolationForest.fromJSON(roundTrip(a.toJSON()));
    for (const row of rows.slice(0, 50)) expect(restored.score(row)).toBe(a.score(row));
    expect(restored.threshold).toBe(a.threshold);
  });
});

describe('LocalOutlierFactor', () => {
  it("matches scikit-learn's documented example", () => {
    // LocalOutlierFactor(n_neighbors=2).fit([[-1.1], [0.2], [101.1], [0.3]]).negative_outlier_factor_
    // == [-0.9821..., -1.0370..., -73.3697..., -0.9821...], fit_predict == [1, 1, -1, 1]
    const lof = new LocalOutlierFactor({ neighbours: 2 }).fit([[-1.1], [0.2], [101.1], [0.3]]);
    const scores = lof.fittedScores;
    expect(scores[0]).toBeCloseTo(0.9821428571441326, 9);
    expect(scores[1]).toBeCloseTo(1.0370370370342936, 9);
    expect(scores[2]).toBeCloseTo(73.36970898944223, 6);
    expect(scores[3]).toBeCloseTo(0.9821428571441326, 9);
    expect(lof.fittedOutliers).toEqual([false, false, true, false]);
  });

  it('scores new rows against the fitted ones and flags by the contamination quantile', () => {
    const rows = [...cluster(200, 2, 3), [9, 9]];
    const lof = new LocalOutlierFactor({ neighbours: 21, contamination: 0.025 }).fit(rows);
    expect(lof.fittedOutliers[200]).toBe(true);
    expect(lof.fittedOutliers.filter(Boolean).length).toBe(5); // above the 97.5% quantile (index 195) of 201 scores
    expect(lof.score([0, 0])).toBeLessThan(1.5);
    expect(lof.isOutlier([12, -12])).toBe(true);
    const restored = LocalOutlierFactor.fromJSON(roundTrip(lof.toJSON()));
    expect(restored.score([12, -12])).toBe(lof.score([12, -12]));
    expect(restored.isOutlier([0.1, 0.1])).toBe(lof.isOutlier([0.1, 0.1]));
    expect(restored.fittedOutliers).toEqual(lof.fittedOutliers);
  });

  it('caps neighbours at n - 1 and treats a single row as an inlier', () => {
    expect(new LocalOutlierFactor({ neighbours: 20 }).fit([[0], [1], [2]]).neighbours).toBe(2);
    const single = new LocalOutlierFactor({ neighbours: 2 }).fit([[5]]);
    expect(single.isOutlier([1000])).toBe(false);
  });
});

describe('PrincipalComponents', () => {
  // Rows generated as latent * loadings: variances 9, 4, 1 along orthonormal directions, then noise-free.
  const directions = [
    [2 / 3, 2 / 3, 1 / 3],
    [-2 / 3, 1 / 3, 2 / 3],
    [1 / 3, -2 / 3, 2 / 3],
  ];
  const random = new Mulberry32(4);
  const rows = Array.from({ length: 2000 }, () => {
    const latent = normals(random, 3).map((z, i) => z * [3, 2, 1][i]!);
    return [0, 1, 2].map((d) => latent.reduce((total, z, i) => total + z * directions[i]![d]!, 10));
  });

  it('finds the principal directions and their variances (largest first)', () => {
    const pca = PrincipalComponents.fit(rows, 3);
    pca.components.forEach((component, i) => {
      const alignment = Math.abs(component.reduce((total, x, d) => total + x * directions[i]![d]!, 0));
      expect(alignment).toBeGreaterThan(0.99);
      // Sign rule: the largest-magnitude loading is positive.
      const largest = component.reduce((best, x) => (Math.abs(x) > Math.abs(best) ? x : best), 0);
      expect(largest).toBeGreaterThan(0);
    });
    expect(pca.explainedVariance[0]).toBeGreaterThan(pca.explainedVariance[1]!);
    expect(pca.explainedVariance[1]).toBeGreaterThan(pca.explainedVariance[2]!);
    // The components are orthonormal.
    for (let i = 0; i < 3; i += 1) {
      for (let j = 0; j < 3; j += 1) {
        const product = pca.components[i]!.reduce((total, x, d) => total + x * pca.components[j]![d]!, 0);
        expect(product).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });

  it('is deterministic, reduces to the requested dimensions and round-trips', () => {
    const wide = cluster(300, 25, 6);
    const a = PrincipalComponents.fit(wide, 20);
    const b = PrincipalComponents.fit(wide, 20);
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.transform(wide[0] as NumericRow)).toHaveLength(20);
    const restored = PrincipalComponents.fromJSON(roundTrip(a.toJSON()));
    expect(restored.transform(wide[1] as NumericRow)).toEqual(a.transform(wide[1] as NumericRow));
  });
});

describe('OutlierRemover', () => {
  it('auto with few dimensions: LOF with the neighbour rule, finds the planted outliers', () => {
    const rows = [...cluster(300, 2, 10), [10, 10], [-10, 9]];
    const remover = new OutlierRemover().fit(rows);
    expect(remover.method).toBe('lof');
    const contamination = estimateContamination(rows).rate;
    expect(remover.contamination).toBe(contamination);
    const model = remover.toJSON().model;
    expect(model.kind === 'lof' && model.neighbours).toBe(lofNeighbourCount(302, contamination));
    expect(lofNeighbourCount(302, contamination)).toBe(31);
    expect(remover.isOutlier([10, 10])).toBe(true);
    expect(remover.isOutlier([0, 0])).toBe(false);
    expect(remover.fittedOutliers?.[300]).toBe(true);
    expect(remover.fittedOutliers?.[301]).toBe(true);
  });

  it('auto with 6 dimensions: isolation forest', () => {
    const rows = [...cluster(400, 6, 11), [9, 9, 9, 9, 9, 9]];
    const remover = new OutlierRemover().fit(rows);
    expect(remover.method).toBe('isolation_forest');
    expect(remover.isOutlier([9, 9, 9, 9, 9, 9])).toBe(true);
    expect(remover.isOutlier([0, 0, 0, 0, 0, 0])).toBe(false);
  });

  it('more than 20 dimensions: PCA to 20 first, then streaming rows are projected and scored', () => {
    const rows = cluster(300, 25, 12);
    const remover = new OutlierRemover().fit(rows);
    const state = remover.toJSON();
    expect(state.pca?.components).toHaveLength(20);
    expect(remover.method).toBe('isolation_forest');
    expect(remover.isOutlier(Array.from({ length: 25 }, () => 8))).toBe(true);
    expect(remover.isOutlier(Array.from({ length: 25 }, () => 0))).toBe(false);
  });

  it('rows with a missing value are not modelled and never flagged', () => {
    const rows: (number | null)[][] = [...cluster(100, 2, 13), [50, null], [null, null]];
    const remover = new OutlierRemover({ method: 'lof' }).fit(rows);
    expect(remover.isOutlier([50, null])).toBe(false);
    expect(remover.score([null, 1])).toBeUndefined();
    expect(remover.isOutlier([50, 50])).toBe(true);
  });

  it('fitted state round-trips through JSON with identical verdicts', () => {
    const rows = [...cluster(200, 3, 14), [7, 7, 7]];
    for (const method of ['lof', 'isolation_forest'] as const) {
      const remover = new OutlierRemover({ method, seed: 3 }).fit(rows);
      const restored = OutlierRemover.fromJSON(roundTrip(remover.toJSON()));
      for (const row of [...rows.slice(0, 30), [7, 7, 7], [3, -3, 0]]) {
        expect(restored.isOutlier(row)).toBe(remover.isOutlier(row));
        expect(restored.score(row)).toBe(remover.score(row));
      }
    }
  });
});

describe('OutlierRemover with lofFitRows', () => {
  it('fits LOF on a seeded subsample of that many rows, and the contamination on all of them', () => {
    const rows = [...cluster(600, 2, 21), [40, 40], [-40, 35]];
    const all = new OutlierRemover({ method: 'lof', seed: 9 }).fit(rows).toJSON();
    const sub = new OutlierRemover({ method: 'lof', seed: 9, lofFitRows: 150 }).fit(rows).toJSON();
    expect(sub.contamination).toBe(all.contamination);
    expect(sub.contamination).toBe(estimateContamination(rows).rate);
    if (sub.model.kind !== 'lof' || all.model.kind !== 'lof') throw new Error('expected LOF');
    expect(all.model.rows).toEqual(rows);
    expect(sub.model.rows).toEqual(reservoirSample(rows, 150, 9));
    expect(sub.model.neighbours).toBe(lofNeighbourCount(150, sub.contamination));
    // More rows allowed than there are: every row, in order, as without the option.
    expect(new OutlierRemover({ method: 'lof', seed: 9, lofFitRows: 10_000 }).fit(rows).toJSON()).toEqual(all);
    // Isolation forests are not subsampled.
    expect(new OutlierRemover({ method: 'isolation_forest', seed: 9, lofFitRows: 150 }).fit(rows).toJSON()).toEqual(
      new OutlierRemover({ method: 'isolation_forest', seed: 9 }).fit(rows).toJSON(),
    );
  });

  it('project() and isOutlierProjected() give isOutlier(), and leave out rows it does not model', () => {
    const wide = cluster(150, 22, 23);
    const remover = new OutlierRemover({ seed: 4 }).fit(wide);
    const projected = remover.project(wide[0] as number[]);
    expect(projected).toHaveLength(20);
    expect(remover.project([1, 2])).toBeUndefined();
    expect(remover.project([...(wide[0] as number[]).slice(1), null])).toBeUndefined();
    for (const row of [...wide.slice(0, 20), wide[0]!.map((x) => x * 50)]) {
      expect(remover.isOutlierProjected(remover.project(row) as NumericRow)).toBe(remover.isOutlier(row));
    }
  });
});

describe('NearestNeighbourIndex', () => {
  it('finds the same neighbours in the same order as a full scan, ties by lower index', () => {
    const random = new Mulberry32(11);
    // Integer coordinates: many equal distances, so the tie rule is exercised.
    const rows = Array.from({ length: 600 }, () => [Math.floor(random.next() * 20), Math.floor(random.next() * 50), Math.floor(random.next() * 5)]);
    const index = new NearestNeighbourIndex(rows);
    for (let query = 0; query < 200; query += 1) {
      const point = [Math.floor(random.next() * 22) - 1, Math.floor(random.next() * 52) - 1, Math.floor(random.next() * 6)];
      const brute = rows
        .map((row, i) => ({ index: i, distance: Math.sqrt(row.reduce((total, x, d) => total + (x - point[d]!) ** 2, 0)) }))
        .sort((a, b) => a.distance - b.distance || a.index - b.index)
        .slice(0, 20)
        .map((entry) => entry.index);
      expect(index.nearest(point, 20).map((entry) => entry.index)).toEqual(brute);
    }
  });
});
