/**
 * The `auto` imputation chooser: from dataset and column statistics, decide whether to do nothing, drop
 * incomplete rows, or fill each column with a strategy suited to its type and gaps. Only the decision
 * lives here; the impute stage applies it.
 */

import { CATEGORICAL_TYPES, NUMERIC_TYPES, STRING_TYPES, type ColumnType } from './column-types.js';

export type ImputationStrategy = 'none' | 'drop_rows' | 'sequential' | 'average' | 'median' | 'constant' | 'mode' | 'random';

/** Share of complete rows from which dropping the incomplete ones is preferred to filling them. */
export const ROW_REMOVAL_MIN_COMPLETE_RATE = 0.7;
/** Longest null run sequential (forward) fill may bridge. */
export const SEQUENTIAL_MAX_NULL_RUN = 4;
/** Datasets with at most this many rows use the small null-rate bound for average/median. */
export const SMALL_DATASET_MAX_ROWS = 100;
/** Highest null rate for average/median: small datasets. */
export const SMALL_DATASET_MAX_NULL_RATE = 0.3;
/** Highest null rate for average/median: larger datasets. */
export const LARGE_DATASET_MAX_NULL_RATE = 0.5;
/** |skew| from which the median replaces the average. */
export const AVERAGE_MAX_ABS_SKEW = 0.7;
/** Mode ratio from which the mode fills a categorical, list or string column. */
export const MODE_MIN_RATIO = 0.4;
/** Highest null rate for random fill of a categorical, list or string column. */
export const RANDOM_MAX_NULL_RATE = 0.3;

/** The dataset figures the chooser reads (a DatasetStatistics satisfies it). */
export interface ImputationDatasetFacts {
  row_count: number;
  complete_row_count: number;
  is_timeseries: boolean;
}

/** The column figures the chooser reads (a ColumnStatistics satisfies it). */
export interface ImputationColumnFacts {
  type: ColumnType;
  null_value_rate: number;
  max_null_seq: number;
  first_value_null: boolean;
  mode_ratio: number;
  numeric?: { skew: number | null };
}

export interface ImputationPlan {
  /** `nothing`: every row is complete; `drop_rows`: drop incomplete rows; `per_column`: see strategies. */
  action: 'nothing' | 'drop_rows' | 'per_column';
  /** One strategy per column: all `none` or all `drop_rows` for the first two actions. */
  strategies: Record<string, ImputationStrategy>;
}

function sequentialFits(dataset: ImputationDatasetFacts, column: ImputationColumnFacts): boolean {
  return dataset.is_timeseries && column.max_null_seq <= SEQUENTIAL_MAX_NULL_RUN && !column.first_value_null;
}

/** The strategy for one column once rows are known to need per-column filling. */
export function chooseColumnStrategy(dataset: ImputationDatasetFacts, column: ImputationColumnFacts): ImputationStrategy {
  if (column.null_value_rate === 0) return 'none';
  if (sequentialFits(dataset, column)) return 'sequential';
  const { type } = column;
  if (NUMERIC_TYPES.has(type)) {
    // The bound is by dataset rows, as the reference documents it (its code compares the non-null count).
    const maxNullRate = dataset.row_count <= SMALL_DATASET_MAX_ROWS ? SMALL_DATASET_MAX_NULL_RATE : LARGE_DATASET_MAX_NULL_RATE;
    if (column.null_value_rate > maxNullRate) return 'constant';
    const skew = column.numeric?.skew;
    // An unknown skew (fewer than three values) fails `|skew| < 0.7` as NaN does in the reference.
    return skew !== null && skew !== undefined && Math.abs(skew) < AVERAGE_MAX_ABS_SKEW ? 'average' : 'median';
  }
  if (CATEGORICAL_TYPES.has(type) || STRING_TYPES.has(type) || type === 'list') {
    if (column.mode_ratio >= MODE_MIN_RATIO) return 'mode';
    if (column.null_value_rate <= RANDOM_MAX_NULL_RATE) return 'random';
    return 'constant';
  }
  return 'constant'; // datetime: no value can be invented safely but a marker
}

/**
 * The stream-level half of the `auto` rules, from the row counts alone: every row complete -> nothing; at
 * least 70% of rows complete -> drop the incomplete rows; otherwise per column. Column facts (types,
 * modes, skew) matter only for `per_column`, so a caller can skip computing them for the other two.
 */
export function chooseImputationAction(dataset: Pick<ImputationDatasetFacts, 'row_count' | 'complete_row_count'>): ImputationPlan['action'] {
  const completeRate = dataset.row_count === 0 ? 1 : dataset.complete_row_count / dataset.row_count;
  if (completeRate === 1) return 'nothing';
  if (completeRate >= ROW_REMOVAL_MIN_COMPLETE_RATE) return 'drop_rows';
  return 'per_column';
}

/**
 * The reference's `auto` rules: every row complete -> nothing; at least 70% of rows complete -> drop
 * the incomplete rows; otherwise a strategy per column (see chooseColumnStrategy). An empty dataset
 * needs nothing.
 */
export function chooseImputationStrategies(dataset: ImputationDatasetFacts, columns: Readonly<Record<string, ImputationColumnFacts>>): ImputationPlan {
  const names = Object.keys(columns);
  const every = (strategy: ImputationStrategy): Record<string, ImputationStrategy> => Object.fromEntries(names.map((name) => [name, strategy]));
  const action = chooseImputationAction(dataset);
  if (action === 'nothing') return { action, strategies: every('none') };
  if (action === 'drop_rows') return { action, strategies: every('drop_rows') };
  const strategies: Record<string, ImputationStrategy> = {};
  for (const name of names) strategies[name] = chooseColumnStrategy(dataset, columns[name] as ImputationColumnFacts);
  return { action: 'per_column', strategies };
}

/** Sentinel for a datetime column: early enough to stand out, inside every target's DATETIME range. */
export const DATETIME_MISSING_MARKER = '1900-01-01T00:00:00.000Z';

/**
 * The constant used when none is given: 0 for numbers, `missing` for strings and categories (including
 * true_or_false, as the reference does), an empty list for lists, and DATETIME_MISSING_MARKER for
 * datetimes (the reference uses pandas' Timestamp.min, 1677, which most targets reject).
 */
export function defaultConstantFor(type: ColumnType): string | number | unknown[] {
  if (NUMERIC_TYPES.has(type)) return 0;
  if (type === 'list') return [];
  if (type === 'datetime') return DATETIME_MISSING_MARKER;
  return 'missing';
}
