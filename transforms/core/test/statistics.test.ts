import { describe, expect, it } from 'vitest';
import {
  FrequencyCounter,
  GOOD_QUALITY_VALIDITY,
  Mulberry32,
  computeColumnStatistics,
  computeDatasetStatistics,
  countSortedNumbers,
  datasetFigures,
  isInvalidValue,
  listElementsOf,
  type ColumnStatistics,
  type NumericStatistics,
} from '../src/index.js';

const numericOf = (statistics: ColumnStatistics): NumericStatistics => {
  expect(statistics.numeric).toBeDefined();
  return statistics.numeric as NumericStatistics;
};

describe('statistics for every column', () => {
  const values = ['a', 'b', null, 'a', '', undefined, 'c', 'a'];
  const statistics = computeColumnStatistics('letters', values, 'category');

  it('counts values, distinct values and nulls (blank strings are missing)', () => {
    expect(statistics.row_count).toBe(8);
    expect(statistics.count).toBe(5);
    expect(statistics.count_distinct).toBe(3);
    expect(statistics.null_value_count).toBe(3);
    expect(statistics.null_value_rate).toBe(3 / 8);
    expect(statistics.unique_value_rate).toBe(3 / 8);
    expect(statistics.completeness).toBe(5 / 8);
  });

  it('reports top value counts, most frequent first, and the mode with its ratio over all rows', () => {
    expect(statistics.value_counts).toEqual([
      { value: 'a', count: 3 },
      { value: 'b', count: 1 },
      { value: 'c', count: 1 },
    ]);
    expect(statistics.mode).toBe('a');
    expect(statistics.mode_ratio).toBe(3 / 8);
  });

  it('keeps only the top 20 value counts', () => {
    const many = Array.from({ length: 25 }, (_, i) => Array.from({ length: i + 1 }, () => `v${i}`)).flat();
    const top = computeColumnStatistics('v', many, 'category').value_counts;
    expect(top).toHaveLength(20);
    expect(top[0]).toEqual({ value: 'v24', count: 25 });
    expect(top[19]).toEqual({ value: 'v5', count: 6 });
  });

  it('fix: a mode of false or 0 has its real ratio (the reference reports 0)', () => {
    const flags = computeColumnStatistics('flag', [false, false, true, null], 'true_or_false');
    expect(flags.mode).toBe(false);
    expect(flags.mode_ratio).toBe(0.5);
    const zeros = computeColumnStatistics('n', [0, 0, 1, 5], 'number');
    expect(zeros.mode).toBe(0);
    expect(zeros.mode_ratio).toBe(0.5);
  });

  it('breaks mode ties by the lowest value, whatever the row order', () => {
    expect(computeColumnStatistics('s', ['b', 'a', 'b', 'a'], 'category').mode).toBe('a');
    expect(computeColumnStatistics('s', ['a', 'b', 'a', 'b'], 'category').mode).toBe('a');
    expect(computeColumnStatistics('n', [3, 2, 3, 2], 'number').mode).toBe(2);
  });

  it('an all-missing column has no mode, ratio 0, and a null run as long as the column', () => {
    const empty = computeColumnStatistics('e', [null, null, null], 'category');
    expect(empty.mode).toBeNull();
    expect(empty.mode_ratio).toBe(0);
    expect(empty.max_null_seq).toBe(3);
    expect(empty.first_value_null).toBe(true);
  });

  it('max_null_seq is the true longest run of nulls, leading runs included', () => {
    expect(computeColumnStatistics('n', [null, null, null, null, 1, null, 2], 'number').max_null_seq).toBe(4);
    expect(computeColumnStatistics('n', [1, null, null, 2, null, null, null, 3], 'number').max_null_seq).toBe(3);
    expect(computeColumnStatistics('n', [1, 2], 'number').max_null_seq).toBe(0);
    expect(computeColumnStatistics('n', [1, null], 'number').first_value_null).toBe(false);
  });
});

