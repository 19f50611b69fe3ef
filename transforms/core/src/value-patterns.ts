/**
 * The shapes type detection looks for in string values (dates, emails, numbers with currency or %,
 * phone numbers, zip codes, lists), the column-name hints for phone and zip columns, and turning
 * number-like strings into numbers. Patterns are matched against the value with whitespace and
 * quotes already stripped (see `stripQuotes`).
 */
import { digitsAt } from './date-values.js';

/** Currency signs and codes accepted before the digits. */
export const CURRENCY_PREFIXES: readonly string[] = Object.freeze(['$', '€', '¥', '₹', '£', 'Rs', 'CAD']);
/** Currency signs and codes accepted after the digits. */
export const CURRENCY_SUFFIXES: readonly string[] = Object.freeze(['元', '€', '$', 'CAD']);

const PREFIX = '(?:[$€¥₹£]|Rs|CAD)';
const SUFFIX = '(?:[元€$]|CAD)';
// Thousands commas must group by three ("1,000", "12,345,678"), so "1,5" (a decimal comma) is not read
// as fifteen.
const WHOLE = '(?:\\d{1,3}(?:,\\d{3})+|\\d+)';
const INTEGER_BODY = `${WHOLE}(?:\\.0*)?`;
const DECIMAL_BODY = `(?:${WHOLE}(?:\\.\\d*)?|\\.\\d+)`;

function amountPattern(body: string, percent: boolean): RegExp {
  // Currency before or after the digits, not both; spaces allowed between the parts ("$ 5", "5 CAD").
  const amount = `(?:${PREFIX}\\s*${body}|${body}(?:\\s*${SUFFIX})?)`;
  return new RegExp(`^-?\\s*${amount}${percent ? '(?:\\s*%)?' : ''}$`, 'u');
}

/** Whole amounts: optional minus and currency, thousands commas, optionally `.` and only zeros. */
export const INTEGER_PATTERN = amountPattern(INTEGER_BODY, false);
/** Any amount: as INTEGER_PATTERN with any decimals, and an optional trailing `%`. */
export const NUMBER_PATTERN = amountPattern(DECIMAL_BODY, true);

const DAY_MONTH_YEAR = '(?:\\d{1,4}[-/]\\d{1,2}[-/]\\d{1,2}|\\d{1,2}[-/]\\d{1,2}[-/]\\d{1,4})';
const CLOCK = '\\d{1,2}:\\d{1,2}(?::\\d{1,2}(?:\\.\\d+)?)?';
const MONTH_NAME =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
/**
 * Date-like: `Y-M-D`, `Y/M/D`, `D/M/Y` (either separator) alone, or followed by a time (`T` or space,
 * `H:M`, optional seconds and fraction) and then anything (a zone, `Z`, more text); or a month name, a
 * day and a year (`Jan 5, 2024`, `March 3rd 2021`), which may also be followed by more text.
 */
export const DATE_LIKE_PATTERN = new RegExp(
  `^(?:${DAY_MONTH_YEAR}$|${DAY_MONTH_YEAR}[Tt ]${CLOCK}|${MONTH_NAME}\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?[\\s,]+\\d{2,4})`,
  'i',
);
/** A local part of letters, digits and `_ . + # -`, an `@`, and a domain with at least one dot. */
export const EMAIL_PATTERN = /^[A-Za-z0-9_.+#-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
/** Optional `+` and country code, 3-3-4 digits separated by `- . ( )` or spaces, optional `x123`. */
export const PHONE_NUMBER_PATTERN = /^(?:\+?\d{1,3})?[-. (]*\d{3}[-. )]*\d{3}[-. ]*\d{4}(?: *x\d+)?$/;
/** 3 to 5 digits, optionally `-` or a space and 4 more. */
export const ZIP_CODE_PATTERN = /^\d{3,5}(?:[-\s]\d{4})?$/;
/** Starts with `[` or `(` and ends with `]` or `)`, on one line. */
export const LIST_PATTERN = /^[[(][^\r\n]*[\])]$/;

/**
 * The ISO shapes taps write, which DATE_LIKE_PATTERN accepts: `YYYY-MM-DD` alone, or followed by `T`,
 * `t` or a space and `HH:MM` (then anything). Checked by hand first because type detection asks for
 * every value of a column; anything else goes to the pattern.
 */
function isIsoDateLike(text: string): boolean {
  const length = text.length;
  if (length < 10 || digitsAt(text, 0, 4) < 0 || text.charCodeAt(4) !== 45 || digitsAt(text, 5, 2) < 0 || text.charCodeAt(7) !== 45 || digitsAt(text, 8, 2) < 0) return false;
  if (length === 10) return true;
  const separator = text.charCodeAt(10);
  return (separator === 84 || separator === 116 || separator === 32) && length >= 16 && digitsAt(text, 11, 2) >= 0 && text.charCodeAt(13) === 58 && digitsAt(text, 14, 2) >= 0;
}

export const isDateLike = (text: string): boolean => isIsoDateLike(text) || DATE_LIKE_PATTERN.test(text);
export const isEmail = (text: string): boolean => EMAIL_PATTERN.test(text);
export const isIntegerLike = (text: string): boolean => INTEGER_PATTERN.test(text);
/** A plain decimal (see isPlainDecimal) is number-like, and is checked without the pattern. */
export const isNumberLike = (text: string): boolean => isPlainDecimal(text) || NUMBER_PATTERN.test(text);
export const isPhoneNumber = (text: string): boolean => PHONE_NUMBER_PATTERN.test(text);
export const isZipCode = (text: string): boolean => ZIP_CODE_PATTERN.test(text);
export const isListLike = (text: string): boolean => LIST_PATTERN.test(text);

/** Substrings of a lower-cased column name that mark it as holding phone numbers. */
export const PHONE_NAME_HINTS: readonly string[] = Object.freeze(['phone', 'landline']);
/** Substrings of a lower-cased column name that mark it as holding zip or postal codes. */
export const ZIP_NAME_HINTS: readonly string[] = Object.freeze(['zip', 'postal', 'zipcode', 'postcode']);

export function hasPhoneNameHint(columnName: string): boolean {
  const lower = columnName.toLowerCase();
  return PHONE_NAME_HINTS.some((hint) => lower.includes(hint));
}

export function hasZipNameHint(columnName: string): boolean {
  const lower = columnName.toLowerCase();
  return ZIP_NAME_HINTS.some((hint) => lower.includes(hint));
}

const CURRENCY_TOKEN = /[$€¥₹£元]|Rs|CAD/gu;
const HAS_CURRENCY = /[$€¥₹£元]|Rs|CAD/u;
const PLAIN_DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * How a numeric column's strings are read, decided once for the column as the reference does:
 * if any value carries a currency token the tokens are removed; else if any carries `%` every value is
 * read as a percentage (`%` removed, divided by 100); else values are plain.
 */
export type NumericCoercion = 'plain' | 'currency' | 'percent';

/** Pick the coercion for a column from its values (non-strings are ignored). */
export function chooseNumericCoercion(values: Iterable<unknown>): NumericCoercion {
  let percent = false;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    if (HAS_CURRENCY.test(value)) return 'currency';
    if (value.includes('%')) percent = true;
  }
  return percent ? 'percent' : 'plain';
}

