import { describe, expect, it } from 'vitest';
import {
  DATETIME_MISSING_MARKER,
  chooseColumnStrategy,
  chooseImputationStrategies,
  computeDatasetStatistics,
  defaultConstantFor,
  type ImputationColumnFacts,
  type ImputationDatasetFacts,
} from '../src/index.js';

const dataset = (overrides: Partial<ImputationDatasetFacts> = {}): ImputationDatasetFacts => ({
  row_count: 1000,
  complete_row_count: 100,
  is_timeseries: false,
  ...overrides,
});

const column = (overrides: Partial<ImputationColumnFacts> = {}): ImputationColumnFacts => ({
  type: 'number',
  null_value_rate: 0.2,
  max_null_seq: 2,
  first_value_null: false,
  mode_ratio: 0.1,
  numeric: { skew: 0.1 },
  ...overrides,
});

describe('auto: the share of complete rows decides first', () => {
  it('all rows complete -> nothing', () => {
    const plan = chooseImputationStrategies(dataset({ complete_row_count: 1000 }), { a: column(), b: column() });
    expect(plan).toEqual({ action: 'nothing', strategies: { a: 'none', b: 'none' } });
  });

  it('an empty dataset -> nothing', () => {
    expect(chooseImputationStrategies(dataset({ row_count: 0, complete_row_count: 0 }), { a: column() }).action).toBe('nothing');
  });

  it('exactly 70% complete -> drop the incomplete rows; 69.9% -> per column', () => {
    expect(chooseImputationStrategies(dataset({ complete_row_count: 700 }), { a: column() })).toEqual({ action: 'drop_rows', strategies: { a: 'drop_rows' } });
    expect(chooseImputationStrategies(dataset({ complete_row_count: 699 }), { a: column() }).action).toBe('per_column');
  });
});

describe('per column', () => {
  it('no nulls -> none', () => {
    expect(chooseColumnStrategy(dataset(), column({ null_value_rate: 0 }))).toBe('none');
  });

  describe('sequential for a time series', () => {
    const series = dataset({ is_timeseries: true });

    it('longest null run 4 -> sequential; 5 -> the type rule', () => {
      for (const type of ['number', 'category', 'text', 'list', 'datetime'] as const) {
        expect(chooseColumnStrategy(series, column({ type, max_null_seq: 4 }))).toBe('sequential');
        expect(chooseColumnStrategy(series, column({ type, max_null_seq: 5 }))).not.toBe('sequential');
      }
    });

    it('needs the first value present and a time series', () => {
      expect(chooseColumnStrategy(series, column({ first_value_null: true }))).toBe('average');
      expect(chooseColumnStrategy(dataset(), column({ max_null_seq: 1 }))).toBe('average');
    });
  });

  describe('numeric', () => {
    it('at most 100 rows: null rate 0.3 -> average or median, 0.31 -> constant', () => {
      expect(chooseColumnStrategy(dataset({ row_count: 100 }), column({ null_value_rate: 0.3 }))).toBe('average');
      expect(chooseColumnStrategy(dataset({ row_count: 100 }), column({ null_value_rate: 0.31 }))).toBe('constant');
    });

    it('more than 100 rows: null rate 0.31 and 0.5 -> average or median, 0.51 -> constant', () => {
      expect(chooseColumnStrategy(dataset({ row_count: 101 }), column({ null_value_rate: 0.31 }))).toBe('average');
      expect(chooseColumnStrategy(dataset({ row_count: 101 }), column({ null_value_rate: 0.5 }))).toBe('average');
      expect(chooseColumnStrategy(dataset({ row_count: 101 }), column({ null_value_rate: 0.51 }))).toBe('constant');
    });

    it('|skew| < 0.7 -> average; 0.7 and beyond (either sign) -> median', () => {
      expect(chooseColumnStrategy(dataset(), column({ numeric: { skew: 0.6999 } }))).toBe('average');
      expect(chooseColumnStrategy(dataset(), column({ numeric: { skew: -0.6999 } }))).toBe('average');
      expect(chooseColumnStrategy(dataset(), column({ numeric: { skew: 0.7 } }))).toBe('median');
      expect(chooseColumnStrategy(dataset(), column({ numeric: { skew: -0.7 } }))).toBe('median');
    });

    it('an unknown skew (fewer than three values) -> median', () => {
      expect(chooseColumnStrategy(dataset(), column({ numeric: { skew: null } }))).toBe('median');
      expect(chooseColumnStrategy(dataset(), column({ type: 'number_with_decimals', numeric: undefined }))).toBe('median');
    });
  });

  describe('categorical, list and string', () => {
    it.each(['category', 'category_high_cardinality', 'true_or_false', 'list', 'email', 'phone_number', 'text', 'zip_code'] as const)('%s: mode from mode_ratio 0.4', (type) => {
      expect(chooseColumnStrategy(dataset(), column({ type, mode_ratio: 0.4, null_value_rate: 0.5 }))).toBe('mode');
      expect(chooseColumnStrategy(dataset(), column({ type, mode_ratio: 0.39, null_value_rate: 0.3 }))).toBe('random');
      expect(chooseColumnStrategy(dataset(), column({ type, mode_ratio: 0.39, null_value_rate: 0.31 }))).toBe('constant');
    });
  });

  it('datetime -> constant', () => {
    expect(chooseColumnStrategy(dataset(), column({ type: 'datetime', null_value_rate: 0.01 }))).toBe('constant');
  });
});

describe('from computed statistics', () => {
  it('the statistics feed the chooser directly', () => {
    // 10 rows, 6 complete: below 70%, so per column.
    const statistics = computeDatasetStatistics({
      amount: [1, 2, 3, null, 5, 6, null, 8, 9, 10],
      colour: ['red', 'red', 'red', 'red', null, 'blue', 'green', 'red', 'blue', null],
      full: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    });
    const plan = chooseImputationStrategies(statistics, statistics.columns);
    expect(plan).toEqual({ action: 'per_column', strategies: { amount: 'average', colour: 'mode', full: 'none' } });
  });
});

describe('defaultConstantFor', () => {
  it('is 0 for numbers, `missing` for strings and categories, [] for lists, a marker for datetimes', () => {
    expect(defaultConstantFor('number')).toBe(0);
    expect(defaultConstantFor('number_with_decimals')).toBe(0);
    for (const type of ['text', 'email', 'phone_number', 'zip_code', 'category', 'category_high_cardinality', 'true_or_false'] as const) {
      expect(defaultConstantFor(type)).toBe('missing');
    }
    expect(defaultConstantFor('list')).toEqual([]);
    expect(defaultConstantFor('datetime')).toBe(DATETIME_MISSING_MARKER);
  });
});
