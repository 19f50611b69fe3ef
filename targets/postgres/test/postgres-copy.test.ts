import { describe, expect, it } from 'vitest';
import { RecordCodec, type JsonSchema } from '@tapline/protocol';
import { ScannedPendingRecord, readProperty, type PendingRecord } from '@tapline/target-base';
import type { ColumnKind } from '@tapline/target-sql-base';
import { copyPosition, copyText, escapeCopyText, neutralType } from '../src/index.js';

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
    const text = copyText(columns, [
      pending({ c0: '\\N', c1: { s: 'tab\there' }, c2: 2 ** 60, c3: true, c4: '99999999999999999999999999999.999999999' }),
      pending({ c0: null, c1: 'a string', c2: -1, c3: false }),
    ]);
    expect(text).toBe(
      '\\\\N\t{"s":"tab\\\\there"}\t1152921504606846976\tt\t99999999999999999999999999999.999999999\n' +
        '\\N\t"a string"\t-1\tf\t\\N\n',
    );
  });

  it('writes a scanned record (copied from its bytes) exactly as the same record decoded', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        i: { type: 'integer' }, n: { type: ['number', 'string', 'null'] }, d: { type: ['string', 'null'], format: 'singer.decimal' },
        s: { type: ['string', 'null'] }, b: { type: ['boolean', 'null'] }, j: {}, t: { type: 'string', format: 'date-time' },
      },
    };
    const kinds: Record<string, ColumnKind> = { i: 'integer', n: 'number', d: 'decimal', s: 'string', b: 'boolean', j: 'json', t: 'date-time' };
    const columns = Object.entries(kinds).map(([property, kind]) => ({ name: property, property, type: { kind }, read: (p: PendingRecord) => readProperty(p, property) }));
    const codec = RecordCodec.compile('s', schema, true)!;
    const records = [
      { i: 1, n: 2.5, d: '0.10', s: 'plain text', b: true, j: { tab: 'a\tb', quote: 'say "hi"', back: 'c:\\dir', list: [1, null, true] }, t: '2020-01-01T00:00:00Z' },
      { i: -42, n: 'NaN', d: null, s: '', b: false, j: 'just a string', t: '1899-12-31T23:59:59.123456+05:30' },
      { i: 0, n: -1e-7, s: null, j: [], t: '2020-01-01 00:00:00' },
      { i: 7, n: 3, j: 12, s: 'caf\u00e9 \n newline' },
    ];
    const lines = records.map((record) => `{"type":"RECORD","stream":"s","record":${JSON.stringify(record)}}`);
    const scanned: PendingRecord[] = [];
    const decoded: PendingRecord[] = [];
    lines.forEach((line, index) => {
      const bytes = Buffer.from(line);
      const base = codec.scan(bytes, 0, bytes.length);
      const record = (JSON.parse(line) as { record: Record<string, unknown> }).record;
      decoded.push(pending(record));
      // The last record has escapes in a string: it is not scanned (the target parses it), which is fine.
      if (index === 3) expect(base).toBe(-1);
      else scanned.push(new ScannedPendingRecord(codec, base, bytes, 0, bytes.length, 0, index + 1, index + 1));
    });
    expect(scanned).toHaveLength(3);
    expect(copyText(columns, scanned)).toBe(copyText(columns, decoded.slice(0, 3)));
    // An integer beyond 2^53 comes out as the decoded line gives it (the documented limit), whichever path it took.
    const big = Buffer.from('{"type":"RECORD","stream":"s","record":{"i":9007199254740993}}');
    const bigRow = new ScannedPendingRecord(codec, codec.scan(big, 0, big.length), big, 0, big.length, 0, 1, 1);
    expect(copyText(columns.slice(0, 1), [bigRow])).toBe('9007199254740992\n');
    expect(copyText(columns.slice(0, 1), [pending({ i: 9007199254740993 })])).toBe('9007199254740992\n');
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
