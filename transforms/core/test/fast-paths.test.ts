/**
 * The fast paths of the accumulators and type detection against the simple algorithms they replace:
 * results must be identical, not merely close (fitted parameters and reports are compared byte for byte).
 */
import { describe, expect, it } from 'vitest';
import {
  FrequencyCounter,
  Mulberry32,
  QuantileSketch,
  chooseImputationAction,
  chooseImputationStrategies,
  compareValues,
  inferColumnType,
  plainJsonEqual,
  plainJsonHash,
  sortNumberRange,
  sortNumbersInPlace,
  stableStringify,
  stripQuotes,
  valueKey,
  type ImputationColumnFacts,
} from '../src/index.js';

/** JSON text that tells -0 from 0. */
const exactText = (value: unknown): string => JSON.stringify(value, (_key, x: unknown) => (Object.is(x, -0) ? '-0' : x));

/**
 * KLL as first written (a new array per compaction, a forward merge): the reference the in-place
 * QuantileSketch must match item for item.
 */
class ReferenceKll {
  levels: number[][] = [[]];
  n = 0;
  retained = 0;
  random: Mulberry32;

  constructor(
    readonly k: number,
    seed: number,
  ) {
    this.random = new Mulberry32(seed);
  }

  capacity(level: number): number {
    const depth = this.levels.length - level - 1;
    return Math.max(8, Math.round(this.k * (2 / 3) ** depth));
  }

  add(x: number): void {
    this.n += 1;
    (this.levels[0] as number[]).push(x);
    this.retained += 1;
    let total = 0;
    for (let level = 0; level < this.levels.length; level += 1) total += this.capacity(level);
    if (this.retained >= total) this.compress();
  }

  compress(): void {
    let level = 0;
    while (level < this.levels.length - 1 && (this.levels[level] as number[]).length < this.capacity(level)) level += 1;
    if (level === this.levels.length - 1) this.levels.push([]);
    const items = this.levels[level] as number[];
    const kept = items.length % 2 === 1 ? [items[0] as number] : [];
    const compacted = kept.length === 1 ? items.slice(1) : items;
    if (level === 0) compacted.sort((a, b) => a - b);
    const offset = this.random.next() < 0.5 ? 0 : 1;
    const promoted: number[] = [];
    for (let i = offset; i < compacted.length; i += 2) promoted.push(compacted[i] as number);
    this.levels[level] = kept;
    const above = this.levels[level + 1] as number[];
    const merged: number[] = [];
    let i = 0;
    let j = 0;
    while (i < above.length && j < promoted.length) merged.push((above[i] as number) <= (promoted[j] as number) ? (above[i++] as number) : (promoted[j++] as number));
    this.levels[level + 1] = [...merged, ...above.slice(i), ...promoted.slice(j)];
    this.retained -= compacted.length - promoted.length;
  }
}

describe('sortNumberRange', () => {
  it('sorts a range as the comparator sort does, -0 and 0 kept in their order', () => {
    const random = new Mulberry32(4);
    for (let round = 0; round < 200; round += 1) {
      const length = 1 + Math.floor(random.next() * 120);
      const values = Array.from({ length }, () => {
        const r = random.next();
        return r < 0.2 ? 0 : r < 0.4 ? -0 : Math.floor(random.next() * 10) - 5 + (r < 0.6 ? 0.5 : 0);
      });
      const start = Math.floor(random.next() * length);
      const end = start + Math.floor(random.next() * (length - start + 1));
      const expected = [...values.slice(0, start), ...values.slice(start, end).sort((a, b) => a - b), ...values.slice(end)];
      sortNumberRange(values, start, end);
      expect(exactText(values)).toBe(exactText(expected));
    }
  });

  it('gives what sortNumbersInPlace gives on the range alone', () => {
    const values = [5, 3, Number.NaN, 1, 2];
    const alone = sortNumbersInPlace(values.slice(1, 5));
    sortNumberRange(values, 1, 5);
    expect(exactText(values.slice(1))).toBe(exactText(alone));
  });
});

