/**
 * Reading the date-like strings that type detection accepts into instants, so datetime statistics
 * (min, max, median) order real times rather than text. `Date.parse` is not used: what it accepts
 * beyond ISO 8601 differs between engines, and results must not depend on where a stage runs.
 */

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

const NUMERIC_DATE = /^(\d{1,4})[-/](\d{1,2})[-/](\d{1,4})(?:[Tt ](.*))?$/;
const NAMED_DATE = /^([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?[\s,]+(\d{2,4})(?:[\s,]+(.*))?$/;
const TIME_OF_DAY = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d+))?)?\s*(?:([AaPp])\.?[Mm]\.?)?\s*([zZ]|[+-]\d{2}(?::?\d{2})?)?/;

/** Two-digit years: 00-69 are 2000-2069, 70-99 are 1970-1999 (the POSIX `%y` convention). */
function expandYear(digits: string): number {
  const year = Number(digits);
  if (digits.length > 2) return year;
  return year < 70 ? 2000 + year : 1900 + year;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

function isValidDay(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function timeOffsetMs(rest: string | undefined): number | null {
  if (rest === undefined || rest.trim() === '') return 0;
  const match = TIME_OF_DAY.exec(rest.trim());
  if (!match) return 0; // trailing text that is not a time is ignored, as the pattern allows
  const [, h = '0', m = '0', s = '0', fraction = '', meridiem, zone] = match;
  let hours = Number(h);
  if (meridiem !== undefined) {
    if (hours < 1 || hours > 12) return null;
    hours = (hours % 12) + (meridiem.toLowerCase() === 'p' ? 12 : 0);
  }
  const minutes = Number(m);
  const seconds = Number(s);
  if (hours > 23 || minutes > 59 || seconds > 60) return null;
  const millis = fraction === '' ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  let offset = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0')) * 60_000;
  }
  return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis - offset;
}

/**
 * Epoch milliseconds for a date-like string, or null. Numeric dates: a 3-4 digit first part is the year
 * (Y-M-D); otherwise the last part is the year and the order is month/day like pandas' default, unless
 * the first part cannot be a month (then day/month). Times without a zone are read as UTC.
 */
export function parseDateLike(text: string): number | null {
  const value = text.trim();
  const iso = isoDateTime(value);
  if (iso !== undefined) return iso;
  return parseDateLikeByPatterns(value);
}

/** Value of `count` ASCII digits at `index`, or -1 when any of them is not a digit. */
export function digitsAt(text: string, index: number, count: number): number {
  let value = 0;
  for (let i = index; i < index + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1; // NaN past the end of the text too
    value = value * 10 + digit;
  }
  return value;
}

/**
 * parseDateLike for the forms taps write, without its regular expressions (datetime statistics read
 * every date of a 100,000-row sample): `YYYY-MM-DD`, optionally followed by `T`, `t` or a space,
 * `HH:MM:SS`, optionally `.mmm` (exactly three digits), and optionally `Z` or `z`; years from 100 on.
 * Undefined for anything else, which the general reading then handles. Days and times parseDateLike
 * rejects are null here too; a three-digit fraction is its own count of milliseconds, which is what
 * `Math.round(Number('0.mmm') * 1000)` gives, and for years from 100 on Date.UTC agrees with
 * setUTCFullYear.
 */
export function isoDateTime(value: string): number | null | undefined {
  const length = value.length;
  if (length < 10 || length > 24 || value.charCodeAt(4) !== 45 /* - */ || value.charCodeAt(7) !== 45) return undefined;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  if (year < 100 || month < 0 || day < 0) return undefined;
  let time = 0;
  if (length > 10) {
    const separator = value.charCodeAt(10);
    if (separator !== 84 /* T */ && separator !== 116 /* t */ && separator !== 32) return undefined;
    if (length < 19 || value.charCodeAt(13) !== 58 /* : */ || value.charCodeAt(16) !== 58) return undefined;
    const hours = digitsAt(value, 11, 2);
    const minutes = digitsAt(value, 14, 2);
    const seconds = digitsAt(value, 17, 2);
    if (hours < 0 || minutes < 0 || seconds < 0) return undefined;
    let at = 19;
    let millis = 0;
    if (at < length && value.charCodeAt(at) === 46 /* . */) {
      millis = digitsAt(value, at + 1, 3);
      if (millis < 0) return undefined;
      at += 4;
    }
    if (at < length) {
      const zone = value.charCodeAt(at);
      if (zone !== 90 /* Z */ && zone !== 122 /* z */) return undefined;
      at += 1;
    }
    if (at !== length) return undefined;
    if (!isValidDay(year, month, day)) return null;
    if (hours > 23 || minutes > 59 || seconds > 60) return null;
    time = ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
  } else if (!isValidDay(year, month, day)) {
    return null;
  }
  return Date.UTC(year, month - 1, day) + time;
}

/**
 * parseDateLike by its regular expressions alone, for a value already trimmed: what it does with any text
 * the hand-written ISO reader does not take (exported so tests can hold the two to agreeing).
 */
export function parseDateLikeByPatterns(value: string): number | null {
  let year: number;
  let month: number;
  let day: number;
  let rest: string | undefined;
  const numeric = NUMERIC_DATE.exec(value);
  if (numeric) {
    const [, a = '', b = '', c = '', time] = numeric;
    rest = time;
    if (a.length >= 3) {
      if (c.length > 2) return null;
      [year, month, day] = [Number(a), Number(b), Number(c)];
    } else if (Number(a) > 12) {
      [day, month, year] = [Number(a), Number(b), expandYear(c)];
    } else {
      [month, day, year] = [Number(a), Number(b), expandYear(c)];
    }
  } else {
    const named = NAMED_DATE.exec(value);
    if (!named) return null;
    const [, monthName = '', dayText = '', yearText = '', time] = named;
    const monthNumber = MONTHS[monthName.toLowerCase()];
    if (monthNumber === undefined) return null;
    [month, day, year] = [monthNumber, Number(dayText), expandYear(yearText)];
    rest = time;
  }
  if (!isValidDay(year, month, day)) return null;
  const timeMs = timeOffsetMs(rest);
  if (timeMs === null) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0-99 literal, Date.UTC does not
  return date.getTime() + timeMs;
}

/** ISO 8601 text (UTC) for an instant from parseDateLike. */
export function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
