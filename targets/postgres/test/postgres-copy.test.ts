import { describe, expect, it } from 'vitest';
import type { PendingRecord } from '@tapline/target-base';
import { copyPosition, copyTextChunks, escapeCopyText, neutralType } from '../src/index.js';

const pending = (record: Record<string, unknown>): PendingRecord => ({ record, version: undefined, timeExtracted: undefined, receivedAt: 0, line: 1, sequence: 1 });

describe('COPY text encoding', () => {
  it('escapes backslash, tab, newline and carriage return; null is \\N and the text "\\N" is not', () => {
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    const columns = (['string', 'json', 'integer', 'boolean', 'decimal'] as const).map((kind, i) => ({
      name: `c${i}`,
      property: `c${i}`,
      type: { kind },
      read: (p: PendingRecord) => p.record[`c${i}`],
    }));
    const text = [...copyTextChunks(columns, [
      pending({ c0: '\\N', c1: { s: 'tab\there' }, c2: 2 ** 60, c3: true, c4: '99999999999999999999999999999.999999999' }),
      pending({ c0: null, c1: 'a string', c2: -1, c3: false }),
    ])].join('');
    expect(text).toBe(
      '\\\\N\t{"s":"tab\\\\there"}\t1152921504606846976\tt\t99999999999999999999999999999.999999999\n' +
        '\\N\t"a string"\t-1\tf\t\\N\n',
    );
  });

  it('finds the row and column of a COPY error, even when a column name has commas and colons', () => {
    expect(copyPosition('COPY tapline_staging, line 3, column a, b: c: "xyz"', 'tapline_staging', ['a', 'a, b: c'])).toEqual({ line: 3, column: 'a, b: c' });
    expect(copyPosition('COPY users, line 12', 'users', ['id'])).toEqual({ line: 12 });
    expect(copyPosition('something else', 'users', ['id'])).toBeUndefined();
  });

  it('reads existing PostgreSQL types back as neutral types', () => {
    expect(neutralType('character varying(5)')).toEqual({ kind: 'string', native: 'character varying(5)', maxLength: 5 });
    expect(neutralType('numeric(12,2)').kind).toBe('decimal');
    expect(neutralType('timestamp(3) with time zone').kind).toBe('date-time');
    expect(neutralType('uuid').kind).toBe('other');
  });
});
