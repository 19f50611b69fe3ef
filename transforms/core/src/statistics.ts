/**
 * Column and dataset statistics as the `profile` stage reports them, computed over in-memory columns
 * (a batch, or a sample of a stream; the streaming accumulators give the same figures for unbounded
 * input). Field names follow the reference's statistic names (snake_case) because they are the
 * report's user-facing keys. Missing values are those of `isMissingValue`. Rates are over all rows
 * unless the name says otherwise.
 */

import { FrequencyCounter, skewFromMoments, type ValueCount } from './accumulators.js';
import { inferColumnType, NUMERIC_TYPES, type ColumnType } from './column-types.js';
import { formatInstant, parseDateLike } from './date-values.js';
import { medianOfSorted, nearestQuantile, sortNumbersInPlace, sortedNumbers } from './quantiles.js';
import { chooseNumericCoercion, coerceNumericString, isEmail, isListLike, isNumberLike, isPhoneNumber, isZipCode } from './value-patterns.js';
import { isMissingValue, stableStringify, stripQuotes, valueKey } from './value-identity.js';

/** Top-N size of every distribution (values, words, domains, list elements). */
export const VALUE_COUNT_LIMIT = 20;
/** Invalid values reported as examples. */
export const INVALID_VALUE_SAMPLE_LIMIT = 100;
/** Outliers reported as examples. */
export const OUTLIER_SAMPLE_LIMIT = 100;
/** |z| from which a value is a z-score outlier. */
export const OUTLIER_Z_SCORE = 3;
/** Box-plot whiskers reach this many IQRs beyond the quartiles. */
export const BOX_PLOT_WHISKER_IQR = 1.5;
/** Validity from which a column's quality is `Good`. */
export const GOOD_QUALITY_VALIDITY = 0.8;
/** A datetime column with at most this null rate makes the dataset a time series. */
export const TIMESERIES_MAX_NULL_RATE = 0.1;


export interface BoxPlotData {
  /** Lower whisker: the smallest value that is not a box-plot outlier. */
  min: number;
  first_quartile: number;
  median: number;
  third_quartile: number;
  /** Upper whisker: the largest value that is not a box-plot outlier. */
  max: number;
  /** Distinct values beyond the whiskers, in order of appearance, at most OUTLIER_SAMPLE_LIMIT. */
  outliers: number[];
}

export interface NumericStatistics {
  average: number;
  min: number;
  max: number;
  median: number;
  sum: number;
  /** Bias-corrected sample skewness (pandas); null below three values. */
  skew: number | null;
  /** Sample standard deviation (n - 1); null below two values. */
  std: number | null;
  /** Values with |z| >= OUTLIER_Z_SCORE (0 when std is 0 or null). */
  outlier_count: number;
  outlier_ratio: number;
  outliers: number[];
  box_plot_data: BoxPlotData;
}

export interface DatetimeStatistics {
  /** ISO 8601, UTC. */
  min: string;
  max: string;
  /** The middle instant (upper middle for an even count), an actual value like the reference's. */
  median: string;
}

export interface TextStatistics {
  avg_string_length: number;
  min_character_count: number;
  max_character_count: number;
  avg_word_count: number;
  min_word_count: number;
  max_word_count: number;
  word_distribution: ValueCount[];
}

export interface EmailStatistics {
  domain_distribution: ValueCount[];
}

export interface ListStatistics {
  avg_list_length: number;
  min_list_length: number;
  max_list_length: number;
  length_distribution: ValueCount[];
  element_distribution: ValueCount[];
  most_frequent_element: unknown;
  least_frequent_element: unknown;
}

