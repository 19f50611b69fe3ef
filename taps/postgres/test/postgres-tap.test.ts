import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestUrl } from '@tapline/conformance';
import { catalogWith, discover, openFixture, records, messages, runTap, type Fixture } from './postgres-fixture.js';

const url = postgresTestUrl();
const suite = url === undefined ? describe.skip : describe;

type Json = Record<string, unknown>;
const metadataOf = (stream: Json, breadcrumb: string[] = []): Json =>
  ((stream.metadata as { breadcrumb: string[]; metadata: Json }[]).find((e) => JSON.stringify(e.breadcrumb) === JSON.stringify(breadcrumb))?.metadata ?? {});

suite(url === undefined ? 'tap-postgres (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : 'tap-postgres discovery and types', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await openFixture(url as string);
    const s = fx.schema;
    await fx.sql(`CREATE TYPE ${s}.mood AS ENUM ('sad', 'ok', 'happy')`);
    await fx.sql(`CREATE TABLE ${s}.items (id serial PRIMARY KEY, name text NOT NULL, price numeric(10,2), updated_at timestamptz, created date, loc point)`);
    await fx.sql(`INSERT INTO ${s}.items (name, price, updated_at) SELECT 'item ' || g, g * 1.5, now() FROM generate_series(1, 10) g`);
    await fx.sql(`ANALYZE ${s}.items`);
    await fx.sql(`CREATE VIEW ${s}.cheap_items AS SELECT id, name, price FROM ${s}.items WHERE price < 5`);
    await fx.sql(`CREATE TABLE ${s}.types (
      id int PRIMARY KEY, c_smallint smallint, c_integer integer, c_bigint bigint, c_numeric numeric(40,12), c_numeric_plain numeric,
      c_real real, c_double double precision, c_bool boolean, c_text text, c_varchar varchar(10), c_char char(4), c_uuid uuid,
      c_date date, c_time time, c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz, c_interval interval,
      c_json json, c_jsonb jsonb, c_int_array int[], c_text_array text[], c_numeric_array numeric[], c_jsonb_array jsonb[],
      c_ts_array timestamptz[], c_float_array float8[], c_bytea bytea, c_enum ${s}.mood, c_inet inet, c_cidr cidr, c_macaddr macaddr,
      c_money money, c_bit bit(4), c_varbit varbit(8))`);
    await fx.sql(`INSERT INTO ${s}.types VALUES (1, -32768, 2147483647, 9223372036854775807, '12345678901234567890123456.123456789012',
      '-0.000000000000000000000000000001', 1.5, 0.1, true, E'h\u00e9llo "w\u00f6rld" \\\\ \n tab\t \u{1F600}', 'abc', 'ab',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1899-12-31', '23:59:59.999999', '12:34:56+05:30', '1850-03-04 12:00:00.123456',
      '1850-03-04 12:00:00+02', '1 year 2 mons 3 days 04:05:06.5', '{"b": [1, 2.50], "a": null}', '{"x": {"y": [true, null]}}',
      '{1,NULL,3}', '{}', '{1.10,NaN}', ARRAY['{"a": 1}'::jsonb], ARRAY['2024-01-01 00:00:00+00'::timestamptz], '{NaN,Infinity,-Infinity,0.5}',
      '\\x00ff0010', 'happy', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '1234.56', B'1010', B'101')`);
    await fx.sql(`INSERT INTO ${s}.types (id) VALUES (2)`);
    await fx.sql(`INSERT INTO ${s}.types (id, c_real, c_double, c_numeric_plain, c_bytea, c_text, c_int_array, c_bigint)
      VALUES (3, 'Infinity', 'NaN', 'NaN', decode(repeat('00ff', 50), 'hex'), '', '{}', -9007199254740993)`);
    await fx.sql(`INSERT INTO ${s}.types (id, c_real, c_double, c_numeric_plain, c_bytea) VALUES (4, '-Infinity', '-Infinity', 'Infinity', '')`);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('discovers tables and views with Singer metadata', async () => {
    const catalog = await discover(fx);
    const ids = catalog.streams.map((s) => s.tap_stream_id);
    expect(ids).toEqual([`${fx.schema}-cheap_items`, `${fx.schema}-items`, `${fx.schema}-types`]);
    const items = catalog.streams.find((s) => s.tap_stream_id === `${fx.schema}-items`) as Json;
    expect(items.key_properties).toEqual(['id']);
    expect(metadataOf(items)).toEqual({
      inclusion: 'available',
      'table-key-properties': ['id'],
      'schema-name': fx.schema,
      'database-name': 'tapline_tap_test',
      'is-view': false,
      'row-count': 10,
      'selected-by-default': false,
      'valid-replication-keys': ['id', 'price', 'updated_at', 'created'],
    });
    expect(metadataOf(items, ['properties', 'id'])).toEqual({ inclusion: 'automatic', 'sql-datatype': 'integer' });
    expect(metadataOf(items, ['properties', 'price'])).toEqual({ inclusion: 'available', 'sql-datatype': 'numeric(10,2)' });
    expect(metadataOf(items, ['properties', 'loc'])).toEqual({ inclusion: 'unsupported', 'sql-datatype': 'point' });
    expect((items.schema as Json).properties).toMatchObject({
      id: { type: 'integer' },
      name: { type: 'string' },
      price: { type: ['null', 'string'], format: 'singer.decimal' },
      updated_at: { type: ['null', 'string'], format: 'date-time' },
      created: { type: ['null', 'string'], format: 'date' },
    });
    const view = catalog.streams.find((s) => s.tap_stream_id === `${fx.schema}-cheap_items`) as Json;
    expect(view.key_properties).toEqual([]);
    expect(metadataOf(view)).toMatchObject({ 'is-view': true, 'table-key-properties': [], 'schema-name': fx.schema });
    expect(metadataOf(view)['row-count']).toBeUndefined();
    // Filters: by table name and by schema.table glob.
    const filtered = await discover(fx, { filter_tables: ['item?'] });
    expect(filtered.streams.map((s) => s.tap_stream_id)).toEqual([`${fx.schema}-items`]);
    const none = await discover(fx, { filter_tables: ['other.*'] });
    expect(none.streams).toEqual([]);
  });

  it('emits every type exactly, NULLs, NaN, infinities and empty arrays included', async () => {
    const id = `${fx.schema}-types`;
    const run = await runTap(fx, { catalog: await catalogWith(fx, { [id]: {} }) });
    expect(run.code, run.stderr).toBe(0);
    const rows = records(run, id);
    expect(rows).toHaveLength(4);
    // Integers beyond 2^53 are written as exact JSON integers: check the text, JSON.parse would round them.
    expect(run.stdout).toContain('"c_bigint":9223372036854775807,');
    expect(run.stdout).toContain('"c_bigint":-9007199254740993,');
    const { c_bigint: _b1, ...first } = rows[0] as Json;
    expect(first).toEqual({
      id: 1,
      c_smallint: -32768,
      c_integer: 2147483647,
      c_numeric: '12345678901234567890123456.123456789012',
      c_numeric_plain: '-0.000000000000000000000000000001',
      c_real: 1.5,
      c_double: 0.1,
      c_bool: true,
      c_text: 'h\u00e9llo "w\u00f6rld" \\ \n tab\t \u{1F600}',
      c_varchar: 'abc',
      c_char: 'ab  ',
      c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      c_date: '1899-12-31',
      c_time: '23:59:59.999999',
      c_timetz: '12:34:56+05:30',
      c_timestamp: '1850-03-04T12:00:00.123456',
      c_timestamptz: '1850-03-04T10:00:00+00:00',
      c_interval: 'P1Y2M3DT4H5M6.5S',
      c_json: { b: [1, 2.5], a: null },
      c_jsonb: { x: { y: [true, null] } },
      c_int_array: [1, null, 3],
      c_text_array: [],
      c_numeric_array: ['1.10', 'NaN'],
      c_jsonb_array: [{ a: 1 }],
      c_ts_array: ['2024-01-01T00:00:00+00:00'],
      c_float_array: ['NaN', 'Infinity', '-Infinity', 0.5],
      c_bytea: Buffer.from([0, 255, 0, 16]).toString('base64'),
      c_enum: 'happy',
      c_inet: '192.168.0.1/24',
      c_cidr: '10.0.0.0/8',
      c_macaddr: '08:00:2b:01:02:03',
      c_money: '1234.56',
      c_bit: '1010',
      c_varbit: '101',
    });
    // json keeps its text (2.50), jsonb is normalized by the server.
    expect(run.stdout).toContain('"c_json":{"b": [1, 2.50], "a": null}');
    const second = rows[1] as Json;
    expect(Object.keys(second)).toEqual(Object.keys(rows[0] as Json));
    for (const [key, value] of Object.entries(second)) expect(value, key).toBe(key === 'id' ? 2 : null);
    expect(rows[2]).toMatchObject({ c_real: 'Infinity', c_double: 'NaN', c_numeric_plain: 'NaN', c_text: '', c_int_array: [],
      c_bytea: Buffer.from('00ff'.repeat(50), 'hex').toString('base64') });
    expect(rows[3]).toMatchObject({ c_real: '-Infinity', c_double: '-Infinity', c_numeric_plain: 'Infinity', c_bytea: '' });
    const schema = (messages(run, 'SCHEMA')[0]?.schema as Json).properties as Record<string, Json>;
    expect(schema.c_double).toEqual({ anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }, { type: 'null' }] });
    expect(schema.c_enum).toEqual({ type: ['null', 'string'], enum: ['sad', 'ok', 'happy', null] });
    expect(schema.c_bytea).toEqual({ type: ['null', 'string'], contentEncoding: 'base64' });
    expect(schema.c_int_array).toEqual({ type: ['null', 'array'], items: { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 } });
    expect(schema.c_varchar).toEqual({ type: ['null', 'string'], maxLength: 10 });
  });
});
