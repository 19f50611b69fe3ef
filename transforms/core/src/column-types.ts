/**
 * Column type detection: the reference's decision rules and thresholds, applied to the JSON values of
 * one column (or a seeded sample of them; see `reservoirSample`). The type drives statistics,
 * invalid-value checks, imputation and outlier handling downstream.
 */

import {
  exceedsInt64,
  hasPhoneNameHint,
  hasZipNameHint,
  isDateLike,
  isEmail,
  isIntegerLike,
  isListLike,
  isNumberLike,
  isPhoneNumber,
  isZipCode,
} from './value-patterns.js';
import { isMissingValue, stableStringify, stripQuotes, valueKey } from './value-identity.js';

export const COLUMN_TYPES = [
  'number',
  'number_with_decimals',
  'category',
  'category_high_cardinality',
  'true_or_false',
  'datetime',
  'email',
  'phone_number',
  'zip_code',
  'text',
  'list',
] as const;

export type ColumnType = (typeof COLUMN_TYPES)[number];

export const NUMERIC_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(['number', 'number_with_decimals']);
export const CATEGORICAL_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(['category', 'category_high_cardinality', 'true_or_false']);
export const STRING_TYPES: ReadonlySet<ColumnType> = new Set<ColumnType>(['email', 'phone_number', 'text', 'zip_code']);

export const isNumericType = (type: ColumnType): boolean => NUMERIC_TYPES.has(type);
export const isCategoricalType = (type: ColumnType): boolean => CATEGORICAL_TYPES.has(type);
export const isStringType = (type: ColumnType): boolean => STRING_TYPES.has(type);

/** Share of non-null values that must look like a date. */
export const DATETIME_MATCH_THRESHOLD = 0.5;
/** Share that must match for the numeric sub-kinds (phone and zip among all-numeric strings, phone among JSON numbers). */
export const NUMBER_MATCH_THRESHOLD = 0.8;
/** Share that must match for email, phone, zip and list among other strings. */
export const STRING_MATCH_THRESHOLD = 0.3;
/** Distinct/non-null ratio from which a string column is free text. */
export const TEXT_UNIQUE_RATIO = 0.8;
/** A category holds at most this many distinct values. */
export const CATEGORY_CARDINALITY_LIMIT = 255;
/** A value with more words than this makes the column text. */
export const CATEGORY_MAX_WORDS = 40;
/** Rows the reference looks at when detecting types; sample with a seed to stay reproducible. */
export const TYPE_DETECTION_SAMPLE_SIZE = 100_000;

export interface InferColumnTypeOptions {
  /** Overrides CATEGORY_CARDINALITY_LIMIT (the reference's `category_cardinality_threshold`). */
  categoryCardinalityLimit?: number;
  /**
   * The column's JSON Schema type(s) from the stream's SCHEMA message. Only consulted when no value is
   * present: a declared number or integer column is then an empty numeric column (number_with_decimals).
   */
  declaredJsonType?: string | readonly string[];
}

function declaresNumber(declared: string | readonly string[] | undefined): boolean {
  const types = typeof declared === 'string' ? [declared] : (declared ?? []);
  return types.includes('number') || types.includes('integer');
}

function share(matches: number, total: number): number {
  return total === 0 ? 0 : matches / total;
}

function countWhere<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  let count = 0;
  for (const item of items) if (predicate(item)) count += 1;
  return count;
}

/** Words as whitespace-separated tokens ("a  b" is two words, not three as a split on ' ' would say). */
export function countWords(text: string): number {
  // ASCII text: the runs of non-blanks, counted without the array a split builds.
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 128) return countWordsUnicode(text);
    const blank = code === 32 || (code >= 9 && code <= 13);
    if (!blank && !inWord) count += 1;
    inWord = !blank;
  }
  return count;
}