export interface ColumnStatistics {
  column: string;
  type: ColumnType;
  /** All rows, missing values included. */
  row_count: number;
  /** Non-missing values. */
  count: number;
  count_distinct: number;
  null_value_count: number;
  null_value_rate: number;
  /** Distinct non-missing values over all rows. */
  unique_value_rate: number;
  /** Longest run of consecutive missing values. */
  max_null_seq: number;
  /** Whether the first row is missing (sequential imputation cannot fill a leading gap). */
  first_value_null: boolean;
  invalid_value_count: number;
  invalid_value_rate: number;
  invalid_values: unknown[];
  completeness: number;
  validity: number;
  quality: 'Good' | 'Bad';
  value_counts: ValueCount[];
  /** Most frequent non-missing value (lowest on ties); null when there is none. */
  mode: unknown;
  /** Count of the mode over all rows, missing values included. */
  mode_ratio: number;
  numeric?: NumericStatistics;
  datetime?: DatetimeStatistics;
  text?: TextStatistics;
  email?: EmailStatistics;
  list?: ListStatistics;
}

export interface DatasetStatistics {
  row_count: number;
  column_count: number;
  duplicate_row_count: number;
  duplicate_row_rate: number;
  empty_column_count: number;
  empty_column_rate: number;
  /** Rows with no missing value in any column (what `auto` imputation looks at). */
  complete_row_count: number;
  complete_row_rate: number;
  total_null_value_count: number;
  total_null_value_rate: number;
  total_invalid_value_count: number;
  total_invalid_value_rate: number;
  /** Average column completeness. */
  completeness: number;
  /** Average column validity. */
  validity: number;
  is_timeseries: boolean;
  /** The datetime columns with null rate <= TIMESERIES_MAX_NULL_RATE. */
  timeseries_index: string[];
  column_types: Record<string, ColumnType>;
  columns: Record<string, ColumnStatistics>;
}

function rate(count: number, total: number): number {
  return total === 0 ? 0 : count / total;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return stableStringify(value);
}

/**
 * Whether a non-missing value is invalid for its column type: emails, phone numbers and zip codes that
 * fail their pattern, and values of a numeric column that are neither numbers nor number-like strings.
 * Other types have no syntax to fail.
 */
export function isInvalidValue(value: unknown, type: ColumnType): boolean {
  if (isMissingValue(value)) return false;
  switch (type) {
    case 'email':
      return !isEmail(stripQuotes(asText(value)));
    case 'phone_number':
      return !isPhoneNumber(stripQuotes(asText(value)));
    case 'zip_code':
      return !isZipCode(stripQuotes(asText(value)));
    case 'number':
    case 'number_with_decimals':
      if (typeof value === 'number') return !Number.isFinite(value);
      return typeof value !== 'string' || !isNumberLike(stripQuotes(value));
    default:
      return false;
  }
}

/** The numbers of a numeric column (strings read with the column's coercion); null where unreadable. */
export function numericValuesOf(values: readonly unknown[]): (number | null)[] {
  const texts = values.map((value) => (typeof value === 'string' ? stripQuotes(value) : value));
  const coercion = chooseNumericCoercion(texts);
  return texts.map((value) => {
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'string') return coerceNumericString(value, coercion);
    return null;
  });
}

