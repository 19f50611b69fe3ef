import { describe, expect, it } from 'vitest';
import { RecordCodec, type JsonSchema } from '@tapline/protocol';
import { ScannedPendingRecord, readProperty, type PendingRecord } from '@tapline/target-base';
import { latestPerKey, type BatchLoad, type ColumnKind, type LoadColumn } from '@tapline/target-sql-base';
import { BatchHistory, CopyBatch, copyPosition, copyRowsOf, copyText, escapeCopyText, neutralType, type CopyRows } from '../src/index.js';

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
    // An integer beyond 2^53 keeps every digit, whichever path it took.
    const big = Buffer.from('{"type":"RECORD","stream":"s","record":{"i":9007199254740993}}');
    const bigRow = new ScannedPendingRecord(codec, codec.scan(big, 0, big.length), big, 0, big.length, 0, 1, 1);
    expect(copyText(columns.slice(0, 1), [bigRow])).toBe('9007199254740993\n');
    expect(copyText(columns.slice(0, 1), [pending({ i: 9007199254740993n })])).toBe('9007199254740993\n');
    expect(copyText(columns.slice(0, 1), [pending({ i: -9223372036854775808n })])).toBe('-9223372036854775808\n');
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

describe('COPY batches (records encoded as they arrive)', () => {
  const schema: JsonSchema = { type: 'object', properties: { id: { type: 'integer' }, name: { type: ['null', 'string'] }, doc: {} } };
  const kinds: Record<string, ColumnKind> = { id: 'integer', name: 'string', doc: 'json' };
  const layout = { columns: Object.entries(kinds).map(([property, kind]) => ({ name: property, property, type: { kind } })), keys: ['id'] };
  const columns = (version: number | null): LoadColumn[] => [
    ...layout.columns.map((column) => ({ ...column, read: (p: PendingRecord) => readProperty(p, column.property) })),
    { name: '_sdc_table_version', property: undefined, type: { kind: 'integer' }, read: (p: PendingRecord) => p.version ?? version },
    { name: '_sdc_deleted_at', property: undefined, type: { kind: 'date-time' }, read: (p: PendingRecord) => readProperty(p, '_sdc_deleted_at') ?? null },
  ];
  const load = (cols: LoadColumn[], rows: PendingRecord[]): BatchLoad => ({ stream: 's', table: { schema: 's', table: 't' }, columns: cols, keys: ['id'], rows, mode: 'upsert', keysUnique: true, truncateFirst: false });
  const text = (rows: CopyRows) => Buffer.concat([...rows.chunks()]).toString('utf8');
  const codec = RecordCodec.compile('s', schema, true)!;

  /** The records of `lines` both ways: scanned into a batch (parsed when the codec declines), and as PendingRecords. */
  function both(lines: { record: Record<string, unknown>; version?: number }[], history: BatchHistory) {
    const batch = new CopyBatch(layout, history);
    const records: PendingRecord[] = [];
    lines.forEach(({ record, version }, index) => {
      const bytes = Buffer.from(JSON.stringify({ type: 'RECORD', stream: 's', record, ...(version === undefined ? {} : { version }) }));
      const base = codec.scan(bytes, 0, bytes.length);
      const pending = { record, version, timeExtracted: undefined, receivedAt: 0, line: index + 1, sequence: index + 1 };
      if (base >= 0) {
        batch.addScanned(codec, base, bytes, 0, bytes.length, 0, index + 1, index + 1);
        records.push(new ScannedPendingRecord(codec, base, bytes, 0, bytes.length, 0, index + 1, index + 1));
      } else {
        batch.add(pending);
        records.push(pending);
      }
    });
    return { batch, records };
  }

  it('sends what the shared sink would: the last record per key, the metadata its readers give', () => {
    const history = new BatchHistory();
    const lines = [
      { record: { id: 3, name: 'plain', doc: { a: [1, 'x\ty'] } }, version: 7 },
      { record: { id: 1, name: 'caf\u00e9', doc: 'text' }, version: 7 },
      { record: { id: 3, name: null, doc: null, _sdc_deleted_at: '2020-01-01T00:00:00Z' } },
      { record: { id: 2, name: 'tab\there' }, version: 8 },
    ];
    const { batch, records } = both(lines, history);
    const cols = columns(5);
    const rows = copyRowsOf(load(cols, [batch]));
    expect(text(rows)).toBe(copyText(cols, latestPerKey(records, cols.slice(0, 1))));
    expect([rows.count, rows.lineOf(1), rows.lineOf(3)]).toEqual([3, 2, 4]);
  });

  it('writes each row with the metadata the last load gave, and rebuilds the rows when a reader says otherwise', () => {
    const history = new BatchHistory();
    const same = [1, 2, 3].map((id) => ({ record: { id, name: `n${id}` }, version: 7 }));
    // None guessed, then guessed right twice, then a record without a version takes the stream's.
    for (const lines of [same, same, same, [...same, { record: { id: 4, name: 'n4' } }], same]) {
      const { batch, records } = both(lines, history);
      const cols = columns(5);
      expect(text(copyRowsOf(load(cols, [batch])))).toBe(copyText(cols, records));
    }
  });

  it('keeps what salvage keeps: a prefix, then later records appended after a failed load', () => {
    const history = new BatchHistory();
    const lines = [1, 2, 3, 4].map((id) => ({ record: { id, name: `n${id}`, doc: { id } } }));
    const first = both(lines.slice(0, 2), history);
    const later = both(lines.slice(2), history);
    first.batch.append(later.batch);
    first.batch.truncate(3);
    const cols = columns(null);
    expect(first.batch.length).toBe(3);
    expect(text(copyRowsOf(load(cols, [first.batch])))).toBe(copyText(cols, [...first.records, ...later.records].slice(0, 3)));
    expect([first.batch.lineAt(2), first.batch.sequenceAt(2)]).toEqual([1, 1]);
  });

  it('fails a value that cannot be encoded when its row is sent, and not when a later record replaces it', () => {
    const integers = { columns: [{ name: 'id', property: 'id', type: { kind: 'integer' as const } }, { name: 'n', property: 'n', type: { kind: 'integer' as const } }], keys: ['id'] };
    const cols = integers.columns.map((column) => ({ ...column, read: (p: PendingRecord) => p.record[column.property] }));
    const rowsOf = (records: Record<string, unknown>[]) => {
      const batch = new CopyBatch(integers);
      records.forEach((record, index) => batch.add({ record, version: undefined, timeExtracted: undefined, receivedAt: 0, line: index + 1, sequence: index + 1 }));
      return copyRowsOf(load(cols, [batch]));
    };
    expect(() => text(rowsOf([{ id: 1, n: 1.5 }]))).toThrow(RangeError);
    expect(text(rowsOf([{ id: 1, n: 1.5 }, { id: 1, n: 2 }]))).toBe('1\t2\n');
  });
});
