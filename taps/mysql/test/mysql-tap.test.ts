import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlTestUrl } from '@tapline/conformance';
import { catalogWith, discover, openFixture, records, runTap, type Fixture } from './mysql-fixture.js';

const url = mysqlTestUrl();
const suite = url === undefined ? describe.skip : describe;

type Json = Record<string, unknown>;
const metadataOf = (stream: Json, breadcrumb: string[] = []): Json =>
  ((stream.metadata as { breadcrumb: string[]; metadata: Json }[]).find((e) => JSON.stringify(e.breadcrumb) === JSON.stringify(breadcrumb))?.metadata ?? {});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

suite(url === undefined ? 'tap-mysql (SKIPPED: set TAPLINE_TEST_MYSQL_URL)' : 'tap-mysql discovery and types', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await openFixture(url as string);
    await fx.sql(`CREATE TABLE items (id int PRIMARY KEY, name varchar(40) NOT NULL, price decimal(10,2), updated_at datetime, created date, loc point)`);
    await fx.sql(`INSERT INTO items (id, name, price, updated_at) VALUES (1, 'a', 1.50, '2024-01-01 00:00:00'), (2, 'b', 3.00, '2024-01-02 00:00:00')`);
    await fx.sql(`CREATE VIEW cheap_items AS SELECT id, name, price FROM items WHERE price < 5`);
    await fx.sql(`CREATE TABLE types (id int PRIMARY KEY, c_bool tinyint(1), c_tiny tinyint, c_small smallint unsigned, c_big bigint,
      c_ubig bigint unsigned, c_dec decimal(40,12), c_float float, c_double double, c_bit bit(5), c_char char(4), c_varchar varchar(10),
      c_text mediumtext, c_enum enum('a','b''q','c'), c_set set('x','y','z'), c_date date, c_dt datetime(6), c_ts timestamp(6) NULL,
      c_time time(6), c_year year, c_json json, c_bin binary(4), c_varbin varbinary(10), c_blob longblob)`);
    await fx.sql(`INSERT INTO types VALUES (1, 1, -128, 65535, -9223372036854775808, 18446744073709551615,
      '-1234567890123456789012345678.123456789012', 1.5, 0.1, b'00101', 'ab', 'héllo', 'line\\nbreak "q" \\\\ tab\\t😀', 'b''q', 'x,z',
      '1000-01-01', '1850-03-04 12:00:00.123456', '2038-01-19 03:14:07.5', '-838:59:59', 2024,
      '{"b": [1, 2.50],\\n "a": null, "big": 12345678901234567890}', 0x00ff0010, 0x0102, 0x616263)`);
    await fx.sql(`INSERT INTO types (id) VALUES (2)`);
    await fx.sql(`INSERT INTO types (id, c_bool, c_set, c_text, c_json, c_ubig, c_dec) VALUES (3, 5, '', '', '"str"', 9007199254740993, '0.000000000001')`);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('discovers tables and views with Singer metadata; stream ids are <database>-<table>', async () => {
    const catalog = await discover(fx);
    const ids = catalog.streams.map((s) => s.tap_stream_id);
    expect(ids).toEqual([`${fx.database}-cheap_items`, `${fx.database}-items`, `${fx.database}-types`]);
    const items = catalog.streams.find((s) => s.tap_stream_id === `${fx.database}-items`) as Json;
    expect(items.key_properties).toEqual(['id']);
    expect(metadataOf(items)).toMatchObject({
      inclusion: 'available',
      'table-key-properties': ['id'],
      'schema-name': fx.database,
      'database-name': fx.database,
      'is-view': false,
      'selected-by-default': false,
      'valid-replication-keys': ['id', 'price', 'updated_at', 'created'],
    });
    expect(typeof metadataOf(items)['row-count']).toBe('number');
    expect(metadataOf(items, ['properties', 'id'])).toEqual({ inclusion: 'automatic', 'sql-datatype': 'int(11)' });
    expect(metadataOf(items, ['properties', 'price'])).toEqual({ inclusion: 'available', 'sql-datatype': 'decimal(10,2)' });
    expect(metadataOf(items, ['properties', 'loc'])).toEqual({ inclusion: 'unsupported', 'sql-datatype': 'point' });
    expect((items.schema as Json).properties).toMatchObject({
      id: { type: 'integer' },
      name: { type: 'string', maxLength: 40 },
      price: { type: ['null', 'string'], format: 'singer.decimal' },
      updated_at: { type: ['null', 'string'], format: 'date-time' },
      created: { type: ['null', 'string'], format: 'date' },
    });
    const view = catalog.streams.find((s) => s.tap_stream_id === `${fx.database}-cheap_items`) as Json;
    expect(view.key_properties).toEqual([]);
    expect(metadataOf(view)).toMatchObject({ 'is-view': true, 'table-key-properties': [] });
    const filtered = await discover(fx, { filter_tables: ['item?'] });
    expect(filtered.streams.map((s) => s.tap_stream_id)).toEqual([`${fx.database}-items`]);
  });

  it('maps every type faithfully: exact decimals and unsigned BIGINT, sets as arrays, JSON as documents, binary as base64', async () => {
    const id = `${fx.database}-types`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } });
    const stream = (catalog.streams as Json[]).find((s) => s.tap_stream_id === id) as Json;
    expect((stream.schema as Json).properties).toEqual({
      id: { type: 'integer', minimum: -2147483648, maximum: 2147483647 },
      c_bool: { type: ['null', 'boolean'] },
      c_tiny: { type: ['null', 'integer'], minimum: -128, maximum: 127 },
      c_small: { type: ['null', 'integer'], minimum: 0, maximum: 65535 },
      c_big: { type: ['null', 'integer'] },
      c_ubig: { type: ['null', 'integer'], minimum: 0 },
      c_dec: { type: ['null', 'string'], format: 'singer.decimal' },
      c_float: { type: ['null', 'number'] },
      c_double: { type: ['null', 'number'] },
      c_bit: { type: ['null', 'string'], pattern: '^[01]{5}$' },
      c_char: { type: ['null', 'string'], maxLength: 4 },
      c_varchar: { type: ['null', 'string'], maxLength: 10 },
      c_text: { type: ['null', 'string'] },
      c_enum: { type: ['null', 'string'], enum: ['a', "b'q", 'c', null] },
      c_set: { type: ['null', 'array'], items: { type: 'string', enum: ['x', 'y', 'z'] } },
      c_date: { type: ['null', 'string'], format: 'date' },
      c_dt: { type: ['null', 'string'], format: 'date-time' },
      c_ts: { type: ['null', 'string'], format: 'date-time' },
      c_time: { type: ['null', 'string'], format: 'time' },
      c_year: { type: ['null', 'integer'], minimum: 1901, maximum: 2155 },
      c_json: { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] },
      c_bin: { type: ['null', 'string'], contentEncoding: 'base64' },
      c_varbin: { type: ['null', 'string'], contentEncoding: 'base64' },
      c_blob: { type: ['null', 'string'], contentEncoding: 'base64' },
    });
    const run = await runTap(fx, { catalog });
    expect(run.code, run.stderr).toBe(0);
    // Integers beyond 2^53 are checked on the raw line: JSON.parse in the test would round them.
    expect(run.stdout).toContain('"c_big":-9223372036854775808,"c_ubig":18446744073709551615,');
    expect(run.stdout).toContain('"c_ubig":9007199254740993,');
    // A stored line break is JSON whitespace: it becomes a space, so the record stays one line.
    expect(run.stdout).toContain('"c_json":{"b": [1, 2.50],  "a": null, "big": 12345678901234567890}');
    const rows = records(run, id);
    expect(rows[0]).toMatchObject({
      id: 1,
      c_bool: true,
      c_tiny: -128,
      c_small: 65535,
      c_dec: '-1234567890123456789012345678.123456789012',
      c_float: 1.5,
      c_double: 0.1,
      c_bit: '00101',
      c_char: 'ab',
      c_varchar: 'héllo',
      c_text: 'line\nbreak "q" \\ tab\t😀',
      c_enum: "b'q",
      c_set: ['x', 'z'],
      c_date: '1000-01-01',
      c_dt: '1850-03-04T12:00:00.123456',
      c_ts: '2038-01-19T03:14:07.5+00:00',
      c_time: '-838:59:59',
      c_year: 2024,
      c_bin: 'AP8AEA==',
      c_varbin: 'AQI=',
      c_blob: 'YWJj',
    });
    expect(rows[1]).toEqual(Object.fromEntries(Object.keys(rows[0]!).map((key) => [key, key === 'id' ? 2 : null])));
    expect(rows[2]).toMatchObject({ id: 3, c_bool: true, c_set: [], c_text: '', c_json: 'str', c_dec: '0.000000000001' });
  });

  it('tinyint1_as_boolean: false reads TINYINT(1) as integers', async () => {
    const id = `${fx.database}-types`;
    const config = { tinyint1_as_boolean: false };
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } }, config);
    const run = await runTap(fx, { catalog, config });
    expect(run.code, run.stderr).toBe(0);
    expect(records(run, id).map((row) => row.c_bool)).toEqual([1, null, 5]);
  });

  it('a selected table that no longer exists fails before any record, naming the stream', async () => {
    await fx.sql('CREATE TABLE doomed (id int PRIMARY KEY)');
    const id = `${fx.database}-doomed`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } });
    await fx.sql('DROP TABLE doomed');
    const run = await runTap(fx, { catalog });
    expect(run.code).not.toBe(0);
    expect(run.errLines.at(-1)).toMatch(new RegExp(`stream "${id}".*table ${fx.database}\\.doomed does not exist.*--discover`));
    expect(records(run)).toEqual([]);
  });

  it('an unreachable server is a connection error naming what to check', async () => {
    const run = await runTap(fx, { config: { host: '127.0.0.1', port: await closedPort(), connect_timeout_seconds: 5 }, name: 'unreachable', catalog: { streams: [] } });
    expect(run.code).not.toBe(0);
    expect(run.errLines.at(-1)).toMatch(/cannot reach the MySQL server.*ECONNREFUSED.*Check host, port/);
  });

  it('a wrong password is a connection error that never prints the password', async () => {
    const user = `tapline_auth_${process.pid}`;
    await fx.sql(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-password-1'`);
    try {
      const wrong = 'not-the-right-password-42';
      const run = await runTap(fx, { config: { user, password: wrong }, name: 'auth', catalog: { streams: [] } });
      expect(run.code).not.toBe(0);
      expect(run.errLines.at(-1)).toMatch(new RegExp(`MySQL refused the login: Access denied for user '${user}'.*Check user and password`));
      expect(run.stderr).not.toContain(wrong);
    } finally {
      await fx.sql(`DROP USER '${user}'@'%'`);
    }
  });
});
