import { describe, expect, it } from 'vitest';
import {
  CATEGORICAL_TYPES,
  COLUMN_TYPES,
  NUMERIC_TYPES,
  ReservoirSampler,
  STRING_TYPES,
  createRandom,
  inferColumnType,
  inferColumnTypes,
  reservoirSample,
} from '../src/index.js';

/** `count` copies of `value` followed by `rest`. */
const repeat = <T>(value: T, count: number, ...rest: T[]): T[] => [...Array.from({ length: count }, () => value), ...rest];
/** Distinct non-numeric words. */
const words = (count: number, prefix = 'word'): string[] => Array.from({ length: count }, (_, i) => `${prefix} ${String.fromCharCode(97 + (i % 26))}${i}`);

describe('type groups', () => {
  it('are the reference groups', () => {
    expect(COLUMN_TYPES).toHaveLength(11);
    expect([...NUMERIC_TYPES]).toEqual(['number', 'number_with_decimals']);
    expect([...CATEGORICAL_TYPES]).toEqual(['category', 'category_high_cardinality', 'true_or_false']);
    expect([...STRING_TYPES]).toEqual(['email', 'phone_number', 'text', 'zip_code']);
  });
});

describe('numbers arriving as JSON numbers', () => {
  it('an empty column declared numeric is number_with_decimals; undeclared, true_or_false', () => {
    expect(inferColumnType('amount', [null, null], { declaredJsonType: ['null', 'number'] })).toBe('number_with_decimals');
    expect(inferColumnType('amount', [], { declaredJsonType: 'integer' })).toBe('number_with_decimals');
    expect(inferColumnType('amount', [null, null])).toBe('true_or_false');
  });

  it('phone: exactly 80% whole numbers in [1e9, 1e12) and a phone name', () => {
    const eightOfTen = [5551234567, 5551234568, 5551234569, 5551234570, 5551234571, 999999999999, 1000000000, 5551234572, 12, 13];
    expect(inferColumnType('phone', eightOfTen)).toBe('phone_number');
    expect(inferColumnType('landline', eightOfTen)).toBe('phone_number');
    expect(inferColumnType('amount', eightOfTen)).toBe('number');
    const sevenOfTen = [...eightOfTen.slice(0, 7), 1e12, 12, 13];
    expect(inferColumnType('phone', sevenOfTen)).toBe('number');
    expect(inferColumnType('phone', [...eightOfTen.slice(0, 7), 999999999, 12, 13])).toBe('number');
  });

  it('zip: whole numbers within [100, 99999] and a zip name', () => {
    expect(inferColumnType('zip', [100, 2134, 99999])).toBe('zip_code');
    expect(inferColumnType('postal_code', [2134, 90210, 10001, null])).toBe('zip_code');
    expect(inferColumnType('zip', [99, 2134, 90210])).toBe('number');
    expect(inferColumnType('zip', [2134, 90210, 100000])).toBe('number');
    expect(inferColumnType('zip', [2134.5, 90210, 10001])).toBe('number_with_decimals');
    expect(inferColumnType('code', [2134, 90210, 10001])).toBe('number');
  });

  it('all whole -> number, otherwise number_with_decimals', () => {
    expect(inferColumnType('n', [1, 2, 3, 4.0])).toBe('number');
    expect(inferColumnType('n', [1, 2, 3.5])).toBe('number_with_decimals');
  });

  it('exactly two distinct values, null counting as one -> true_or_false', () => {
    expect(inferColumnType('flag', [0, 1, 1, 0])).toBe('true_or_false');
    expect(inferColumnType('n', [5, null, 5, 5])).toBe('true_or_false');
    expect(inferColumnType('n', [0.5, 1.5])).toBe('true_or_false');
    expect(inferColumnType('n', [1, 2, null])).toBe('number');
    expect(inferColumnType('n', [7, 7, 7])).toBe('number');
  });
});

