/**
 * The fast paths of the profile report (statistics over a 100,000-row sample) against the simple
 * algorithms they replace, written out here as they were: results must be identical, not merely close,
 * because reports are compared byte for byte.
 */
import { describe, expect, it } from 'vitest';
import {
  DATE_LIKE_PATTERN,
  FrequencyCounter,
  Mulberry32,
  NUMBER_PATTERN,
  VALUE_COUNT_LIMIT,
  coerceNumericString,
  computeColumnStatistics,
  computeDatasetStatistics,
  countCodePoints,
  countWords,
  isDateLike,
  isMissingValue,
  isNumberLike,
  isPlainDecimal,
  isoDateTime,
  parseDateLike,
  parseDateLikeByPatterns,
  sortNumberRange,
  sortNumbersInPlace,
  valueKey,
  wordsOf,
  type ColumnType,
  type NumericCoercion,
} from '../src/index.js';

/** JSON text that tells -0 from 0 and keeps NaN and infinities apart from null. */
const exactText = (value: unknown): string =>
  JSON.stringify(value, (_key, x: unknown) => (Object.is(x, -0) ? '-0' : typeof x === 'number' && !Number.isFinite(x) ? `${x}` : x));

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Date-like texts around the ISO shapes: valid, invalid days and times, near misses. */
function randomDateText(random: Mulberry32): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random.next() * items.length)] as T;
  let text = `${pad(pick([0, 1, 50, 99, 100, 999, 1900, 1970, 2000, 2020, 2024, 2100, 9999]), 4)}-${pad(Math.floor(random.next() * 14), 2)}-${pad(Math.floor(random.next() * 33), 2)}`;
  if (random.next() < 0.8) {
    text += pick(['T', 't', ' ', 'x', '']);
    text += `${pad(Math.floor(random.next() * 26), 2)}:${pad(Math.floor(random.next() * 62), 2)}:${pad(Math.floor(random.next() * 63), 2)}`;
    if (random.next() < 0.6) text += `.${pad(Math.floor(random.next() * 1000), 1 + Math.floor(random.next() * 4))}`;
    text += pick(['', 'Z', 'z', '+01:00', '-0530', ' ', ' PM', 'Q', 'ZZ']);
  }
  if (random.next() < 0.05) text = text.replace(/\d/, 'a');
  if (random.next() < 0.05) text = ` ${text}\t`;
  return text;
}

describe('parseDateLike reads ISO dates by hand exactly as by its patterns', () => {
  it('agrees on ISO-shaped texts and their near misses', () => {
    const random = new Mulberry32(21);
    for (let round = 0; round < 40_000; round += 1) {
      const text = randomDateText(random);
      expect(exactText(parseDateLike(text)), text).toBe(exactText(parseDateLikeByPatterns(text.trim())));
    }
  });

  it('agrees on other date forms, which take the patterns', () => {
    for (const text of ['1/2/2024', '13/2/24', 'Jan 5, 2024', 'March 3rd 2021 10:00 pm', '2024/02/29', '2023-02-29', '0099-01-01', '2024-01-01T10:00:00.5Z', '2024-1-1', '', 'x']) {
      expect(exactText(parseDateLike(text)), text).toBe(exactText(parseDateLikeByPatterns(text.trim())));
    }
  });

  it('a three-digit fraction is its count of milliseconds, as Math.round(Number(0.mmm) * 1000) says', () => {
    for (let millis = 0; millis < 1000; millis += 1) {
      const text = `2024-03-01T00:00:00.${pad(millis, 3)}Z`;
      expect(isoDateTime(text)).toBe(Date.UTC(2024, 2, 1) + Math.round(Number(`0.${pad(millis, 3)}`) * 1000));
    }
  });

  it('leaves what it does not read to the patterns', () => {
    for (const text of ['0099-01-01', '2024-01-01T10:00', '2024-01-01T10:00:00+02:00', '2024-01-01T10:00:00.12Z', '2024/01/01']) expect(isoDateTime(text)).toBeUndefined();
    expect(isoDateTime('2023-02-29')).toBeNull();
    expect(isoDateTime('2024-02-29T24:00:00Z')).toBeNull();
  });
});

// --- the pattern shortcuts ----------------------------------------------------------------------

const ALPHABET = ['a', 'Z', '0', '5', '9', '-', '.', ',', ' ', '\t', '\n', '\v', '\u00a0', '\u2028', '%', '$', '€', 'Rs', 'CAD', '元', 'T', 't', ':', '/', '(', ')', '[', ']', '{', '}', '"', "'", '\\', '&', '`', ';', 'É', 'İ', 'ß', '\u{1F600}', '\ud800', '\udc00', '+', 'e'];

