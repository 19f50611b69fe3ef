/**
 * Exact decimal arithmetic for the few places that need it (multipleOf checks, comparing bookmarks),
 * on the decimal text of a value rather than its binary float, so 0.07 is a multiple of 0.01.
 */

export interface ScaledDecimal {
  /** The digits as an integer: value = mantissa * 10^exponent. */
  mantissa: bigint;
  exponent: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parse decimal text (or a number, by its shortest round-trip text) into mantissa and exponent. */
export function parseDecimal(value: number | string): ScaledDecimal | undefined {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exp = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '');
  const mantissa = BigInt(`${sign === '-' ? '-' : ''}${digits === '' ? '0' : digits}`);
  return { mantissa, exponent: Number(exp) - fraction.length };
}

function align(a: ScaledDecimal, b: ScaledDecimal): [bigint, bigint] {
  const exponent = Math.min(a.exponent, b.exponent);
  return [a.mantissa * 10n ** BigInt(a.exponent - exponent), b.mantissa * 10n ** BigInt(b.exponent - exponent)];
}

/** True when `value` is an exact multiple of `divisor`, judged on their decimal text. */
export function isMultipleOf(value: number | string, divisor: number | string): boolean {
  if (typeof value === 'number' && typeof divisor === 'number') {
    if (!Number.isFinite(value)) return false;
    // Fast path for the common cases (integers, or a quotient that is exact in binary).
    const quotient = value / divisor;
    if (Number.isInteger(quotient) && quotient * divisor === value) return true;
  }
  const a = parseDecimal(value);
  const b = parseDecimal(divisor);
  if (!a || !b || b.mantissa === 0n) return false;
  const [x, y] = align(a, b);
  return x % y === 0n;
}

/** Compare two decimals exactly: -1, 0 or 1. Undefined when either is not decimal text. */
export function compareDecimals(left: number | string, right: number | string): -1 | 0 | 1 | undefined {
  const a = parseDecimal(left);
  const b = parseDecimal(right);
  if (!a || !b) return undefined;
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}
