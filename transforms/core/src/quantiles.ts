/**
 * Quantiles of sorted arrays, with the two definitions the reference relies on: numpy's default
 * (linear interpolation, used for the contamination estimate and medians) and numpy's `nearest`
 * (used for box plots). Kept in one place so statistics, accumulators and outlier rules agree.
 */

/** Throws a RangeError unless 0 <= q <= 1. */
export function checkQuantile(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`transform-core: quantile must be within [0, 1], got ${q}`);
}

const byNumber = (a: number, b: number): number => a - b;

/**
 * Sorts numbers ascending in place and returns the array: the same result as `sort((a, b) => a - b)`,
 * several times faster for large arrays (a typed array's native numeric sort instead of a call back
 * per comparison). Arrays holding -0 or NaN take the comparator sort, which orders those differently
 * (-0 stays where it was among zeros; NaN compares as equal to everything).
 */
export function sortNumbersInPlace(values: number[]): number[] {
  sortNumberRange(values, 0, values.length);
  return values;
}

/** Below this length insertion sort beats copying into a typed array (KLL sorts 8-item levels all the time). */
const SHORT_SORT_LENGTH = 48;

/**
 * Sorts `values[start, end)` ascending in place, exactly as sortNumbersInPlace would sort that range on
 * its own. Short ranges of numbers without NaN take an insertion sort: it is stable, so it orders -0 and
 * 0 as the comparator sort does, and equal numbers are otherwise indistinguishable. Longer ranges are
 * sorted in a typed array, and ranges holding -0 or NaN by the comparator.
 */
export function sortNumberRange(values: number[], start: number, end: number): void {
  const n = end - start;
  if (n < 2) return;
  if (n <= SHORT_SORT_LENGTH) {
    let plain = true;
    for (let i = start; i < end; i += 1) {
      const x = values[i];
      if (typeof x !== 'number' || x !== x) {
        plain = false;
        break;
      }
    }
    if (plain) {
      for (let i = start + 1; i < end; i += 1) {
        const x = values[i] as number;
        let j = i - 1;
        while (j >= start && (values[j] as number) > x) {
          values[j + 1] = values[j] as number;
          j -= 1;
        }
        values[j + 1] = x;
      }
      return;
    }
  }
  // Sorted in a reused typed array (a sketch sorts its level 0 every few hundred values): no copy of the
  // range and no new buffer per call. Ranges holding -0 or NaN take the comparator sort, as
  // sortNumbersInPlace would.
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  for (let i = 0; i < n; i += 1) {
    const x = values[start + i] as number;
    if (x !== x || (x === 0 && 1 / x < 0)) {
      const part = values.slice(start, end).sort(byNumber);
      for (let j = 0; j < n; j += 1) values[start + j] = part[j] as number;
      return;
    }
    scratch[i] = x;
  }
  const sorted = n === scratch.length ? scratch.sort() : scratch.subarray(0, n).sort();
  for (let i = 0; i < n; i += 1) values[start + i] = sorted[i] as number;
}

/** sortNumberRange's typed array, grown as needed and kept. */
let scratch = new Float64Array(1024);

/** Ascending copy of finite numbers. */
export function sortedNumbers(values: Iterable<number>): number[] {
  const result: number[] = [];
  for (const value of values) if (Number.isFinite(value)) result.push(value);
  return sortNumbersInPlace(result);
}

/**
 * numpy's default quantile (method "linear", Hyndman-Fan type 7): position q*(n-1), interpolated
 * between neighbours. The interpolation is written as numpy writes it so results agree to the bit.
 */
export function linearQuantile(sorted: readonly number[], q: number): number {
  checkQuantile(q);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = q * (n - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, n - 1);
  const t = position - lower;
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  const difference = b - a;
  return t >= 0.5 ? b - difference * (1 - t) : a + difference * t;
}

/**
 * numpy's "nearest" quantile (what pandas' `quantile(interpolation='nearest')` gives): the element at
 * position q*(n-1) rounded to the nearest index, halves to the even index.
 */
export function nearestQuantile(sorted: readonly number[], q: number): number {
  checkQuantile(q);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = q * (n - 1);
  const floor = Math.floor(position);
  const fraction = position - floor;
  const index = fraction > 0.5 ? floor + 1 : fraction < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  return sorted[Math.min(index, n - 1)] as number;
}

/** The median as pandas computes it: the middle value, or the mean of the two middle values. */
export function medianOfSorted(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const middle = Math.floor(n / 2);
  // numpy takes the mean of the two middle values for an even count: (a + b) / 2, not a lerp.
  return n % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
