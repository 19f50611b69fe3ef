import { describe, expect, it } from 'vitest';
import { Mulberry32, NearestNeighbourIndex, type NumericRow } from '../src/index.js';

/** The definition the index must reproduce: every row's distance (summed in dimension order), sorted by distance, then row index. */
function fullScan(rows: readonly NumericRow[], point: NumericRow, k: number, skip = -1): { index: number; distance: number }[] {
  const all: { index: number; distance: number }[] = [];
  rows.forEach((row, index) => {
    if (index === skip) return;
    let total = 0;
    for (let d = 0; d < row.length; d += 1) {
      const difference = point[d]! - row[d]!;
      total += difference * difference;
    }
    all.push({ index, distance: Math.sqrt(total) });
  });
  all.sort((a, b) => (a.distance < b.distance ? -1 : a.distance > b.distance ? 1 : a.index - b.index));
  return all.slice(0, Math.max(0, k));
}

/** Coordinates from a handful of values (many duplicate rows and equal distances), or spread ones. */
function coordinate(random: Mulberry32, kind: 'few' | 'grid' | 'spread' | 'extreme'): number {
  const r = random.next();
  switch (kind) {
    case 'few':
      return [0, -0, 1, 1, 2, 3.5][Math.floor(r * 6)]!;
    case 'grid':
      return Math.floor(r * 7) - 3;
    case 'spread':
      return (r - 0.5) * 1000;
    case 'extreme':
      // Overflowing squares (distance Infinity), subnormal differences and values close to each other.
      return [1e300, -1e300, 5e-324, 1e-320, 0.1, 0.1 + 2 ** -55, 0.30000000000000004, 0.3, 1e16, 1e16 + 2][Math.floor(r * 10)]!;
  }
}

function table(random: Mulberry32, count: number, dimensions: number, kind: 'few' | 'grid' | 'spread' | 'extreme'): number[][] {
  return Array.from({ length: count }, () => Array.from({ length: dimensions }, () => coordinate(random, kind)));
}

function expectSame(actual: { index: number; distance: number }[], expected: { index: number; distance: number }[]): void {
  // One comparison per search (expect() is slow); toEqual tells distances apart bit for bit (NaN aside, which cannot occur).
  const pairs = (list: { index: number; distance: number }[]): number[] => list.flatMap((entry) => [entry.index, entry.distance]);
  const a = pairs(actual);
  const b = pairs(expected);
  if (a.length !== b.length || a.some((x, i) => !Object.is(x, b[i]))) expect(a).toEqual(b);
}

describe('NearestNeighbourIndex against a full scan', () => {
  const kinds = ['few', 'grid', 'spread', 'extreme'] as const;
  for (let dimensions = 1; dimensions <= 6; dimensions += 1) {
    for (const kind of kinds) {
      it(`${dimensions} dimension${dimensions === 1 ? '' : 's'}, ${kind} coordinates: same neighbours, distances and tie order`, () => {
        const random = new Mulberry32(dimensions * 31 + kinds.indexOf(kind));
        const rows = table(random, 300, dimensions, kind);
        for (const made of [1, 6, 20]) {
          const index = new NearestNeighbourIndex(rows, made);
          // Enough searches that cells get halved; points inside, between and outside the rows, and the
          // rows themselves (skipping themselves, as fitting does, and not).
          const points = [...table(random, 80, dimensions, kind), ...table(random, 20, dimensions, 'grid').map((p) => p.map((x) => x * 3))];
          for (const point of points) expectSame(index.nearest(point, made), fullScan(rows, point, made));
          rows.forEach((row, i) => expectSame(index.nearest(row, made, i), fullScan(rows, row, made, i)));
          // Fewer or more neighbours than the lists were made for, and more than there are rows.
          for (const k of [made > 1 ? made - 1 : 2, made + 3, 299, 300, 350]) {
            for (const point of points.slice(0, 20)) expectSame(index.nearest(point, k), fullScan(rows, point, k));
            for (let i = 0; i < rows.length; i += 41) expectSame(index.nearest(rows[i]!, k, i), fullScan(rows, rows[i]!, k, i));
          }
        }
      });
    }
  }

  it('search() leaves the same result in foundIndexes/foundDistances, reusing its buffers', () => {
    const random = new Mulberry32(5);
    const rows = table(random, 2000, 3, 'grid');
    const index = new NearestNeighbourIndex(rows, 20);
    for (let query = 0; query < 400; query += 1) {
      const point = table(random, 1, 3, query % 2 === 0 ? 'grid' : 'spread')[0]!;
      const k = query < 300 ? 20 : 1 + (query % 40);
      const found = index.search(point, k);
      const expected = fullScan(rows, point, k);
      expect(found).toBe(expected.length);
      expect(Array.from(index.foundIndexes.subarray(0, found))).toEqual(expected.map((entry) => entry.index));
      expect(Array.from(index.foundDistances.subarray(0, found))).toEqual(expected.map((entry) => entry.distance));
    }
    // The searches above were answered from halved cells, not only from the first cell (every row).
    expect((index as unknown as { nodes: number }).nodes).toBeGreaterThan(20);
  });

  it('handles all-duplicate rows, a single row, no rows, k = 0 and no candidate lists', () => {
    const same = [...Array.from({ length: 50 }, () => [1, 2]), [1, 3], ...Array.from({ length: 50 }, () => [1, 2])];
    for (const made of [0, 3, 10]) {
      const index = new NearestNeighbourIndex(same, made);
      for (let round = 0; round < 20; round += 1) {
        expectSame(index.nearest([1, 2], 10, round), fullScan(same, [1, 2], 10, round));
        expectSame(index.nearest([1, 2.75], 3), fullScan(same, [1, 2.75], 3));
        expectSame(index.nearest([0, 0], 110), fullScan(same, [0, 0], 110));
      }
      expect(index.nearest([1, 2], 0)).toEqual([]);
    }
    expect(new NearestNeighbourIndex([[4]], 2).nearest([4], 3, 0)).toEqual([]);
    expect(new NearestNeighbourIndex([[4]], 2).nearest([1], 3)).toEqual([{ index: 0, distance: 3 }]);
    expect(new NearestNeighbourIndex([], 2).nearest([1], 3)).toEqual([]);
  });
});