function longestNullRun(missing: readonly boolean[]): number {
  let longest = 0;
  let current = 0;
  for (const isMissing of missing) {
    current = isMissing ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  return longest;
}

function numericStatistics(numbers: readonly number[], rowCount: number): NumericStatistics | undefined {
  const n = numbers.length;
  if (n === 0) return undefined;
  let sum = 0;
  let compensation = 0;
  for (const x of numbers) {
    // Neumaier summation, so the batch sum matches the streaming accumulator's.
    const total = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - total + x : x - total + sum;
    sum = total;
  }
  sum += compensation;
  const average = sum / n;
  let m2 = 0;
  let m3 = 0;
  for (const x of numbers) {
    const deviation = x - average;
    m2 += deviation * deviation;
    m3 += deviation * deviation * deviation;
  }
  const std = n < 2 ? null : Math.sqrt(m2 / (n - 1));
  const skewValue = skewFromMoments(n, m2, m3);
  const outliers: number[] = [];
  let outlierCount = 0;
  if (std !== null && std > 0) {
    for (const x of numbers) {
      if (Math.abs((x - average) / std) >= OUTLIER_Z_SCORE) {
        outlierCount += 1;
        if (outliers.length < OUTLIER_SAMPLE_LIMIT) outliers.push(x);
      }
    }
  }
  const sorted = sortedNumbers(numbers);
  const median = medianOfSorted(sorted);
  const firstQuartile = nearestQuantile(sorted, 0.25);
  const thirdQuartile = nearestQuantile(sorted, 0.75);
  const reach = BOX_PLOT_WHISKER_IQR * (thirdQuartile - firstQuartile);
  const lowFence = firstQuartile - reach;
  const highFence = thirdQuartile + reach;
  // Strictly beyond the fences: the reference's `<=`/`>=` flags every value at a quartile when IQR is 0.
  const boxOutliers = new Set<number>();
  let whiskerLow = Infinity;
  let whiskerHigh = -Infinity;
  for (const x of numbers) {
    if (x < lowFence || x > highFence) {
      if (boxOutliers.size < OUTLIER_SAMPLE_LIMIT) boxOutliers.add(x);
    } else {
      whiskerLow = Math.min(whiskerLow, x);
      whiskerHigh = Math.max(whiskerHigh, x);
    }
  }
  return {
    average,
    min: sorted[0] as number,
    max: sorted[n - 1] as number,
    median,
    sum,
    skew: Number.isNaN(skewValue) ? null : skewValue,
    std,
    outlier_count: outlierCount,
    outlier_ratio: rate(outlierCount, rowCount),
    outliers,
    box_plot_data: {
      min: whiskerLow,
      first_quartile: firstQuartile,
      median,
      third_quartile: thirdQuartile,
      max: whiskerHigh,
      outliers: [...boxOutliers],
    },
  };
}

function datetimeStatistics(values: readonly unknown[]): DatetimeStatistics | undefined {
  const instants: number[] = [];
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const instant = parseDateLike(stripQuotes(value));
    if (instant !== null) instants.push(instant);
  }
  if (instants.length === 0) return undefined;
  sortNumbersInPlace(instants);
  return {
    min: formatInstant(instants[0] as number),
    max: formatInstant(instants[instants.length - 1] as number),
    median: formatInstant(instants[Math.floor(instants.length / 2)] as number),
  };
}

