import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB } from '@tapline/duckdb-client';
import { Logger } from '@tapline/protocol';
import { readRows, runWithConfig, sql, tapBin, targetBin, tempDir, type TempDir } from '../../../targets/duckdb/test/duckdb-test-helpers.js';

type Json = Record<string, unknown>;
interface Stream { tap_stream_id: string; schema: Json; key_properties: string[]; metadata: { breadcrumb: string[]; metadata: Json }[] }

const ALL_TYPES = `
CREATE TABLE alltypes (
  id INTEGER PRIMARY KEY, h HUGEINT, u UBIGINT, d DECIMAL(12,2), dd DECIMAL(38,9), db DOUBLE, fl FLOAT, ts TIMESTAMPTZ, dt DATE,
  tm TIME, b BLOB, j JSON, l INTEGER[], s STRUCT(a INTEGER, b VARCHAR), bo BOOLEAN, v VARCHAR, bi BIGINT, ld DECIMAL(5,2)[]);
INSERT INTO alltypes VALUES
 (1, 170141183460469231731687303715884105727, 18446744073709551615, 12.34, 99999999999999999999999999999.999999999, 'NaN', 0.1,
  '1850-06-15 12:00:00.123456+01:30', '0001-01-01', '23:59:59.999999', '\\x00\\xFFab'::BLOB, '{"a":[1,2.5],"b":null}', [1, NULL, 3],
  {'a': 1, 'b': 'x'}, true, 'héllo "q"' || chr(10) || ',😀', 9007199254740991, [1.5, NULL]),
 (2, -170141183460469231731687303715884105727, 0, -0.01, -0.000000001, 'Infinity', -3.4e38, '2024-03-10 02:30:00+05:30', '2024-02-29',
  '00:00:00', ''::BLOB, '[]', [], {'a': NULL, 'b': NULL}, false, '', -9007199254740991, []),
 (3, NULL, NULL, NULL, NULL, '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, 0, 1, 0, 0, 1e300, 1.5, '2024-11-03 01:30:00-08:00', '1999-12-31', '12:00:00.5', 'abc'::BLOB, '"str"', [NULL], {'a': 2, 'b': ''}, NULL, 'x', 0, NULL);
CREATE TABLE events (id BIGINT PRIMARY KEY, updated_at TIMESTAMPTZ NOT NULL, name VARCHAR);
INSERT INTO events SELECT i, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_hours(i), 'e' || i FROM range(1, 101) r(i);
CREATE SCHEMA sales;
CREATE TABLE sales.orders (region VARCHAR, num INTEGER, amount DECIMAL(10,2), PRIMARY KEY (region, num));
INSERT INTO sales.orders VALUES ('eu', 1, 1.10), ('eu', 2, 2.20), ('us', 1, 3.30);
CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders WHERE amount > 2;
`;

/** The catalog with the given streams selected, with metadata overrides per stream. */
function select(catalog: { streams: Stream[] }, streams: Record<string, Json>): { streams: Stream[] } {
  return {
    streams: catalog.streams.map((stream) => ({
      ...stream,
      metadata: stream.metadata.map((entry) =>
        entry.breadcrumb.length === 0 && stream.tap_stream_id in streams
          ? { ...entry, metadata: { ...entry.metadata, selected: true, 'replication-method': 'FULL_TABLE', ...streams[stream.tap_stream_id] } }
          : entry,
      ),
    })),
  };
}

const recordsOf = (messages: Json[], stream: string): Json[] => messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record as Json);