describe('invalid values, validity and quality', () => {
  it('emails, phones and zips that fail their pattern are invalid', () => {
    expect(isInvalidValue('x@y.com', 'email')).toBe(false);
    expect(isInvalidValue('not an email', 'email')).toBe(true);
    expect(isInvalidValue('555-123-4567', 'phone_number')).toBe(false);
    expect(isInvalidValue(5551234567, 'phone_number')).toBe(false);
    expect(isInvalidValue('call me', 'phone_number')).toBe(true);
    expect(isInvalidValue('02134', 'zip_code')).toBe(false);
    expect(isInvalidValue(2134, 'zip_code')).toBe(false);
    expect(isInvalidValue('ABC', 'zip_code')).toBe(true);
    expect(isInvalidValue(null, 'email')).toBe(false);
  });

  it('numbers that are not number-like strings are invalid; other types have no syntax', () => {
    expect(isInvalidValue(5, 'number')).toBe(false);
    expect(isInvalidValue('$5', 'number')).toBe(false);
    expect(isInvalidValue('five', 'number_with_decimals')).toBe(true);
    expect(isInvalidValue(true, 'number')).toBe(true);
    expect(isInvalidValue('anything', 'text')).toBe(false);
    expect(isInvalidValue('not a date', 'datetime')).toBe(false);
  });

  it('counts invalid values over all rows and keeps at most 100 examples', () => {
    const values = [...Array.from({ length: 150 }, (_, i) => `bad${i}`), ...Array.from({ length: 50 }, (_, i) => `u${i}@x.com`)];
    const statistics = computeColumnStatistics('email', values, 'email');
    expect(statistics.invalid_value_count).toBe(150);
    expect(statistics.invalid_value_rate).toBe(0.75);
    expect(statistics.invalid_values).toHaveLength(100);
    expect(statistics.invalid_values[0]).toBe('bad0');
  });

  it('validity = completeness - invalid rate; Good from validity 0.8', () => {
    expect(GOOD_QUALITY_VALIDITY).toBe(0.8);
    const exactly = computeColumnStatistics('email', ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com', 'f@x.com', 'g@x.com', 'h@x.com', null, null], 'email');
    expect(exactly.validity).toBe(0.8);
    expect(exactly.quality).toBe('Good');
    const below = computeColumnStatistics('email', ['a@x.com', 'b@x.com', 'c@x.com', 'd@x.com', 'e@x.com', 'f@x.com', 'g@x.com', 'bad', 'worse', null], 'email');
    expect(below.completeness).toBe(0.9);
    expect(below.validity).toBeCloseTo(0.7, 12);
    expect(below.quality).toBe('Bad');
  });
});

describe('numeric statistics', () => {
  it('match numpy/pandas on a small column', () => {
    const numeric = numericOf(computeColumnStatistics('n', [2, 8, null, 0, 4, 1, 9, 9, 0], 'number'));
    expect(numeric.average).toBe(4.125);
    expect(numeric.min).toBe(0);
    expect(numeric.max).toBe(9);
    expect(numeric.median).toBe(3);
    expect(numeric.sum).toBe(33);
    expect(numeric.std).toBeCloseTo(3.9798600118956085, 12);
    expect(numeric.skew).toBeCloseTo(0.3305821804079746, 12);
  });

  it('skew is pandas bias-corrected sample skewness: [1, 2, 3, 10] -> 1.7636', () => {
    // pandas.Series([1, 2, 3, 10]).skew() == scipy.stats.skew(..., bias=False) == 1.763632614803888
    const numeric = numericOf(computeColumnStatistics('n', [1, 2, 3, 10], 'number'));
    expect(numeric.skew).toBeCloseTo(1.763632614803888, 12);
  });

  it('skew is null below three values and 0 for a constant column; std is null below two', () => {
    expect(numericOf(computeColumnStatistics('n', [1, 2], 'number')).skew).toBeNull();
    expect(numericOf(computeColumnStatistics('n', [1], 'number')).std).toBeNull();
    expect(numericOf(computeColumnStatistics('n', [4, 4, 4, 4], 'number')).skew).toBe(0);
  });

  it('outliers are values with |z| >= 3 by the sample std', () => {
    const values = [...Array.from({ length: 20 }, (_, i) => i + 1), 1000];
    const numeric = numericOf(computeColumnStatistics('n', values, 'number'));
    expect(numeric.std).toBeCloseTo(216.00358242179138, 9);
    expect(numeric.outlier_count).toBe(1);
    expect(numeric.outliers).toEqual([1000]);
    expect(numeric.outlier_ratio).toBe(1 / 21);
    expect(numericOf(computeColumnStatistics('n', [3, 3, 3], 'number')).outlier_count).toBe(0);
  });

  it('box plot: nearest-rank quartiles (numpy "nearest"), whiskers at 1.5 IQR', () => {
    const numeric = numericOf(computeColumnStatistics('n', [100, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'number'));
    expect(numeric.box_plot_data).toEqual({ min: 1, first_quartile: 3, median: 5.5, third_quartile: 8, max: 9, outliers: [100] });
    const small = numericOf(computeColumnStatistics('n', [2, 8, 0, 4, 1, 9, 9, 0], 'number')).box_plot_data;
    expect([small.first_quartile, small.third_quartile]).toEqual([1, 8]);
  });

  it('box plot with zero IQR flags only values strictly beyond the quartiles', () => {
    const box = numericOf(computeColumnStatistics('n', [5, 5, 5, 5, 6], 'number')).box_plot_data;
    expect(box.outliers).toEqual([6]);
    expect([box.min, box.max]).toEqual([5, 5]);
  });

  it('numeric strings are coerced (commas, currency, percent) and unreadable ones are invalid', () => {
    const money = computeColumnStatistics('amount', ['$1,000', '$2,000', 'abc', null], 'number');
    expect(money.invalid_value_count).toBe(1);
    expect(numericOf(money).sum).toBe(3000);
    const shares = computeColumnStatistics('share', ['50%', '25%'], 'number_with_decimals');
    expect(numericOf(shares).average).toBe(0.375);
  });
});

describe('type-specific statistics', () => {
  it('datetime: min, max and the middle instant', () => {
    const statistics = computeColumnStatistics('at', ['2024-01-03', '2024-01-01T12:00:00Z', null, 'Jan 2, 2024', '2024-01-04'], 'datetime');
    expect(statistics.datetime).toEqual({
      min: '2024-01-01T12:00:00.000Z',
      max: '2024-01-04T00:00:00.000Z',
      median: '2024-01-03T00:00:00.000Z',
    });
  });

  it('text: character and word counts, top words without punctuation, lower-cased', () => {
    const statistics = computeColumnStatistics('review', ['Good food.', 'good, GOOD service!', 'ok'], 'text');
    expect(statistics.text).toMatchObject({
      min_character_count: 2,
      max_character_count: 19,
      min_word_count: 1,
      max_word_count: 3,
      avg_word_count: 2,
    });
    expect(statistics.text?.word_distribution[0]).toEqual({ value: 'good', count: 3 });
    expect(statistics.text?.avg_string_length).toBeCloseTo(31 / 3, 12);
  });

  it('email: top domains of valid addresses, case-insensitive', () => {
    const statistics = computeColumnStatistics('email', ['a@x.com', 'b@X.com', 'c@y.org', 'bad'], 'email');
    expect(statistics.email?.domain_distribution).toEqual([
      { value: 'x.com', count: 2 },
      { value: 'y.org', count: 1 },
    ]);
  });

  it('list: lengths and element frequencies, from arrays and list-like strings', () => {
    expect(listElementsOf('[1, 2, 3]')).toEqual([1, 2, 3]);
    expect(listElementsOf("('a', 'b')")).toEqual(['a', 'b']);
    expect(listElementsOf('[]')).toEqual([]);
    expect(listElementsOf('plain')).toBeUndefined();
    const statistics = computeColumnStatistics('tags', [['a', 'b'], '["a"]', "['a', 'c', 'd']", null], 'list');
    expect(statistics.list).toMatchObject({ min_list_length: 1, max_list_length: 3, avg_list_length: 2, most_frequent_element: 'a', least_frequent_element: 'd' });
    expect(statistics.list?.element_distribution[0]).toEqual({ value: 'a', count: 3 });
  });
});

describe('dataset statistics', () => {
  const columns = {
    id: [1, 2, 2, 4, 5],
    name: ['a', 'b', 'b', null, 'e'],
    empty: [null, null, null, null, null],
  };
  const statistics = computeDatasetStatistics(columns, { columnTypes: { empty: 'category' } });

  it('counts rows, duplicates, empty columns and complete rows', () => {
    expect(statistics.row_count).toBe(5);
    expect(statistics.column_count).toBe(3);
    expect(statistics.duplicate_row_count).toBe(1);
    expect(statistics.duplicate_row_rate).toBe(0.2);
    expect(statistics.empty_column_count).toBe(1);
    expect(statistics.complete_row_count).toBe(0);
    expect(statistics.total_null_value_count).toBe(6);
    expect(statistics.total_null_value_rate).toBe(6 / 15);
  });

  it('averages column completeness and validity', () => {
    const columnCompleteness = Object.values(statistics.columns).map((c) => c.completeness);
    expect(statistics.completeness).toBeCloseTo(columnCompleteness.reduce((a, b) => a + b, 0) / 3, 12);
    expect(statistics.validity).toBeCloseTo(statistics.completeness, 12);
  });

  it('detects column types when not given', () => {
    expect(statistics.column_types).toEqual({ id: 'number', name: 'category', empty: 'category' });
  });

  it('is a time series when a datetime column has null rate <= 0.1 (those columns are the index)', () => {
    const days = (n: number, nulls: number): (string | null)[] =>
      Array.from({ length: n }, (_, i) => (i < nulls ? null : `2024-01-01T${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`));
    const atLimit = computeDatasetStatistics({ at: days(10, 1), value: Array.from({ length: 10 }, (_, i) => i) });
    expect(atLimit.column_types.at).toBe('datetime');
    expect(atLimit.is_timeseries).toBe(true);
    expect(atLimit.timeseries_index).toEqual(['at']);
    const over = computeDatasetStatistics({ at: days(100, 11), value: Array.from({ length: 100 }, (_, i) => i) });
    expect(over.column_types.at).toBe('datetime');
    expect(over.is_timeseries).toBe(false);
    expect(over.timeseries_index).toEqual([]);
  });

  it('rejects columns of different lengths', () => {
    expect(() => computeDatasetStatistics({ a: [1, 2], b: [1] })).toThrow(/column "b" has 1 values/);
  });
});

describe('countSortedNumbers', () => {
  /** JSON text that tells -0 from 0. */
  const exactText = (value: unknown): string => JSON.stringify(value, (_key, x: unknown) => (Object.is(x, -0) ? '-0' : x)) ?? 'undefined';

  it("gives a FrequencyCounter's distinct count, top values and mode, 0 and -0 as the first seen", () => {
    const random = new Mulberry32(17);
    for (let round = 0; round < 200; round += 1) {
      const values = Array.from({ length: Math.floor(random.next() * 120) }, () => {
        const r = random.next();
        return r < 0.15 ? (random.next() < 0.5 ? -0 : 0) : r < 0.2 ? Infinity : Math.floor(random.next() * 25) - 12 + (r < 0.6 ? 0.5 : 0);
      });
      const counter = new FrequencyCounter();
      for (const x of values) counter.add(x);
      const sorted = Float64Array.from(values).sort();
      for (const limit of [1, 3, 20]) {
        const counted = countSortedNumbers(sorted, values, limit);
        expect(counted.distinct).toBe(counter.distinctCount);
        expect(exactText(counted.top)).toBe(exactText(counter.top(limit)));
        expect(exactText(counted.top[0])).toBe(exactText(counter.mode()));
      }
      expect(exactText(countSortedNumbers([...sorted], values).top)).toBe(exactText(counter.top(20)));
    }
    expect(() => countSortedNumbers([1], [1], 0)).toThrow(RangeError);
  });
});

describe('datasetFigures', () => {
  it('are the dataset statistics but their columns, from the columns\' statistics', () => {
    const columns = { id: [1, 2, 3, 3], when: ['2024-01-01', '2024-01-02', null, '2024-01-04'], note: [null, null, null, null] };
    const dataset = computeDatasetStatistics(columns);
    const { columns: perColumn, ...figures } = dataset;
    expect(datasetFigures(Object.keys(columns), perColumn, dataset.column_types, 4, dataset.duplicate_row_count, dataset.complete_row_count)).toEqual(figures);
    expect(Object.keys(dataset)).toEqual([...Object.keys(figures), 'columns']);
  });
});

describe('numeric statistics of values near the largest double', () => {
  it('are those of the same values at a normal scale, multiplied back bit for bit', () => {
    const random = new Mulberry32(3);
    const data = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 40 : 1) * (random.next() - 0.3));
    const base = numericOf(computeColumnStatistics('v', data, 'number_with_decimals'));
    const power = 990;
    const huge = numericOf(computeColumnStatistics('v', data.map((x) => x * 2 ** power), 'number_with_decimals'));
    expect(huge.average).toBe(base.average * 2 ** power);
    expect(huge.sum).toBe(base.sum * 2 ** power);
    expect(huge.std).toBe((base.std as number) * 2 ** power);
    expect(huge.skew).toBe(base.skew);
    expect(huge.outlier_count).toBe(base.outlier_count);
    expect(base.outlier_count).toBeGreaterThan(0);
  });
});