/**
 * Read one number-like string under a column's coercion: drop `,`, drop currency tokens or `%` (then
 * /100), drop spaces, parse. Returns null when the text is not number-like or does not fit the
 * coercion (a `%` value in a currency column), so the caller can count it as invalid.
 */
export function coerceNumericString(text: string, coercion: NumericCoercion): number | null {
  // The usual case, a plain decimal (`-12.50`): number-like, and every step below leaves it as it is.
  if (isPlainDecimal(text)) return Number(text) / (coercion === 'percent' ? 100 : 1);
  const trimmed = text.trim();
  if (!isNumberLike(trimmed)) return null;
  let cleaned = trimmed.replace(/,/g, '');
  let divisor = 1;
  if (coercion === 'currency') {
    cleaned = cleaned.replace(CURRENCY_TOKEN, '');
  } else if (coercion === 'percent') {
    cleaned = cleaned.replace('%', '');
    divisor = 100;
  }
  cleaned = cleaned.replace(/\s+/g, '');
  if (!PLAIN_DECIMAL.test(cleaned)) return null;
  return Number(cleaned) / divisor;
}

/**
 * Whether a text is PLAIN_DECIMAL (`-?(\d+(\.\d*)?|\.\d+)`, ASCII digits), checked without the regular
 * expression.
 */
export function isPlainDecimal(text: string): boolean {
  const length = text.length;
  let i = length > 0 && text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  let digits = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) break;
    digits += 1;
    i += 1;
  }
  if (i === length) return digits > 0;
  if (text.charCodeAt(i) !== 46 /* . */) return false;
  i += 1;
  let decimals = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
    decimals += 1;
    i += 1;
  }
  return digits > 0 || decimals > 0;
}

/** Coerce a column's values: numbers pass through, number-like strings are read, anything else is null. */
export function coerceNumericStrings(values: readonly unknown[]): (number | null)[] {
  const coercion = chooseNumericCoercion(values);
  return values.map((value) => {
    if (typeof value === 'number') return Number.isFinite(value) ? value : null;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string') return coerceNumericString(value, coercion);
    return null;
  });
}

/**
 * Read one value on its own, for a stream that cannot see the whole column first: currency tokens are
 * removed, a `%` value is divided by 100. Null when it is not number-like.
 */
export function parseNumberLike(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return null;
  const coercion: NumericCoercion = HAS_CURRENCY.test(value) ? 'currency' : value.includes('%') ? 'percent' : 'plain';
  return coerceNumericString(value, coercion);
}

/**
 * True when an integer-like string holds a value outside the signed 64-bit range, which no numeric
 * column type of the targets can store (so such a column is typed as a category instead).
 */
export function exceedsInt64(text: string): boolean {
  const digits = text.replace(CURRENCY_TOKEN, '').replace(/[,\s]/g, '').replace(/\.0*$/, '');
  if (!/^-?\d+$/.test(digits)) return false;
  const value = BigInt(digits);
  return value > INT64_MAX || value < INT64_MIN;
}
