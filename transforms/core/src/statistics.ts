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
      if (typeof value === 'bigint') return false;
      return typeof value !== 'string' || !isNumberLike(stripQuotes(value));
    default:
      return false;
  }
}

/** The numbers of a numeric column (strings read with the column's coercion); null where unreadable. */
export function numericValuesOf(values: readonly unknown[]): (number | null)[] {
  // A column of JSON numbers (the usual case) needs no coercion: it only reads strings.
  let allNumbers = true;
  for (let i = 0; i < values.length; i += 1) {
    if (typeof values[i] !== 'number') {
      allNumbers = false;
      break;
    }
  }
  if (allNumbers) return values.map((value) => (Number.isFinite(value) ? (value as number) : null));
  const texts = values.map((value) => (typeof value === 'string' ? stripQuotes(value) : value));
  const coercion = chooseNumericCoercion(texts);
  return texts.map((value) => {
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string') return coerceNumericString(value, coercion);
    return null;
  });
}

/** Beyond this magnitude numericStatistics scales values down (n * x^3 must stay a finite double). */
const LARGEST_UNSCALED = 2 ** 300;

/** `sorted`, when given, is sortedNumbers(numbers), already made. */
function numericStatistics(numbers: readonly number[], rowCount: number, sorted: readonly number[] = sortedNumbers(numbers)): NumericStatistics | undefined {
  const n = numbers.length;
  if (n === 0) return undefined;
  // Values near the largest double would overflow the sums, squares and cubes: they are then taken
  // multiplied by a power of two (exact), and the results divided back (1 otherwise: the same bits).
  const largest = Math.max(Math.abs(sorted[0] as number), Math.abs(sorted[n - 1] as number));
  const scale = largest > LARGEST_UNSCALED ? 2 ** -Math.ceil(Math.log2(largest / LARGEST_UNSCALED)) : 1;
  let sum = 0;
  let compensation = 0;
  for (const value of numbers) {
    // Neumaier summation, so the batch sum matches the streaming accumulator's.
    const x = value * scale;
    const total = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - total + x : x - total + sum;
    sum = total;
  }
  sum += compensation;
  const scaledAverage = sum / n;
  const average = scaledAverage / scale;
  let m2 = 0;
  let m3 = 0;
  for (const x of numbers) {
    const deviation = x * scale - scaledAverage;
    m2 += deviation * deviation;
    m3 += deviation * deviation * deviation;
  }
  const scaledStd = n < 2 ? null : Math.sqrt(m2 / (n - 1));
  const std = scaledStd === null ? null : scaledStd / scale;
  const skewValue = skewFromMoments(n, m2, m3);
  const outliers: number[] = [];
  let outlierCount = 0;
  if (scaledStd !== null && scaledStd > 0) {
    for (const x of numbers) {
      if (Math.abs((x * scale - scaledAverage) / scaledStd) >= OUTLIER_Z_SCORE) {
        outlierCount += 1;
        if (outliers.length < OUTLIER_SAMPLE_LIMIT) outliers.push(x);
      }
    }
  }
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
    sum: sum / scale,
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

/** Per ASCII code: 1 where wordsOf separates words (whitespace as `\s` and trim see it, or PUNCTUATION). */
const WORD_SEPARATORS = new Uint8Array(128);
for (const code of [9, 10, 11, 12, 13, 32]) WORD_SEPARATORS[code] = 1;
for (const character of ':;.,/\\&`"\'()[]{}') WORD_SEPARATORS[character.charCodeAt(0)] = 1;

export function wordsOf(text: string): string[] {
  // ASCII text (the usual case) is cut into words in one pass: the words are the runs between
  // separators, lower-cased, which is what the replace, trim and split below give. Other text takes
  // them, as Unicode case mapping and whitespace are theirs to decide.
  const words: string[] = [];
  const lower = text.toLowerCase();
  const length = text.length;
  let start = -1;
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 128) return wordsOfUnicode(text);
    if (WORD_SEPARATORS[code] === 1) {
      if (start >= 0) {
        words.push(lower.slice(start, i));
        start = -1;
      }
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) words.push(lower.slice(start));
  return words;
}