/** countWords by trim and split, whose idea of whitespace covers Unicode's. */
function countWordsUnicode(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** Whether two values are one under valueKey (every kind of missing value counting as the same one). */
function sameValue(a: unknown, b: unknown): boolean {
  const missingA = isMissingValue(a);
  const missingB = isMissingValue(b);
  if (missingA || missingB) return missingA && missingB;
  // Same-typed primitives compare directly (0 and -0 are one, as in valueKey); the rest by their keys.
  if (typeof a === typeof b && (typeof a === 'number' || typeof a === 'string' || typeof a === 'boolean')) return a === b;
  return valueKey(a) === valueKey(b);
}

/**
 * Distinct values (every kind of missing value counting as the same one), counted up to `limit`: the
 * rules only ask whether there are two, or at most two, so the count stops as soon as that is decided
 * instead of building a key per value.
 */
function distinctCountUpTo(values: readonly unknown[], limit: number): number {
  const seen: unknown[] = [];
  for (const value of values) {
    let known = false;
    for (const other of seen) {
      if (sameValue(value, other)) {
        known = true;
        break;
      }
    }
    if (known) continue;
    seen.push(value);
    if (seen.length >= limit) return limit;
  }
  return seen.length;
}

function extent(numbers: readonly number[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const x of numbers) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { min, max };
}

function inferNumberType(name: string, values: readonly unknown[], numbers: readonly number[]): ColumnType {
  let type: ColumnType;
  if (numbers.length === 0) {
    type = 'number_with_decimals';
  } else {
    const phoneLike = countWhere(numbers, (x) => Number.isInteger(x) && x >= 1e9 && x < 1e12);
    const allWhole = numbers.every((x) => Number.isInteger(x));
    if (share(phoneLike, numbers.length) >= NUMBER_MATCH_THRESHOLD && hasPhoneNameHint(name)) {
      type = 'phone_number';
    } else if (allWhole && hasZipNameHint(name) && extent(numbers).min >= 100 && extent(numbers).max <= 99999) {
      type = 'zip_code';
    } else {
      type = allWhole ? 'number' : 'number_with_decimals';
    }
  }
  // Two distinct values, a missing value counting as one of them: a flag stored as numbers (0/1, or a
  // constant plus blanks).
  if (NUMERIC_TYPES.has(type) && distinctCountUpTo(values, 3) === 2) type = 'true_or_false';
  return type;
}

function categoryBy(distinct: number, limit: number): ColumnType {
  return distinct <= limit ? 'category' : 'category_high_cardinality';
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return stableStringify(value);
}

function inferStringType(name: string, values: readonly unknown[], limit: number): ColumnType {
  const cleaned: string[] = [];
  const texts = new Set<string>();
  for (const value of values) {
    if (isMissingValue(value)) continue;
    const text = stripQuotes(asText(value));
    cleaned.push(text);
    texts.add(text);
  }
  const length = cleaned.length;
  const distinct = texts.size;
  if (distinct <= 2) return 'true_or_false';

  if (cleaned.every(isNumberLike)) {
    if (!cleaned.every(isIntegerLike)) return 'number_with_decimals';
    if (share(countWhere(cleaned, isPhoneNumber), length) >= NUMBER_MATCH_THRESHOLD && hasPhoneNameHint(name)) return 'phone_number';
    if (share(countWhere(cleaned, isZipCode), length) >= NUMBER_MATCH_THRESHOLD && hasZipNameHint(name)) return 'zip_code';
    // fix: the reference crashes casting such values; no target integer holds them, so they are labels.
    if (cleaned.some(exceedsInt64)) return categoryBy(distinct, limit);
    return 'number';
  }

  if (share(countWhere(cleaned, isDateLike), length) >= DATETIME_MATCH_THRESHOLD) return 'datetime';
  if (share(countWhere(cleaned, isEmail), length) >= STRING_MATCH_THRESHOLD) return 'email';
  if (share(countWhere(cleaned, isPhoneNumber), length) >= STRING_MATCH_THRESHOLD && hasPhoneNameHint(name)) return 'phone_number';
  if (share(countWhere(cleaned, isZipCode), length) >= STRING_MATCH_THRESHOLD && hasZipNameHint(name)) return 'zip_code';
  if (share(countWhere(cleaned, isListLike), length) >= STRING_MATCH_THRESHOLD) return 'list';
  // The reference's next rule (exactly two distinct values counting null -> true_or_false) cannot hold
  // here: at least three distinct non-null values remain after the `distinct <= 2` rule above.
  if (distinct / length >= TEXT_UNIQUE_RATIO) return 'text';
  if (cleaned.some((text) => countWords(text) > CATEGORY_MAX_WORDS)) return 'text';
  return categoryBy(distinct, limit);
}

/**
 * The column type of one column's values.
 * - No values, or only missing ones: number_with_decimals when the schema declares a number (the
 *   reference's empty numeric column), else `true_or_false`, as the reference gives an all-null object
 *   column (its "at most two distinct non-null values" rule); the profile reports it as empty either way.
 * - All non-missing values JSON numbers: the number rules (phone by magnitude and name, zip by range and
 *   name, whole -> number, else number_with_decimals; two distinct values counting null -> true_or_false).
 * - First non-missing value a boolean: true_or_false, or category with more than two distinct values.
 * - First non-missing value an array: list.
 * - Otherwise every value is read as text (numbers by their JSON text) and the string rules apply.
 */
export function inferColumnType(name: string, values: readonly unknown[], options: InferColumnTypeOptions = {}): ColumnType {
  const limit = options.categoryCardinalityLimit ?? CATEGORY_CARDINALITY_LIMIT;
  const present = values.filter((value) => !isMissingValue(value));
  const first = present[0];
  if (first === undefined) return declaresNumber(options.declaredJsonType) ? 'number_with_decimals' : 'true_or_false';
  // Integers beyond 2^53 (exact bigints) are numbers too, their statistics on the nearest doubles.
  if (present.every((value) => typeof value === 'number' || typeof value === 'bigint')) {
    const numbers = present.map(Number).filter((x) => Number.isFinite(x));
    return inferNumberType(name, values, numbers);
  }
  if (typeof first === 'boolean') return distinctCountUpTo(present, 3) <= 2 ? 'true_or_false' : 'category';
  if (Array.isArray(first)) return 'list';
  return inferStringType(name, values, limit);
}

/** inferColumnType for every column of a column-oriented batch. */
export function inferColumnTypes(columns: Readonly<Record<string, readonly unknown[]>>, options: InferColumnTypeOptions = {}): Record<string, ColumnType> {
  const result: Record<string, ColumnType> = {};
  for (const [name, values] of Object.entries(columns)) result[name] = inferColumnType(name, values, options);
  return result;
}
