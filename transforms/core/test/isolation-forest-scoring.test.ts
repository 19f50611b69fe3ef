import { describe, expect, it } from 'vitest';
import { IsolationForest, Mulberry32, averagePathLength, type IsolationTreeState, type NumericRow } from '../src/index.js';

/** The definition scoring must reproduce: each tree walked from its root, path lengths summed in tree order. */
function scoreByDefinition(state: ReturnType<IsolationForest['toJSON']>, row: NumericRow): number {
  const pathLength = (tree: IsolationTreeState): number => {
    let node = 0;
    let depth = 0;
    while (tree.feature[node]! >= 0) {
      node = row[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
      depth += 1;
    }
    return depth + averagePathLength(tree.size[node]!);
  };
  if (state.trees.length === 0) return 0;
  let total = 0;
  for (const tree of state.trees) total += pathLength(tree);
  const normaliser = averagePathLength(state.sampleSize);
  return normaliser === 0 ? 0.5 : 2 ** (-(total / state.trees.length) / normaliser);
}

describe('IsolationForest scoring', () => {
  it('scores exactly as walking each saved tree does, for any number of trees, fitted or restored', () => {
    const random = new Mulberry32(3);
    for (const dimensions of [1, 3, 7]) {
      // Few distinct values (rows equal to thresholds' neighbours, equal rows) and a few far ones.
      const rows = Array.from({ length: 700 }, () => Array.from({ length: dimensions }, () => (random.next() < 0.02 ? 100 : Math.floor(random.next() * 9) / 4)));
      for (const trees of [1, 4, 7, 100]) {
        const forest = new IsolationForest({ trees, seed: dimensions + trees }).fit(rows, 0.05);
        const state = JSON.parse(JSON.stringify(forest.toJSON())) as ReturnType<IsolationForest['toJSON']>;
        const restored = IsolationForest.fromJSON(state);
        const points = [...rows.slice(0, 100), ...Array.from({ length: 100 }, () => Array.from({ length: dimensions }, () => (random.next() - 0.25) * 5))];
        for (const point of points) {
          const expected = scoreByDefinition(state, point);
          expect(Object.is(forest.score(point), expected)).toBe(true);
          expect(Object.is(restored.score(point), expected)).toBe(true);
        }
        // The threshold (a quantile of the fitted rows' scores) came from the same scoring.
        expect(restored.threshold).toBe(forest.threshold);
      }
    }
  });
});
