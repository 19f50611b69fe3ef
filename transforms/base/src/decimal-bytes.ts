/**
 * Decimal numbers read from their bytes, without a string: the digits as an integer mantissa and a power
 * of ten. Exact when the mantissa fits in 53 bits and the power of ten is an exact double (one correctly
 * rounded multiplication or division: Clinger's fast path); other numbers are left to `Number()` on the
 * text, which rounds correctly too. Either way the double is the one `Number()` and JSON.parse give.
 */
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/** Powers of ten that are exact doubles (10^22 is the largest). */
const EXACT_POWERS_OF_TEN = Float64Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const TWO_POW_53 = 2 ** 53;

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= ZERO && code <= NINE;
}

let readExponent = 0;

/** The exponent exponentEnd read last. */
export function lastExponent(): number {
  return readExponent;
}

/**
 * After an `e` or `E`: one past the exponent `[+-]? digits`, its value then given by lastExponent(); or
 * -1 without digits.
 */
export function exponentEnd(bytes: Buffer, index: number, end: number): number {
  let i = index;
  const sign = i < end && bytes[i] === MINUS ? -1 : 1;
  if (i < end && (bytes[i] === PLUS || bytes[i] === MINUS)) i += 1;
  const first = i;
  let value = 0;
  for (; i < end && isDigit(bytes[i]); i += 1) if (value < 1e6) value = value * 10 + ((bytes[i] as number) - ZERO);
  readExponent = sign * value;
  return i === first ? -1 : i;
}

/** mantissa * 10^scale, negated when `negative`, for the number written at [start, end) of `bytes`. */
export function decimalValue(mantissa: number, scale: number, negative: boolean, bytes: Buffer, start: number, end: number): number {
  // Every partial mantissa is below the final one, so all were exact when the final one is below 2^53.
  if (mantissa >= TWO_POW_53 || scale > 22 || scale < -22) return Number(bytes.toString('latin1', start, end));
  const value = scale >= 0 ? mantissa * (EXACT_POWERS_OF_TEN[scale] as number) : mantissa / (EXACT_POWERS_OF_TEN[-scale] as number);
  return negative ? -value : value;
}

/**
 * The decimal number written at [start, end): `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
 * (JSON numbers and the decimals `Number()` reads), or NaN when the bytes are not of that form.
 */
export function decimalAt(bytes: Buffer, start: number, end: number): number {
  let i = start;
  const sign = bytes[i];
  if (sign === PLUS || sign === MINUS) i += 1;
  let mantissa = 0;
  let digits = 0;
  for (; i < end; i += 1, digits += 1) {
    const digit = (bytes[i] as number) - ZERO;
    if (digit < 0 || digit > 9) break;
    mantissa = mantissa * 10 + digit;
  }
  let scale = 0;
  if (i < end && bytes[i] === DOT) {
    for (i += 1; i < end; i += 1, digits += 1, scale -= 1) {
      const digit = (bytes[i] as number) - ZERO;
      if (digit < 0 || digit > 9) break;
      mantissa = mantissa * 10 + digit;
    }
  }
  if (digits === 0) return Number.NaN;
  if (i < end && (bytes[i] === 101 || bytes[i] === 69) /* e E */) {
    i = exponentEnd(bytes, i + 1, end);
    if (i < 0) return Number.NaN;
    scale += readExponent;
  }
  if (i !== end) return Number.NaN;
  return decimalValue(mantissa, scale, sign === MINUS, bytes, start, end);
}
