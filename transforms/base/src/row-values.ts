/**
 * One record's values, by column position, for plans that look at some of them only: whether a value is
 * missing, or a value now and then (a sample, a fill). The runtime hands a scanned line as a LazyRow,
 * which decodes a value when it is asked for and answers `missing` from the bytes when they settle it,
 * so a stage that only checks rows for gaps (impute's drop_rows) decodes nothing. A plan serves records
 * that had to be parsed in full with an ArrayRow over their values, through the same code.
 */
import { isEdgeNoise, isMissingValue } from '@tapline/transform-core';
import type { RecordScanner } from './record-scanner.js';

export interface RowValues {
  /** Column i's value as JSON.parse gives it; undefined when the record lacks the column. */
  value(i: number): unknown;
  /** isMissingValue(value(i)): absent, null, NaN, or a string that is empty once blanks and quotes are stripped. */
  missing(i: number): boolean;
  /** Whether value(i) is a JSON number: a number, or a bigint for an integer beyond 2^53. */
  isNumber(i: number): boolean;
  /** Write `value` for column i instead (in transformRow); value(i) then returns it. */
  set(i: number, value: unknown): void;
}

/** Over an array of values (a record parsed in full); `set` changes the array. */
export class ArrayRow implements RowValues {
  constructor(readonly values: unknown[]) {}

  value(i: number): unknown {
    return this.values[i];
  }

  missing(i: number): boolean {
    return isMissingValue(this.values[i]);
  }

  isNumber(i: number): boolean {
    const value = this.values[i];
    return typeof value === 'number' || typeof value === 'bigint';
  }

  set(i: number, value: unknown): void {
    this.values[i] = value;
  }
}

/** Not decoded yet. */
const UNREAD = Symbol('unread');
const QUOTE = 34;
const MINUS = 45;

/** Over a line's bytes, where a RecordScanner located the columns. Reused from line to line. */
export class LazyRow implements RowValues {
  private scanner: RecordScanner | undefined;
  private bytes: Buffer = Buffer.alloc(0);
  /** Per column: the decoded or set value, or UNREAD. What the runtime writes (see `changed`). */
  readonly values: unknown[] = [];
  /** Per column: the decoded value before any set, or UNREAD. */
  readonly before: unknown[] = [];

  /** Point at a newly scanned line. */
  reset(scanner: RecordScanner, bytes: Buffer): void {
    this.scanner = scanner;
    this.bytes = bytes;
    const values = this.values;
    const before = this.before;
    for (let i = 0; i < scanner.columns.length; i += 1) values[i] = before[i] = UNREAD;
  }

  value(i: number): unknown {
    let value = this.values[i];
    if (value === UNREAD) {
      value = (this.scanner as RecordScanner).value(this.bytes, i);
      this.values[i] = this.before[i] = value;
    }
    return value;
  }

  missing(i: number): boolean {
    if (this.values[i] !== UNREAD) return isMissingValue(this.values[i]);
    const scanner = this.scanner as RecordScanner;
    if (scanner.keyStarts[i] === -1) return true;
    const bytes = this.bytes;
    const start = scanner.valueStarts[i] as number;
    const end = scanner.valueEnds[i] as number;
    const first = bytes[start] as number;
    if (first === QUOTE) {
      if (end - start === 2) return true; // ""
      // An ASCII string without escapes whose first or last character is not blank or a quote cannot
      // strip to empty; any other string is decoded and checked.
      if (scanner.stringFlags[i] === 0 && (!isEdgeNoise(bytes[start + 1] as number) || !isEdgeNoise(bytes[end - 2] as number))) return false;
      return isMissingValue(this.value(i));
    }
    // null; a JSON number is never NaN; true, false, objects and arrays are values.
    return first === 110;
  }

  isNumber(i: number): boolean {
    const value = this.values[i];
    if (value !== UNREAD) return typeof value === 'number' || typeof value === 'bigint';
    const scanner = this.scanner as RecordScanner;
    if (scanner.keyStarts[i] === -1) return false;
    const first = this.bytes[scanner.valueStarts[i] as number] as number;
    return first === MINUS || (first >= 48 && first <= 57);
  }

  set(i: number, value: unknown): void {
    // Decoded first, so a value set equal to the one there leaves the line as it came (as transformValues would).
    if (this.values[i] === UNREAD) this.value(i);
    this.values[i] = value;
  }
}