describe('strings', () => {
  it('quotes and surrounding spaces are stripped and "" is null before counting', () => {
    expect(inferColumnType('s', ['"a"', ' a ', "'a'", 'b', '""', ''])).toBe('true_or_false');
  });

  it('at most two distinct non-null values -> true_or_false', () => {
    expect(inferColumnType('s', ['yes', 'no', 'yes', null])).toBe('true_or_false');
    expect(inferColumnType('s', ['only'])).toBe('true_or_false');
    expect(inferColumnType('s', ['yes', 'no', 'maybe', 'yes', 'no', 'yes'])).toBe('category');
  });

  describe('every value number-like', () => {
    it('any non-integer -> number_with_decimals', () => {
      expect(inferColumnType('s', ['1', '2', '3.5'])).toBe('number_with_decimals');
      expect(inferColumnType('s', ['5%', '6%', '7%'])).toBe('number_with_decimals');
    });

    it('fix: "1,000" and "$5" make a number column', () => {
      expect(inferColumnType('s', ['1,000', '2,000', '3'])).toBe('number');
      expect(inferColumnType('s', ['$5', '$6', '$7'])).toBe('number');
      expect(inferColumnType('s', ['1.00', '2.0', '3'])).toBe('number');
    });

    it('phone: exactly 80% match the phone pattern and a phone name', () => {
      const phones = ['5551234567', '5551234568', '5551234569', '5551234570', '5551234571', '5551234572', '5551234573', '5551234574'];
      expect(inferColumnType('phone', [...phones, '12', '13'])).toBe('phone_number');
      expect(inferColumnType('cell', [...phones, '12', '13'])).toBe('number');
      expect(inferColumnType('phone', [...phones.slice(0, 7), '11', '12', '13'])).toBe('number');
    });

    it('zip: exactly 80% match the zip pattern and a zip name', () => {
      const zips = ['02134', '90210', '10001', '60601', '94105', '30301', '73301', '33101'];
      expect(inferColumnType('zipcode', [...zips, '12', '13'])).toBe('zip_code');
      expect(inferColumnType('id', [...zips, '12', '13'])).toBe('number');
      expect(inferColumnType('zipcode', [...zips.slice(0, 7), '11', '12', '13'])).toBe('number');
    });

    it('fix: a value beyond 64 bits makes a category (or high-cardinality category past 255 distinct)', () => {
      expect(inferColumnType('id', ['1', '2', '99999999999999999999'])).toBe('category');
      expect(inferColumnType('id', ['1', '2', '9223372036854775807'])).toBe('number');
      const huge = Array.from({ length: 256 }, (_, i) => `${99999999999999999999n + BigInt(i)}`);
      expect(inferColumnType('id', [...huge, ...huge])).toBe('category_high_cardinality');
      expect(inferColumnType('id', [...huge.slice(0, 255), ...huge.slice(0, 255)])).toBe('category');
    });
  });

  it('datetime: exactly 50% date-like', () => {
    const dates = ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05'];
    expect(inferColumnType('when', [...dates, ...words(5)])).toBe('datetime');
    expect(inferColumnType('when', [...dates.slice(0, 4), ...words(6)])).toBe('text');
    const fortyNine = Array.from({ length: 49 }, (_, i) => `2024-01-${String((i % 28) + 1).padStart(2, '0')} ${Math.floor(i / 28) + 10}:00`);
    expect(inferColumnType('when', [...fortyNine, ...words(51)])).toBe('text');
    expect(inferColumnType('when', [...fortyNine, '2024-02-01', ...words(50)])).toBe('datetime');
  });

  it('email: exactly 30%', () => {
    expect(inferColumnType('contact', ['a@x.com', 'b@x.com', 'c@x.com', ...words(7)])).toBe('email');
    expect(inferColumnType('contact', ['a@x.com', 'b@x.com', ...words(8)])).toBe('text');
  });

  it('phone among other strings: exactly 30% and a phone name', () => {
    const values = ['555-123-4567', '(555) 123-4568', '555.123.4569', ...words(7)];
    expect(inferColumnType('home_phone', values)).toBe('phone_number');
    expect(inferColumnType('contact', values)).toBe('text');
    expect(inferColumnType('home_phone', [...values.slice(0, 2), ...words(8)])).toBe('text');
  });

  it('zip among other strings: exactly 30% and a zip name', () => {
    const values = ['02134-1234', '90210', '10001 5555', ...words(7)];
    expect(inferColumnType('postcode', values)).toBe('zip_code');
    expect(inferColumnType('notes', values)).toBe('text');
    expect(inferColumnType('postcode', [...values.slice(0, 2), ...words(8)])).toBe('text');
  });

  it('list: exactly 30%', () => {
    expect(inferColumnType('tags', ['[1, 2]', '(a, b)', '[]', ...words(7)])).toBe('list');
    expect(inferColumnType('tags', ['[1, 2]', '(a, b)', ...words(8)])).toBe('text');
  });

  it('the first rule that holds wins: datetime before email before list', () => {
    const mixed = ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05', 'a@x.com', 'b@x.com', 'c@x.com', '[1]', '[2]'];
    expect(inferColumnType('m', mixed)).toBe('datetime');
    expect(inferColumnType('m', ['a@x.com', 'b@x.com', 'c@x.com', '[1]', '[2]', '[3]', ...words(4)])).toBe('email');
  });

  it('text: distinct / non-null >= 0.8 (exactly 0.8 is text, 0.7 is category)', () => {
    const eight = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    expect(inferColumnType('s', [...eight, 'a', 'b'])).toBe('text');
    expect(inferColumnType('s', [...eight.slice(0, 7), 'a', 'b', 'c'])).toBe('category');
  });

  it('text: a value of 41 words (40 is still a category)', () => {
    const of = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
    const base = ['a', 'a', 'b', 'b', 'c', 'c'];
    expect(inferColumnType('s', [...base, of(40), of(40)])).toBe('category');
    expect(inferColumnType('s', [...base, of(41), of(41)])).toBe('text');
    // Words are whitespace-separated tokens: extra spaces do not add words.
    expect(inferColumnType('s', [...base, of(40).replace(/ /g, '   '), of(40)])).toBe('category');
  });

  it('category: at most 255 distinct values, else category_high_cardinality', () => {
    const labels = (n: number): string[] => Array.from({ length: n }, (_, i) => `label ${i}`);
    expect(inferColumnType('s', [...labels(255), ...labels(255)])).toBe('category');
    expect(inferColumnType('s', [...labels(256), ...labels(256)])).toBe('category_high_cardinality');
    expect(inferColumnType('s', [...labels(10), ...labels(10)], { categoryCardinalityLimit: 9 })).toBe('category_high_cardinality');
  });
});

