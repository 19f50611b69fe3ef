import { compareDecimals, stringifyExact } from '@tapline/protocol';

/**
 * Compare what a destination holds with what the fixture sent, the way a user would: a decimal stored as
 * text equals the same decimal as a number, timestamps are equal when they are the same instant, a
 * missing optional field equals null, objects and arrays compare deeply.
 */
export function sameValue(expected: unknown, actual: unknown): boolean {
  if (expected === undefined || expected === null) return actual === undefined || actual === null;
  if (actual === undefined || actual === null) return false;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((item, i) => sameValue(item, actual[i]));
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || Array.isArray(actual)) return false;
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
    return [...keys].every((key) => sameValue(e[key], a[key]));
  }
  // An integer beyond 2^53 (exact as a bigint): the same digits, whether read back as bigint or text.
  if (typeof expected === 'bigint' || typeof actual === 'bigint') {
    return (typeof actual === 'bigint' || typeof actual === 'string') && (typeof expected === 'bigint' || typeof expected === 'string') && String(expected) === String(actual);
  }
  if (typeof expected === 'number' || typeof actual === 'number') {
    if (typeof expected === 'boolean' || typeof actual === 'boolean') return false;
    return compareDecimals(String(expected), String(actual)) === 0;
  }
  if (typeof expected === 'string' && typeof actual === 'string') {
    if (expected === actual) return true;
    if (/^\d{4}-\d{2}-\d{2}[T ]\d/.test(expected) && /^\d{4}-\d{2}-\d{2}[T ]\d/.test(actual)) {
      const a = Date.parse(expected);
      const b = Date.parse(actual);
      return !Number.isNaN(a) && a === b && sameSubSecond(expected, actual);
    }
    const decimal = compareDecimals(expected, actual);
    return decimal === 0 && /^[-+\d.eE]+$/.test(expected) && /^[-+\d.eE]+$/.test(actual);
  }
  return expected === actual;
}

/** Date.parse keeps milliseconds only; microseconds must survive too. */
function sameSubSecond(a: string, b: string): boolean {
  const fraction = (text: string): string => (/\.(\d+)/.exec(text.replace(/[+-]\d{2}:?\d{2}$|Z$/i, ''))?.[1] ?? '').replace(/0+$/, '');
  return fraction(a) === fraction(b);
}

/** Rows sorted by their key values (or whole content), so that the order of a table scan does not matter. */
export function sortRows(rows: Record<string, unknown>[], keys: string[]): Record<string, unknown>[] {
  const sortKey = (row: Record<string, unknown>): string =>
    stringifyExact(keys.length > 0 ? keys.map((key) => String(row[key])) : Object.keys(row).sort().map((key) => row[key]));
  return [...rows].sort((a, b) => {
    const x = sortKey(a);
    const y = sortKey(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** A human-readable list of differences (empty when the rows are the same). */
export function diffRows(expected: Record<string, unknown>[], actual: Record<string, unknown>[]): string[] {
  const problems: string[] = [];
  if (expected.length !== actual.length) problems.push(`expected ${expected.length} rows, found ${actual.length}`);
  const n = Math.min(expected.length, actual.length);
  for (let i = 0; i < n; i += 1) {
    const e = expected[i]!;
    const a = actual[i]!;
    for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
      if (!sameValue(e[key], a[key])) problems.push(`row ${i}, "${key}": expected ${stringifyExact(e[key])}, found ${stringifyExact(a[key])}`);
    }
  }
  return problems;
}