/** The reference's punctuation set, replaced by spaces before counting words. */
const PUNCTUATION = /[:;.,/\\&`"'()[\]{}]/g;

export function wordsOf(text: string): string[] {
  const cleaned = text.replace(PUNCTUATION, ' ').toLowerCase().trim();
  return cleaned === '' ? [] : cleaned.split(/\s+/);
}

function summarise(counts: readonly number[]): { avg: number; min: number; max: number } {
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of counts) {
    total += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { avg: total / counts.length, min, max };
}

function textStatistics(values: readonly unknown[]): TextStatistics | undefined {
  if (values.length === 0) return undefined;
  const lengths: number[] = [];
  const wordCounts: number[] = [];
  const words = new FrequencyCounter();
  for (const value of values) {
    const text = asText(value);
    lengths.push([...text].length); // characters, not UTF-16 units
    const tokens = wordsOf(text);
    wordCounts.push(tokens.length);
    for (const word of tokens) words.add(word);
  }
  const length = summarise(lengths);
  const wordCount = summarise(wordCounts);
  return {
    avg_string_length: length.avg,
    min_character_count: length.min,
    max_character_count: length.max,
    avg_word_count: wordCount.avg,
    min_word_count: wordCount.min,
    max_word_count: wordCount.max,
    word_distribution: words.top(VALUE_COUNT_LIMIT),
  };
}

function emailStatistics(values: readonly unknown[]): EmailStatistics {
  const domains = new FrequencyCounter();
  for (const value of values) {
    const text = stripQuotes(asText(value));
    // Domains are case-insensitive, so Example.COM and example.com are one domain.
    if (isEmail(text)) domains.add(text.slice(text.indexOf('@') + 1).toLowerCase());
  }
  return { domain_distribution: domains.top(VALUE_COUNT_LIMIT) };
}

/**
 * The elements of a list value: a JSON array as is; a list-like string parsed as JSON when it is
 * (parentheses read as brackets), otherwise split on commas with quotes and spaces trimmed. Undefined
 * when the value is not a list.
 */
export function listElementsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return undefined;
  const text = stripQuotes(value);
  if (!isListLike(text)) return undefined;
  const bracketed = `[${text.slice(1, -1)}]`;
  try {
    const parsed: unknown = JSON.parse(bracketed);
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // Not JSON (Python-style quotes, bare words): fall back to splitting.
  }
  const inner = text.slice(1, -1).trim();
  if (inner === '') return [];
  return inner
    .split(',')
    .map((part) => stripQuotes(part))
    .filter((part) => part !== '');
}

function listStatistics(values: readonly unknown[]): ListStatistics | undefined {
  const lengths: number[] = [];
  const lengthCounts = new FrequencyCounter();
  const elements = new FrequencyCounter();
  for (const value of values) {
    const items = listElementsOf(value);
    if (items === undefined) continue;
    lengths.push(items.length);
    lengthCounts.add(items.length);
    for (const item of items) elements.add(item);
  }
  if (lengths.length === 0) return undefined;
  const length = summarise(lengths);
  const byFrequency = elements.top();
  return {
    avg_list_length: length.avg,
    min_list_length: length.min,
    max_list_length: length.max,
    length_distribution: lengthCounts.top(VALUE_COUNT_LIMIT),
    element_distribution: byFrequency.slice(0, VALUE_COUNT_LIMIT),
    most_frequent_element: byFrequency[0]?.value ?? null,
    least_frequent_element: byFrequency[byFrequency.length - 1]?.value ?? null,
  };
}

/** Every statistic the reference reports for one column; the type is detected when not given. */
export function computeColumnStatistics(name: string, values: readonly unknown[], type: ColumnType = inferColumnType(name, values)): ColumnStatistics {
  const rowCount = values.length;
  const missing = values.map(isMissingValue);
  const present = values.filter((_, index) => !missing[index]);
  const frequencies = new FrequencyCounter();
  for (const value of present) frequencies.add(value);
  const nullCount = rowCount - present.length;
  const invalidValues: unknown[] = [];
  let invalidCount = 0;
  for (const value of present) {
    if (isInvalidValue(value, type)) {
      invalidCount += 1;
      if (invalidValues.length < INVALID_VALUE_SAMPLE_LIMIT) invalidValues.push(value);
    }
  }
  const nullRate = rate(nullCount, rowCount);
  const invalidRate = rate(invalidCount, rowCount);
  const completeness = 1 - nullRate;
  const validity = completeness - invalidRate;
  // fix: the reference computes `count / rows if mode else 0`, so a mode of false or 0 reported ratio 0.
  const mode = frequencies.mode();
  const statistics: ColumnStatistics = {
    column: name,
    type,
    row_count: rowCount,
    count: present.length,
    count_distinct: frequencies.distinctCount,
    null_value_count: nullCount,
    null_value_rate: nullRate,
    unique_value_rate: rate(frequencies.distinctCount, rowCount),
    max_null_seq: longestNullRun(missing),
    first_value_null: missing[0] ?? false,
    invalid_value_count: invalidCount,
    invalid_value_rate: invalidRate,
    invalid_values: invalidValues,
    completeness,
    validity,
    quality: validity >= GOOD_QUALITY_VALIDITY ? 'Good' : 'Bad',
    value_counts: frequencies.top(VALUE_COUNT_LIMIT),
    mode: mode === undefined ? null : mode.value,
    mode_ratio: mode === undefined ? 0 : rate(mode.count, rowCount),
  };
  if (NUMERIC_TYPES.has(type)) {
    const numbers = numericValuesOf(present).filter((x): x is number => x !== null);
    const numeric = numericStatistics(numbers, rowCount);
    if (numeric) statistics.numeric = numeric;
  } else if (type === 'datetime') {
    const datetime = datetimeStatistics(present);
    if (datetime) statistics.datetime = datetime;
  } else if (type === 'text') {
    const text = textStatistics(present);
    if (text) statistics.text = text;
  } else if (type === 'email') {
    statistics.email = emailStatistics(present);
  } else if (type === 'list') {
    const list = listStatistics(present);
    if (list) statistics.list = list;
  }
  return statistics;
}

export interface DatasetStatisticsOptions {
  /** Known column types; columns not listed are detected. */
  columnTypes?: Readonly<Partial<Record<string, ColumnType>>>;
}

/**
 * Statistics for every column of a column-oriented dataset (all columns the same length) and the
 * dataset-level figures: duplicates, empty columns, complete rows, averages, time-series detection.
 */
export function computeDatasetStatistics(columns: Readonly<Record<string, readonly unknown[]>>, options: DatasetStatisticsOptions = {}): DatasetStatistics {
  const names = Object.keys(columns);
  const rowCount = names.length === 0 ? 0 : (columns[names[0] as string] as readonly unknown[]).length;
  for (const name of names) {
    const length = (columns[name] as readonly unknown[]).length;
    if (length !== rowCount) throw new RangeError(`transform-core: column "${name}" has ${length} values, expected ${rowCount} like the others`);
  }
  const columnTypes: Record<string, ColumnType> = {};
  const columnStatistics: Record<string, ColumnStatistics> = {};
  for (const name of names) {
    const values = columns[name] as readonly unknown[];
    const type = options.columnTypes?.[name] ?? inferColumnType(name, values);
    columnTypes[name] = type;
    columnStatistics[name] = computeColumnStatistics(name, values, type);
  }

  const seenRows = new Set<string>();
  let duplicateRows = 0;
  let completeRows = 0;
  for (let row = 0; row < rowCount; row += 1) {
    const cells = names.map((name) => (columns[name] as readonly unknown[])[row]);
    const key = JSON.stringify(cells.map(valueKey));
    if (seenRows.has(key)) duplicateRows += 1;
    else seenRows.add(key);
    if (!cells.some(isMissingValue)) completeRows += 1;
  }

  const all = Object.values(columnStatistics);
  const totalNulls = all.reduce((total, column) => total + column.null_value_count, 0);
  const totalInvalid = all.reduce((total, column) => total + column.invalid_value_count, 0);
  const emptyColumns = all.filter((column) => column.count === 0).length;
  const cells = rowCount * names.length;
  // As the reference: 1 - (average null count per column) / rows, which is the average completeness.
  const completeness = 1 - rate(rate(totalNulls, names.length), rowCount);
  const validity = completeness - rate(rate(totalInvalid, names.length), rowCount);
  const timeseriesIndex = names.filter(
    (name) => columnTypes[name] === 'datetime' && (columnStatistics[name] as ColumnStatistics).null_value_rate <= TIMESERIES_MAX_NULL_RATE,
  );
  return {
    row_count: rowCount,
    column_count: names.length,
    duplicate_row_count: duplicateRows,
    duplicate_row_rate: rate(duplicateRows, rowCount),
    empty_column_count: emptyColumns,
    empty_column_rate: rate(emptyColumns, names.length),
    complete_row_count: completeRows,
    complete_row_rate: rate(completeRows, rowCount),
    total_null_value_count: totalNulls,
    total_null_value_rate: rate(totalNulls, cells),
    total_invalid_value_count: totalInvalid,
    total_invalid_value_rate: rate(totalInvalid, cells),
    completeness,
    validity,
    is_timeseries: timeseriesIndex.length > 0,
    timeseries_index: timeseriesIndex,
    column_types: columnTypes,
    columns: columnStatistics,
  };
}
