import { FrequencyCounter, Mulberry32, isMissingValue } from '@tapline/transform-core';
import { describe, expect, it } from 'vitest';
import { modeOf } from '../src/impute-stage.js';

/** The simple computation modeOf must equal: a FrequencyCounter of the values present. */
function counterMode(values: readonly unknown[]): unknown {
  const counter = new FrequencyCounter();
  for (const value of values) if (!isMissingValue(value)) counter.add(value);
  return counter.mode();
}

/** JSON text that tells -0 from 0. */
const exactText = (value: unknown): string => JSON.stringify(value, (_key, x: unknown) => (Object.is(x, -0) ? '-0' : x)) ?? 'undefined';

describe('modeOf (the mode of a sample)', () => {
  const random = new Mulberry32(21);
  const draws: [string, () => unknown][] = [
    ['strings', () => (random.next() < 0.1 ? null : `v${Math.floor(random.next() * 40)}`)],
    ['mostly distinct strings', () => (random.next() < 0.2 ? '  ' : `note ${Math.floor(random.next() * 1e6)}`)],
    ['numbers with 0 and -0', () => (random.next() < 0.1 ? null : random.next() < 0.3 ? (random.next() < 0.5 ? -0 : 0) : Math.floor(random.next() * 30) - 15)],
    ['numbers, -0 seen first', () => (random.next() < 0.5 ? -0 : Math.floor(random.next() * 3) + 1)],
    ['mixed kinds', () => [1, '1', true, null, { a: 1 }, [2], 2.5, 'x'][Math.floor(random.next() * 8)]],
  ];
  for (const [name, draw] of draws) {
    it(`${name}: the counter's mode, value and count`, () => {
      for (let round = 0; round < 40; round += 1) {
        const values = Array.from({ length: 1 + Math.floor(random.next() * 300) }, draw);
        expect(exactText(modeOf(values))).toBe(exactText(counterMode(values)));
      }
    });
  }

  it('is undefined when nothing is present', () => {
    expect(modeOf([null, '', ' '])).toBeUndefined();
    expect(modeOf([])).toBeUndefined();
  });
});