describe('QuantileSketch compacts in place exactly as the simple algorithm', () => {
  const inputs: [string, (i: number, random: Mulberry32) => number][] = [
    ['uniform', (_i, random) => random.next()],
    ['ascending', (i) => i],
    ['descending', (i) => -i],
    ['few values with -0', (_i, random) => (random.next() < 0.3 ? -0 : Math.floor(random.next() * 4) - 1)],
  ];
  for (const [name, draw] of inputs) {
    it(`${name}: the same items at every level and the same coin flips`, () => {
      for (const [k, count] of [
        [8, 5_000],
        [20, 30_000],
        [200, 120_000],
      ] as const) {
        const random = new Mulberry32(k);
        const sketch = new QuantileSketch(k, 3);
        const reference = new ReferenceKll(k, 3);
        for (let i = 0; i < count; i += 1) {
          const x = draw(i, random);
          sketch.add(x);
          reference.add(x);
        }
        const state = sketch.toJSON();
        expect(exactText(state.levels)).toBe(exactText(reference.levels));
        expect(state.randomState).toBe(reference.random.state);
        expect(sketch.retained).toBe(reference.retained);
      }
    });
  }
});

/** The counter's identity, written the simple way: one map keyed by valueKey (stable JSON text for structures). */
function referenceTop(values: unknown[]): { value: unknown; count: number }[] {
  const counts = new Map<string, { value: unknown; count: number }>();
  for (const value of values) {
    const key = valueKey(value);
    const entry = counts.get(key);
    if (entry) entry.count += 1;
    else counts.set(key, { value, count: 1 });
  }
  return [...counts.values()].sort((a, b) => (a.count !== b.count ? b.count - a.count : compareValues(a.value, b.value)));
}

function randomJson(random: Mulberry32, depth: number): unknown {
  const r = random.next();
  const pick = <T>(items: T[]): T => items[Math.floor(random.next() * items.length)] as T;
  if (depth > 2 || r < 0.35) return pick<unknown>(['a', 'b', '', 'é"', '1', 0, -0, 1, 2.5, 1e21, true, false, null]);
  if (r < 0.7) {
    const keys = ['x', 'y', '10', '9', '__proto__'].filter(() => random.next() < 0.5);
    // Keys in a random order: {x, y} and {y, x} are one value.
    keys.sort(() => random.next() - 0.5);
    const object: Record<string, unknown> = JSON.parse('{}') as Record<string, unknown>;
    for (const key of keys) Object.defineProperty(object, key, { value: randomJson(random, depth + 1), enumerable: true, writable: true, configurable: true });
    return object;
  }
  if (r < 0.95) return Array.from({ length: Math.floor(random.next() * 3) }, () => randomJson(random, depth + 1));
  // Not plain JSON: counted by their stable text, which plain values may share ({a: undefined} is {a: null}).
  return pick<unknown>([{ x: undefined }, [Number.NaN], new Date(0), Object.create(null) as object]);
}