function wordsOfUnicode(text: string): string[] {
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

/**
 * Characters (code points) of a text, as `[...text].length` counts them (a surrogate pair is one, a lone
 * surrogate one too), without building an array per value.
 */
export function countCodePoints(text: string): number {
  const length = text.length;
  let count = length;
  for (let i = 0; i < length - 1; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}

function textStatistics(values: readonly unknown[]): TextStatistics | undefined {
  if (values.length === 0) return undefined;
  // Sums in row order, as summarise adds them (integers, so exact either way).
  let lengthTotal = 0;
  let lengthMin = Infinity;
  let lengthMax = -Infinity;
  let wordTotal = 0;
  let wordMin = Infinity;
  let wordMax = -Infinity;
  // Short-lived, and the words are cut from texts that are let go with the report: no copies.
  const words = new FrequencyCounter(Infinity, false);
  for (const value of values) {
    const text = asText(value);
    const length = countCodePoints(text); // characters, not UTF-16 units
    lengthTotal += length;
    if (length < lengthMin) lengthMin = length;
    if (length > lengthMax) lengthMax = length;
    const tokens = wordsOf(text);
    const wordCount = tokens.length;
    wordTotal += wordCount;
    if (wordCount < wordMin) wordMin = wordCount;
    if (wordCount > wordMax) wordMax = wordCount;
    for (const word of tokens) words.add(word);
  }
  return {
    avg_string_length: lengthTotal / values.length,
    min_character_count: lengthMin,
    max_character_count: lengthMax,
    avg_word_count: wordTotal / values.length,
    min_word_count: wordMin,
    max_word_count: wordMax,
    word_distribution: words.top(VALUE_COUNT_LIMIT),
  };
}

function emailStatistics(values: readonly unknown[]): EmailStatistics {
  const domains = new FrequencyCounter(Infinity, false);
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

/** What a column reports of its value counts. */
export interface ValueFrequencies {
  distinct: number;
  /** The most frequent values (VALUE_COUNT_LIMIT of them, unless asked for fewer): the mode first, the lowest on ties. */
  top: ValueCount[];
}

function countedValues(present: readonly unknown[]): ValueFrequencies {
  // Lives only for this call and the values are the caller's anyway: kept without copies.
  const frequencies = new FrequencyCounter(Infinity, false);
  for (const value of present) frequencies.add(value);
  // Never overflowed (no cap): the mode is the first of the top values.
  return { distinct: frequencies.distinctCount, top: frequencies.top(VALUE_COUNT_LIMIT) };
}

/**
 * countedValues (with the `limit` most frequent values) for numbers, from their ascending copy `sorted`:
 * equal numbers are adjacent (0 and -0 too, one value as in FrequencyCounter, reported as the first of
 * them in `inOrder`, the values in the order they came). Runs come in ascending order, so a run goes
 * after the kept ones with its count or more, which is FrequencyCounter's order (highest count first,
 * then the lowest value).
 */
export function countSortedNumbers(sorted: ArrayLike<number>, inOrder: readonly unknown[], limit = VALUE_COUNT_LIMIT): ValueFrequencies {
  if (!(limit >= 1)) throw new RangeError(`transform-core: limit must be at least 1, got ${limit}`);
  const top: ValueCount[] = [];
  let distinct = 0;
  const n = sorted.length;
  for (let i = 0; i < n; ) {
    const x = sorted[i] as number;
    let end = i + 1;
    while (end < n && sorted[end] === x) end += 1;
    const count = end - i;
    i = end;
    distinct += 1;
    if (top.length === limit && count <= (top[limit - 1] as ValueCount).count) continue;
    let at = top.length;
    while (at > 0 && (top[at - 1] as ValueCount).count < count) at -= 1;
    const value = x === 0 ? (inOrder.find((y) => y === 0) as number) : x;
    top.splice(at, 0, { value, count });
    if (top.length > limit) top.pop();
  }
  return { distinct, top };
}

/** Every statistic the reference reports for one column; the type is detected when not given. */
export function computeColumnStatistics(name: string, values: readonly unknown[], type: ColumnType = inferColumnType(name, values)): ColumnStatistics {
  const rowCount = values.length;
  // One pass: the present values and the longest run of missing ones.
  const present: unknown[] = [];
  let allFiniteNumbers = true;
  let longestRun = 0;
  let run = 0;
  let firstValueNull = false;
  for (let index = 0; index < rowCount; index += 1) {
    const value = values[index];
    if (isMissingValue(value)) {
      // A hole in a sparse array is neither present nor a missing value here (it only lowers the
      // counts), as with the array methods that skip holes.
      if (value === undefined && !(index in values)) {
        run = 0;
        continue;
      }
      run += 1;
      if (run > longestRun) longestRun = run;
      if (index === 0) firstValueNull = true;
    } else {
      run = 0;
      present.push(value);
      if (allFiniteNumbers && !(typeof value === 'number' && Number.isFinite(value))) allFiniteNumbers = false;
    }
  }
  // A numeric column of JSON numbers is sorted for its statistics anyway: its counts are read off the
  // sorted copy rather than hashed value by value.
  const sortedPresent = allFiniteNumbers && NUMERIC_TYPES.has(type) ? sortedNumbers(present as number[]) : undefined;
  const frequencies = sortedPresent === undefined ? countedValues(present) : countSortedNumbers(sortedPresent, present);
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
  const mode = frequencies.top[0];
  const statistics: ColumnStatistics = {
    column: name,
    type,
    row_count: rowCount,
    count: present.length,
    count_distinct: frequencies.distinct,
    null_value_count: nullCount,
    null_value_rate: nullRate,
    unique_value_rate: rate(frequencies.distinct, rowCount),
    max_null_seq: longestRun,
    first_value_null: firstValueNull,
    invalid_value_count: invalidCount,
    invalid_value_rate: invalidRate,
    invalid_values: invalidValues,
    completeness,
    validity,
    quality: validity >= GOOD_QUALITY_VALIDITY ? 'Good' : 'Bad',
    value_counts: frequencies.top,
    mode: mode === undefined ? null : mode.value,
    mode_ratio: mode === undefined ? 0 : rate(mode.count, rowCount),
  };
  if (NUMERIC_TYPES.has(type)) {
    // JSON numbers that are all finite are their own numeric values.
    const numbers = sortedPresent === undefined ? numericValuesOf(present).filter((x): x is number => x !== null) : (present as number[]);
    const numeric = numericStatistics(numbers, rowCount, sortedPresent);
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

/**
 * Duplicate rows (the same valueKey in every column as an earlier row) and complete rows (no missing
 * value), without a key string per row: each column's values are numbered by their valueKey (equal
 * keys, equal numbers), and rows are compared by those numbers in a hash table.
 */
function countDuplicateAndCompleteRows(columns: readonly (readonly unknown[])[], rowCount: number): { duplicateRows: number; completeRows: number } {
  const incomplete = new Uint8Array(rowCount);
  const ids: Int32Array[] = [];
  let unique = false;
  for (const values of columns) {
    if (unique) {
      for (let row = 0; row < rowCount; row += 1) if (isMissingValue(values[row])) incomplete[row] = 1;
    } else {
      const numbered = valueIdsOf(values, rowCount, incomplete);
      // A column whose values are all different (a key) leaves no duplicate rows: the others need no numbers.
      if (numbered.distinct === rowCount) unique = true;
      ids.push(numbered.ids);
    }
  }
  let completeRows = 0;
  for (let row = 0; row < rowCount; row += 1) if (incomplete[row] === 0) completeRows += 1;
  if (unique) return { duplicateRows: 0, completeRows };
  // Open addressing over row numbers + 1 (0 is an empty slot), at most half full.
  let size = 16;
  while (size < rowCount * 2) size *= 2;
  const mask = size - 1;
  const slots = new Int32Array(size);
  const width = ids.length;
  let duplicateRows = 0;
  for (let row = 0; row < rowCount; row += 1) {
    let hash = 0x2545f491;
    for (let c = 0; c < width; c += 1) hash = Math.imul(hash ^ ((ids[c] as Int32Array)[row] as number), 0x01000193);
    hash ^= hash >>> 15;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    let slot = hash & mask;
    for (;;) {
      const other = slots[slot] as number;
      if (other === 0) {
        slots[slot] = row + 1;
        break;
      }
      if (sameIds(ids, row, other - 1)) {
        duplicateRows += 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return { duplicateRows, completeRows };
}

function sameIds(ids: readonly Int32Array[], a: number, b: number): boolean {
  for (let c = 0; c < ids.length; c += 1) if ((ids[c] as Int32Array)[a] !== (ids[c] as Int32Array)[b]) return false;
  return true;
}

/**
 * A number per value, equal exactly when valueKey is: missing kinds other than blank strings (null,
 * undefined, NaN) share 0, strings and numbers (-0 as 0) are looked up as themselves, anything else by
 * its valueKey (a bigint by the number it names when valueKey cannot tell them apart). Marks the rows
 * whose value is missing in `incomplete`.
 */
function valueIdsOf(values: readonly unknown[], rowCount: number, incomplete: Uint8Array): { ids: Int32Array; distinct: number } {
  const ids = new Int32Array(rowCount);
  const strings = new Map<string, number>();
  const numbers = new Map<number, number>();
  const others = new Map<string, number>();
  let next = 3; // 0: null, 1: false, 2: true
  for (let row = 0; row < rowCount; row += 1) {
    const value = values[row];
    if (isMissingValue(value)) incomplete[row] = 1;
    let id: number | undefined;
    if (typeof value === 'string') {
      id = strings.get(value);
      if (id === undefined) strings.set(value, (id = next++));
    } else if (typeof value === 'number') {
      if (value !== value) {
        id = 0;
      } else {
        const key = value === 0 ? 0 : value;
        id = numbers.get(key);
        if (id === undefined) numbers.set(key, (id = next++));
      }
    } else if (typeof value === 'boolean') {
      id = value ? 2 : 1;
    } else if (value === null || value === undefined) {
      id = 0;
    } else {
      const asNumber = typeof value === 'bigint' ? Number(value) : Number.NaN;
      if (asNumber === asNumber && String(asNumber) === String(value)) {
        // `n:${5n}` is `n:${5}`: the bigint is the number it names.
        const key = asNumber === 0 ? 0 : asNumber;
        id = numbers.get(key);
        if (id === undefined) numbers.set(key, (id = next++));
      } else {
        const key = valueKey(value);
        id = others.get(key);
        if (id === undefined) others.set(key, (id = next++));
      }
    }
    ids[row] = id;
  }
  // Numbers from 3 on are handed out once per distinct value; 0, 1 and 2 may or may not occur.
  let distinct = next - 3;
  for (let row = 0, seen = 0; row < rowCount && seen !== 7; row += 1) {
    const id = ids[row] as number;
    if (id < 3 && (seen & (1 << id)) === 0) {
      seen |= 1 << id;
      distinct += 1;
    }
  }
  return { ids, distinct };
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

  const { duplicateRows, completeRows } = countDuplicateAndCompleteRows(names.map((name) => columns[name] as readonly unknown[]), rowCount);
  return { ...datasetFigures(names, columnStatistics, columnTypes, rowCount, duplicateRows, completeRows), columns: columnStatistics };
}

/** What the dataset figures read of each column's statistics. */
export type ColumnFigures = Pick<ColumnStatistics, 'count' | 'null_value_count' | 'null_value_rate' | 'invalid_value_count'>;

/**
 * The dataset figures (all of DatasetStatistics but `columns`) from each column's statistics, keyed by
 * the column names `names` (in column order), and the row, duplicate row and complete row counts.
 */
export function datasetFigures(
  names: readonly string[],
  columns: Readonly<Record<string, ColumnFigures>>,
  columnTypes: Record<string, ColumnType>,
  rowCount: number,
  duplicateRows: number,
  completeRows: number,
): Omit<DatasetStatistics, 'columns'> {
  const all = Object.values(columns);
  const totalNulls = all.reduce((total, column) => total + column.null_value_count, 0);
  const totalInvalid = all.reduce((total, column) => total + column.invalid_value_count, 0);
  const emptyColumns = all.filter((column) => column.count === 0).length;
  const cells = rowCount * names.length;
  // As the reference: 1 - (average null count per column) / rows, which is the average completeness.
  const completeness = 1 - rate(rate(totalNulls, names.length), rowCount);
  const validity = completeness - rate(rate(totalInvalid, names.length), rowCount);
  const timeseriesIndex = names.filter(
    (name) => columnTypes[name] === 'datetime' && (columns[name] as ColumnFigures).null_value_rate <= TIMESERIES_MAX_NULL_RATE,
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
  };
}