function randomText(random: Mulberry32): string {
  if (random.next() < 0.3) {
    const sign = random.next() < 0.5 ? '-' : '';
    const whole = random.next() < 0.1 ? '' : String(Math.floor(random.next() * 1e6));
    const fraction = random.next() < 0.5 ? `.${random.next() < 0.2 ? '' : String(Math.floor(random.next() * 1000))}` : '';
    return sign + whole + fraction + (random.next() < 0.2 ? (ALPHABET[Math.floor(random.next() * ALPHABET.length)] as string) : '');
  }
  let text = '';
  const length = Math.floor(random.next() * 14);
  for (let i = 0; i < length; i += 1) text += ALPHABET[Math.floor(random.next() * ALPHABET.length)] as string;
  return text;
}

/** coerceNumericString as it was, without the plain-decimal shortcut. */
function referenceCoerce(text: string, coercion: NumericCoercion): number | null {
  const trimmed = text.trim();
  if (!NUMBER_PATTERN.test(trimmed)) return null;
  let cleaned = trimmed.replace(/,/g, '');
  let divisor = 1;
  if (coercion === 'currency') cleaned = cleaned.replace(/[$€¥₹£元]|Rs|CAD/gu, '');
  else if (coercion === 'percent') {
    cleaned = cleaned.replace('%', '');
    divisor = 100;
  }
  cleaned = cleaned.replace(/\s+/g, '');
  if (!/^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(cleaned)) return null;
  return Number(cleaned) / divisor;
}