describe('tap-duckdb', () => {
  let dir: TempDir;
  let path: string;
  let catalog: { streams: Stream[] };
  const tap = async (selected: { streams: Stream[] }, state?: Json, source = path) => {
    const catalogPath = dir.file(`catalog-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(catalogPath, JSON.stringify(selected));
    const args = ['--catalog', catalogPath];
    if (state !== undefined) {
      const statePath = `${catalogPath}.state.json`;
      await writeFile(statePath, JSON.stringify(state));
      args.push('--state', statePath);
    }
    return runWithConfig(tapBin, { path: source }, { args });
  };

  beforeAll(async () => {
    dir = await tempDir('tap');
    path = dir.file('source.duckdb');
    await sql(path, ALL_TYPES);
    const run = await runWithConfig(tapBin, { path }, { args: ['--discover'] });
    expect(run.code, run.stderr).toBe(0);
    catalog = JSON.parse(run.stdout) as { streams: Stream[] };
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('discovers tables and views as <schema>-<table> with the metadata SQL taps write', () => {
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(['main-alltypes', 'main-events', 'sales-big_orders', 'sales-orders']);
    const root = (id: string) => catalog.streams.find((s) => s.tap_stream_id === id)!.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
    expect(root('sales-orders')).toMatchObject({
      'table-key-properties': ['region', 'num'], 'schema-name': 'sales', 'database-name': 'source', 'is-view': false, 'row-count': 3,
      'valid-replication-keys': ['num', 'amount'],
    });
    expect(root('sales-big_orders')).toMatchObject({ 'table-key-properties': [], 'is-view': true, 'schema-name': 'sales' });
    const orders = catalog.streams.find((s) => s.tap_stream_id === 'sales-orders')!;
    expect(orders.metadata.find((m) => m.breadcrumb[1] === 'amount')!.metadata).toMatchObject({ 'sql-datatype': 'DECIMAL(10,2)' });
    const all = catalog.streams.find((s) => s.tap_stream_id === 'main-alltypes')!.schema.properties as Record<string, Json>;
    expect(all.h).toEqual({ type: ['null', 'string'], format: 'singer.decimal', additionalProperties: { scale_precision: '(39,0)' } });
    expect(all.db).toEqual({ anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }, { type: 'null' }] });
    expect(all.ts).toEqual({ type: ['null', 'string'], format: 'date-time' });
    expect(all.b).toEqual({ type: ['null', 'string'], contentEncoding: 'base64' });
    expect(all.l).toEqual({ type: ['null', 'array'], items: { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 } });
  });

  it('FULL_TABLE emits every type faithfully: exact decimals and huge integers as text, zones, base64, JSON, lists, structs, NaN', async () => {
    const run = await tap(select(catalog, { 'main-alltypes': {} }));
    expect(run.code, run.stderr).toBe(0);
    const records = recordsOf(run.messages, 'main-alltypes');
    expect(records).toHaveLength(4);
    expect(records[0]).toEqual({
      id: 1, h: '170141183460469231731687303715884105727', u: '18446744073709551615', d: '12.34', dd: '99999999999999999999999999999.999999999',
      db: 'NaN', fl: 0.1, ts: '1850-06-15T10:30:00.123456+00:00', dt: '0001-01-01', tm: '23:59:59.999999', b: 'AP9hYg==', j: { a: [1, 2.5], b: null },
      l: [1, null, 3], s: { a: 1, b: 'x' }, bo: true, v: 'héllo "q"\n,😀', bi: 9007199254740991, ld: ['1.50', null],
    });
    expect(records[1]).toMatchObject({ db: 'Infinity', fl: -3.4e38, b: '', j: [], l: [], ld: [], v: '', d: '-0.01', ts: '2024-03-09T21:00:00.000000+00:00' });
    expect(records[2]).toMatchObject({ db: '-Infinity', l: null, j: null, s: null });
    expect(records[3]).toMatchObject({ db: 1e300, j: 'str', l: [null], tm: '12:00:00.5' });
  });

  it('round trip tap-duckdb | target-duckdb keeps every value exactly', async () => {
    const source = await tap(select(catalog, { 'main-alltypes': {}, 'sales-orders': {} }));
    expect(source.code, source.stderr).toBe(0);
    const destination = dir.file('roundtrip.duckdb');
    const load = await runWithConfig(targetBin, { path: destination }, { text: source.stdout });
    expect(load.code, load.stderr).toBe(0);
    expect(load.states.at(-1)).toEqual(source.states.at(-1));
    // Read the destination back with tap-duckdb itself: what a user of the loaded file sees.
    const discovered = await runWithConfig(tapBin, { path: destination }, { args: ['--discover'] });
    const back = await tap(select(JSON.parse(discovered.stdout) as { streams: Stream[] }, { 'main-main-alltypes': {}, 'main-sales-orders': {} }), undefined, destination);
    expect(back.code, back.stderr).toBe(0);
    const strip = (rows: Json[]) => rows.map(({ _sdc_table_version: _v, _sdc_deleted_at: _d, ...rest }) => rest);
    expect(strip(recordsOf(back.messages, 'main-main-alltypes'))).toEqual(recordsOf(source.messages, 'main-alltypes'));
    expect(strip(recordsOf(back.messages, 'main-sales-orders'))).toEqual(recordsOf(source.messages, 'sales-orders'));
  });

  it('INCREMENTAL reads from the bookmark up to the signpost; a second run picks up new and updated rows only', async () => {
    const incPath = dir.file('incremental.duckdb');
    await sql(incPath, `CREATE TABLE events (id BIGINT PRIMARY KEY, updated_at TIMESTAMPTZ NOT NULL, name VARCHAR);
      INSERT INTO events SELECT i, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_hours(i), 'e' || i FROM range(1, 6) r(i);`);
    const selected = select(catalog, { 'main-events': { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' } });
    const first = await tap(selected, undefined, incPath);
    expect(first.code, first.stderr).toBe(0);
    expect(recordsOf(first.messages, 'main-events').map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    const state = first.states.at(-1) as { bookmarks: Record<string, Json> };
    expect(state.bookmarks['main-events']).toEqual({ last_replication_method: 'INCREMENTAL', replication_key: 'updated_at', replication_key_value: '2024-01-01T05:00:00.000000+00:00' });
    const destination = dir.file('incremental-dest.duckdb');
    expect((await runWithConfig(targetBin, { path: destination }, { text: first.stdout })).code).toBe(0);

    await sql(incPath, `UPDATE events SET name = 'changed', updated_at = TIMESTAMPTZ '2024-01-02 00:00:00+00' WHERE id = 2;
      INSERT INTO events VALUES (6, TIMESTAMPTZ '2024-01-03 00:00:00+00', 'e6');`);
    const second = await tap(selected, state, incPath);
    expect(second.code, second.stderr).toBe(0);
    // >= the bookmark: the row at the bookmark's own value comes again (rows may share a key value).
    expect(recordsOf(second.messages, 'main-events').map((r) => r.id)).toEqual([5, 2, 6]);
    expect((second.states.at(-1) as { bookmarks: Record<string, Json> }).bookmarks['main-events']).toMatchObject({ replication_key_value: '2024-01-03T00:00:00.000000+00:00' });
    const load = await runWithConfig(targetBin, { path: destination }, { text: second.stdout });
    expect(load.code, load.stderr).toBe(0);
    expect(await readRows(destination, 'main-events', ['id', 'name'], { where: 'ORDER BY id' })).toEqual([
      { id: 1, name: 'e1' }, { id: 2, name: 'changed' }, { id: 3, name: 'e3' }, { id: 4, name: 'e4' }, { id: 5, name: 'e5' }, { id: 6, name: 'e6' },
    ]);
  });

  it('FULL_TABLE resumes after the last key of an interrupted run, with the same version', async () => {
    const selected = select(catalog, { 'sales-orders': {} });
    const run = await tap(selected, { bookmarks: { 'sales-orders': { version: 42, full_table_resume: { region: 'eu', num: '1' } } } });
    expect(run.code, run.stderr).toBe(0);
    const rows = run.messages.filter((m) => m.type === 'RECORD');
    expect(rows.map((m) => m.record)).toEqual([{ region: 'eu', num: 2, amount: '2.20' }, { region: 'us', num: 1, amount: '3.30' }]);
    expect(rows.every((m) => m.version === 42)).toBe(true);
  });

  it('a table larger than one range comes complete and in key order, however its rows are stored', async () => {
    // 120,000 rows: more than twice the 50,000-row ranges a large read is split into; inserted shuffled, so
    // the ranges' row groups overlap, and `grp` repeats 1,000 times per value (a replication key with ties).
    const bigPath = dir.file('big.duckdb');
    await sql(bigPath, `
      CREATE TABLE big (id INTEGER PRIMARY KEY, grp INTEGER NOT NULL, v VARCHAR);
      INSERT INTO big SELECT i, i // 1000, 'v' || i FROM range(120000) r(i) ORDER BY hash(i);
      CREATE TABLE nokey (n INTEGER);
      INSERT INTO nokey SELECT i FROM range(120000) r(i);`);
    const discovered = await runWithConfig(tapBin, { path: bigPath }, { args: ['--discover'] });
    const bigCatalog = JSON.parse(discovered.stdout) as { streams: Stream[] };
    const full = await tap(select(bigCatalog, { 'main-big': {}, 'main-nokey': {} }), undefined, bigPath);
    expect(full.code, full.stderr).toBe(0);
    const ids = recordsOf(full.messages, 'main-big').map((r) => r.id as number);
    expect(ids).toEqual(Array.from({ length: 120000 }, (_, i) => i));
    // Without a key: every row, in the order they were inserted.
    expect(recordsOf(full.messages, 'main-nokey').map((r) => r.n as number)).toEqual(Array.from({ length: 120000 }, (_, i) => i));

    const incremental = await tap(select(bigCatalog, { 'main-big': { 'replication-method': 'INCREMENTAL', 'replication-key': 'grp' } }), undefined, bigPath);
    expect(incremental.code, incremental.stderr).toBe(0);
    const rows = recordsOf(incremental.messages, 'main-big');
    expect(rows).toHaveLength(120000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(120000);
    expect(rows.every((r, i) => i === 0 || (r.grp as number) >= (rows[i - 1]!.grp as number))).toBe(true);
    expect((incremental.states.at(-1) as { bookmarks: Record<string, Json> }).bookmarks['main-big']).toMatchObject({ replication_key_value: 119 });
  }, 60_000);

  it('a table missing from the database is a discovery error, exit 4', async () => {
    const gone = structuredClone(select(catalog, { 'sales-orders': {} }));
    const stream = gone.streams.find((s) => s.tap_stream_id === 'sales-orders')!;
    stream.tap_stream_id = 'sales-vanished';
    (stream as unknown as Json).table_name = 'vanished';
    const run = await tap(gone);
    expect(run.code).toBe(4);
    expect(run.errLines.at(-1)).toMatch(/discovery error: stream "sales-vanished": table sales\.vanished does not exist/);
  });

  it('a database file locked by a writing process is one clear connection error naming the file, exit 5', async () => {
    const holder = await openDuckDB({ path }, new Logger({ program: 'test', level: 'silent' }));
    try {
      const run = await runWithConfig(tapBin, { path }, { args: ['--discover'] });
      expect(run.code).toBe(5);
      expect(run.stdout).toBe('');
      expect(run.errLines.at(-1)).toContain(`connection error: file ${path}: the DuckDB file ${path} is locked by another process`);
      expect(run.errLines.at(-1)).toContain('wait for PID');
    } finally {
      await holder.close();
    }
  });

  it('a missing database file is a configuration error naming it, exit 2', async () => {
    const missing = dir.file('nope.duckdb');
    const run = await runWithConfig(tapBin, { path: missing }, { args: ['--discover'] });
    expect(run.code).toBe(2);
    expect(run.errLines.at(-1)).toContain(`file ${missing}`);
    expect(run.errLines.at(-1)).toContain('Check `path` in the config');
  });

  it('a value that breaks its (edited) schema fails in the target as a data error naming stream, column and line', async () => {
    const edited = structuredClone(select(catalog, { 'sales-orders': {} }));
    const stream = edited.streams.find((s) => s.tap_stream_id === 'sales-orders')!;
    (stream.schema.properties as Record<string, Json>).region = { type: 'integer' };
    const source = await tap(edited);
    expect(source.code, source.stderr).toBe(0);
    const load = await runWithConfig(targetBin, { path: dir.file('bad.duckdb') }, { text: source.stdout });
    expect(load.code).toBe(6);
    expect(load.errLines.at(-1)).toMatch(/data error: line 3, stream "sales-orders", column "region": value "eu" must be integer/);
  });
});