describe('FrequencyCounter finds structures without their text', () => {
  it('counts, ranks and saves exactly as counting by stable JSON text', () => {
    const random = new Mulberry32(12);
    for (let round = 0; round < 25; round += 1) {
      const values = Array.from({ length: 400 }, () => randomJson(random, 0));
      const counter = new FrequencyCounter();
      for (const value of values) counter.add(value);
      const expected = referenceTop(values);
      expect(exactText(counter.top())).toBe(exactText(expected));
      expect(exactText(counter.mode())).toBe(exactText(expected[0]));
      expect(counter.distinctCount).toBe(expected.length);
      for (const value of values.slice(0, 20)) expect(counter.count(value)).toBe(expected.find((entry) => valueKey(entry.value) === valueKey(value))?.count);
      // Restored and merged counters find the structures they hold too.
      const restored = FrequencyCounter.fromJSON(counter.toJSON());
      for (const value of values) restored.add(value);
      expect(restored.distinctCount).toBe(expected.length);
      expect(restored.mode()?.count).toBe(2 * (expected[0]?.count ?? 0));
    }
  });

  it('stops tracking new structures at the cap, as for primitives', () => {
    const counter = new FrequencyCounter(2);
    counter.add({ a: 1 });
    counter.add([1]);
    counter.add({ a: 2 });
    counter.add({ a: 1 });
    expect(counter.overflowed).toBe(true);
    expect(counter.count({ a: 1 })).toBe(2);
    expect(counter.count({ a: 2 })).toBe(0);
  });

  it('mode() is top(1) for primitives and structures mixed', () => {
    const random = new Mulberry32(5);
    for (let round = 0; round < 100; round += 1) {
      const counter = new FrequencyCounter(Infinity, round % 2 === 0);
      for (let i = 0; i < 30; i += 1) counter.add(randomJson(random, 1));
      expect(exactText(counter.mode())).toBe(exactText(counter.top(1)[0]));
    }
  });
});

describe('plainJsonHash and plainJsonEqual', () => {
  it('agree with stable JSON text on plain values', () => {
    const random = new Mulberry32(8);
    const values = Array.from({ length: 300 }, () => JSON.parse(stableStringify(randomJson(random, 0))) as unknown);
    for (const a of values.slice(0, 60)) {
      for (const b of values) {
        const same = stableStringify(a) === stableStringify(b);
        expect(plainJsonEqual(a, b)).toBe(same);
        if (same) expect(plainJsonHash(a)).toBe(plainJsonHash(b));
      }
    }
  });

  it('refuses what is not plain JSON', () => {
    for (const value of [undefined, Number.NaN, Infinity, { a: undefined }, [1, undefined], new Date(0), () => 1]) expect(plainJsonHash(value)).toBeUndefined();
    expect(plainJsonHash({ b: 1, a: [2, 'x'] })).toBe(plainJsonHash({ a: [2, 'x'], b: 1 }));
    expect(plainJsonHash([0])).toBe(plainJsonHash([-0]));
  });
});

describe('shortcuts in type detection', () => {
  it('stripQuotes leaves values with clean ends as they are and strips the rest as before', () => {
    for (const text of ['abc', ' abc', 'abc ', '"abc"', "'a'", '\u00a0x\u00a0', '\u3000x', 'x\u2028', 'ünï', '', '  ']) {
      expect(stripQuotes(text)).toBe(text.replace(/^[\s'"]+|[\s'"]+$/g, ''));
    }
  });

  it('two distinct values, missing ones counting as one, make a numeric column a flag', () => {
    expect(inferColumnType('x', [0, -0, null, 0])).toBe('true_or_false');
    expect(inferColumnType('x', [1, 2, 1, 2])).toBe('true_or_false');
    expect(inferColumnType('x', [1, 2, 3, null])).toBe('number');
    expect(inferColumnType('x', [5, 5, 5])).toBe('number');
    expect(inferColumnType('x', [true, false, null])).toBe('true_or_false');
  });
});

describe('chooseImputationAction', () => {
  it('is the action chooseImputationStrategies takes', () => {
    const facts: Record<string, ImputationColumnFacts> = {
      a: { type: 'number', null_value_rate: 0.1, max_null_seq: 1, first_value_null: false, mode_ratio: 0.1, numeric: { skew: 0 } },
    };
    for (const [rows, complete] of [
      [0, 0],
      [10, 10],
      [10, 7],
      [10, 6],
      [1000, 699],
    ] as const) {
      const dataset = { row_count: rows, complete_row_count: complete, is_timeseries: false };
      expect(chooseImputationAction(dataset)).toBe(chooseImputationStrategies(dataset, facts).action);
    }
  });
});