describe('pattern shortcuts agree with the patterns', () => {
  it('isPlainDecimal, isNumberLike, isDateLike, coerceNumericString, wordsOf, countWords, countCodePoints', () => {
    const random = new Mulberry32(33);
    for (let round = 0; round < 30_000; round += 1) {
      const text = round % 3 === 0 ? randomDateText(random) : randomText(random);
      expect(isPlainDecimal(text), text).toBe(/^-?(?:\d+(?:\.\d*)?|\.\d+)$/.test(text));
      expect(isNumberLike(text), text).toBe(NUMBER_PATTERN.test(text));
      expect(isDateLike(text), text).toBe(DATE_LIKE_PATTERN.test(text));
      for (const coercion of ['plain', 'currency', 'percent'] as const) expect(exactText(coerceNumericString(text, coercion)), text).toBe(exactText(referenceCoerce(text, coercion)));
      const cleaned = text.replace(/[:;.,/\\&`"'()[\]{}]/g, ' ').toLowerCase().trim();
      expect(wordsOf(text), text).toEqual(cleaned === '' ? [] : cleaned.split(/\s+/));
      expect(countWords(text), text).toBe(text.trim() === '' ? 0 : text.trim().split(/\s+/).length);
      expect(countCodePoints(text), text).toBe([...text].length);
    }
  });
});

// --- column and dataset statistics --------------------------------------------------------------

/** The counting figures of a column as computeColumnStatistics first computed them. */
function referenceCounts(values: readonly unknown[]): Record<string, unknown> {
  const missing = values.map(isMissingValue);
  const present = values.filter((_, index) => !missing[index]);
  const frequencies = new FrequencyCounter();
  for (const value of present) frequencies.add(value);
  let longest = 0;
  let current = 0;
  for (const isMissing of missing) {
    current = isMissing ? current + 1 : 0;
    if (current > longest) longest = current;
  }
  const mode = frequencies.mode();
  return {
    count: present.length,
    count_distinct: frequencies.distinctCount,
    max_null_seq: longest,
    first_value_null: missing[0] ?? false,
    value_counts: frequencies.top(VALUE_COUNT_LIMIT),
    mode: mode === undefined ? null : mode.value,
    mode_ratio: mode === undefined ? 0 : values.length === 0 ? 0 : mode.count / values.length,
  };
}

function randomColumn(random: Mulberry32, kind: number, length: number): unknown[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random.next() * items.length)] as T;
  const values: unknown[] = [];
  for (let i = 0; i < length; i += 1) {
    const r = random.next();
    if (kind === 0) values.push(r < 0.1 ? null : pick([0, -0, 1, 2.5, -3, 7, 1e21, Number.MAX_VALUE]) + (r < 0.5 ? Math.floor(random.next() * 30) : 0));
    else if (kind === 1) values.push(r < 0.1 ? pick([null, undefined, Number.NaN, '', ' ']) : pick([0, -0, 3, '3', true, 'x', Infinity, { a: 1 }, [1]]));
    else values.push(r < 0.1 ? null : pick(['Hello, World', 'a  b', 'The (quick) fox', '\u{1F600} x', 'lone \ud800', 'ÄÖ straße']) + (r < 0.5 ? ` w${Math.floor(random.next() * 30)}` : ''));
  }
  return values;
}

describe('computeColumnStatistics counts in one pass exactly as before', () => {
  it('counts, distinct values, top values, mode and null runs match the simple algorithm', () => {
    const random = new Mulberry32(44);
    for (let round = 0; round < 300; round += 1) {
      const values = randomColumn(random, round % 3, Math.floor(random.next() * 200));
      for (const type of ['number', 'number_with_decimals', 'text', 'category'] as ColumnType[]) {
        const statistics = computeColumnStatistics('c', values, type) as unknown as Record<string, unknown>;
        const expected = referenceCounts(values);
        for (const key of Object.keys(expected)) expect(exactText(statistics[key]), `${type} ${key}`).toBe(exactText(expected[key]));
      }
    }
  });

  it('numbers counted from their sorted copy report the first of 0 and -0 seen', () => {
    const statistics = computeColumnStatistics('c', [-0, 0, 0, 5], 'number');
    expect(Object.is(statistics.mode, -0)).toBe(true);
    expect(exactText(statistics.value_counts)).toBe(exactText([{ value: -0, count: 3 }, { value: 5, count: 1 }]));
  });

  it('a sparse array: holes are neither present nor missing, and break a null run', () => {
    const values: unknown[] = [null, null, 1, null];
    delete values[1];
    // (a hole is not undefined to the simple algorithm: the dense copy reads differently)
    expect(exactText(referenceCounts(values))).not.toBe(exactText(referenceCounts([...values])));
    const statistics = computeColumnStatistics('c', values, 'number') as unknown as Record<string, unknown>;
    const expected = referenceCounts(values);
    for (const key of Object.keys(expected)) expect(exactText(statistics[key]), key).toBe(exactText(expected[key]));
  });

  it('text statistics: code points, words and their counts as before', () => {
    const random = new Mulberry32(45);
    const values = randomColumn(random, 2, 500).filter((value) => value !== null) as string[];
    const text = computeColumnStatistics('c', values, 'text').text;
    const lengths = values.map((value) => [...value].length);
    const words = values.map(wordsOf);
    expect(text?.avg_string_length).toBe(lengths.reduce((a, b) => a + b, 0) / values.length);
    expect(text?.min_character_count).toBe(Math.min(...lengths));
    expect(text?.max_character_count).toBe(Math.max(...lengths));
    expect(text?.avg_word_count).toBe(words.reduce((a, b) => a + b.length, 0) / values.length);
    const counter = new FrequencyCounter();
    for (const list of words) for (const word of list) counter.add(word);
    expect(text?.word_distribution).toEqual(counter.top(VALUE_COUNT_LIMIT));
  });
});

describe('computeDatasetStatistics finds duplicate and complete rows without a key per row', () => {
  /** As first written: one valueKey string per row. */
  function referenceRows(columns: Record<string, unknown[]>): { duplicates: number; complete: number } {
    const names = Object.keys(columns);
    const rows = names.length === 0 ? 0 : (columns[names[0] as string] as unknown[]).length;
    const seen = new Set<string>();
    let duplicates = 0;
    let complete = 0;
    for (let row = 0; row < rows; row += 1) {
      const cells = names.map((name) => (columns[name] as unknown[])[row]);
      const key = JSON.stringify(cells.map(valueKey));
      if (seen.has(key)) duplicates += 1;
      else seen.add(key);
      if (!cells.some(isMissingValue)) complete += 1;
    }
    return { duplicates, complete };
  }

  it('matches keying every row by its values', () => {
    const random = new Mulberry32(46);
    const pool = [0, -0, 1, '1', true, false, null, undefined, Number.NaN, '', ' ', 'a', { b: 1, a: 2 }, { a: 2, b: 1 }, [1], 5n, 0n, 12345678901234567890n, 2 ** 53];
    for (let round = 0; round < 300; round += 1) {
      const rows = Math.floor(random.next() * 60);
      const width = 1 + Math.floor(random.next() * 4);
      const spread = 2 + Math.floor(random.next() * pool.length - 2);
      const columns: Record<string, unknown[]> = {};
      for (let c = 0; c < width; c += 1) {
        // Some columns are keys (all values different), which settles duplicates early.
        const key = random.next() < 0.2;
        columns[`c${c}`] = Array.from({ length: rows }, (_, row) => (key ? row : pool[Math.floor(random.next() * spread)]));
      }
      const statistics = computeDatasetStatistics(columns);
      const expected = referenceRows(columns);
      expect(statistics.duplicate_row_count).toBe(expected.duplicates);
      expect(statistics.complete_row_count).toBe(expected.complete);
    }
  });
});

describe('sortNumberRange through its reused typed array', () => {
  it('sorts long ranges (the typed array grown) as sortNumbersInPlace sorts them alone', () => {
    const random = new Mulberry32(47);
    for (const length of [49, 200, 1500, 5000]) {
      for (const special of [undefined, -0, Number.NaN]) {
        const values = Array.from({ length }, () => (special !== undefined && random.next() < 0.05 ? special : Math.floor(random.next() * 100) - 50));
        const start = Math.floor(random.next() * 10);
        const alone = sortNumbersInPlace(values.slice(start));
        sortNumberRange(values, start, length);
        expect(exactText(values.slice(start))).toBe(exactText(alone));
      }
    }
  });
});
