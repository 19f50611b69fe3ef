/**
 * The string formats Singer streams use, checked the way data engineers need: a calendar date must exist,
 * a date-time may carry an offset or none (many Python taps omit it; such values mean UTC), years before
 * 1900 and offsets like +05:30 are fine, and a `time` is a time of day with or without a zone.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,12})?)?(?:[Zz]|[+-](\d{2})(?::?(\d{2}))?)?$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,12})?)?(?:[Zz]|[+-](\d{2})(?::?(\d{2}))?)?$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_DECIMALS = new Set(['NaN', 'Infinity', '-Infinity', '+Infinity']);

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether the day exists in the proleptic Gregorian calendar (29 February in leap years only). */
export function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  if (month === 2 && day === 29) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (DAYS_IN_MONTH[month - 1] ?? 0);
}

function validClock(hour: number, minute: number, second: number): boolean {
  // 24:00:00 is a valid end-of-day in PostgreSQL `time`; 60 is a leap second.
  if (hour === 24) return minute === 0 && second === 0;
  return hour <= 23 && minute <= 59 && second <= 60;
}

function validOffset(hours: string | undefined, minutes: string | undefined): boolean {
  if (hours === undefined) return true;
  return Number(hours) <= 18 && (minutes === undefined || Number(minutes) <= 59);
}

export function isDate(value: string): boolean {
  const m = DATE.exec(value);
  return m !== null && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function isDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  return (
    m !== null &&
    validDay(Number(m[1]), Number(m[2]), Number(m[3])) &&
    validClock(Number(m[4]), Number(m[5]), Number(m[6] ?? 0)) &&
    validOffset(m[7], m[8])
  );
}

export function isTime(value: string): boolean {
  const m = TIME.exec(value);
  return m !== null && validClock(Number(m[1]), Number(m[2]), Number(m[3] ?? 0)) && validOffset(m[4], m[5]);
}

/** `singer.decimal`: exact decimal text, plus NaN and the infinities that numeric columns can hold. */
export function isDecimalText(value: string): boolean {
  return DECIMAL.test(value) || SPECIAL_DECIMALS.has(value);
}

export const SINGER_FORMATS: Readonly<Record<string, (value: string) => boolean>> = {
  'date-time': isDateTime,
  date: isDate,
  time: isTime,
  'singer.decimal': isDecimalText,
};