describe('other JSON values', () => {
  it('booleans -> true_or_false, or category with more than two distinct values', () => {
    expect(inferColumnType('b', [true, false, null, true])).toBe('true_or_false');
    expect(inferColumnType('b', [true, 'maybe', false])).toBe('category');
  });

  it('arrays -> list', () => {
    expect(inferColumnType('l', [[1, 2], [3], null])).toBe('list');
  });

  it('numbers mixed with strings are read as text', () => {
    expect(inferColumnType('n', [1, '2', 3.5])).toBe('number_with_decimals');
    expect(inferColumnType('n', [1, '2', 'three', 'four', 'five'])).toBe('text');
  });

  it('inferColumnTypes types every column', () => {
    expect(inferColumnTypes({ id: [1, 2, 3], name: ['a', 'b', 'c', 'd', 'e'] })).toEqual({ id: 'number', name: 'text' });
  });
});

describe('seeded sampling', () => {
  const rows = Array.from({ length: 10_000 }, (_, i) => i);

  it('gives the same sample twice for one seed, and another for another seed', () => {
    const first = reservoirSample(rows, 100, 7);
    expect(reservoirSample(rows, 100, 7)).toEqual(first);
    expect(reservoirSample(rows, 100, 8)).not.toEqual(first);
    expect(first).toHaveLength(100);
    expect(new Set(first).size).toBe(100);
  });

  it('keeps everything when there are fewer items than the sample size', () => {
    expect(reservoirSample([1, 2, 3], 5, 1)).toEqual([1, 2, 3]);
  });

  it('is uniform: every item has about size/n chance', () => {
    const hits = new Array<number>(10).fill(0);
    for (let seed = 0; seed < 2000; seed += 1) for (const item of reservoirSample(Array.from({ length: 10 }, (_, i) => i), 3, seed)) hits[item] = (hits[item] ?? 0) + 1;
    for (const count of hits) expect(count / 2000).toBeCloseTo(0.3, 1);
  });

  it('a sampler saved mid-stream resumes to the same sample', () => {
    const whole = new ReservoirSampler<number>(50, 3);
    const part = new ReservoirSampler<number>(50, 3);
    rows.slice(0, 5000).forEach((x) => {
      whole.add(x);
      part.add(x);
    });
    const resumed = ReservoirSampler.fromJSON<number>(JSON.parse(JSON.stringify(part)));
    rows.slice(5000).forEach((x) => {
      whole.add(x);
      resumed.add(x);
    });
    expect(resumed.sample).toEqual(whole.sample);
    expect(resumed.seen).toBe(10_000);
  });

  it('createRandom is deterministic and within [0, 1)', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const drawn = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(drawn);
    expect(drawn.every((x) => x >= 0 && x < 1)).toBe(true);
  });
});
