/**
 * Every type tap-postgres reads, through `tap-postgres | target-postgres` and back: the destination table
 * is read again by tap-postgres and compared with the source value by value. The differences allowed are
 * the ones targets/postgres/README.md documents, and the test checks they are exactly those: a timetz
 * loses its zone (`time` column), a timestamp without zone is taken as UTC (timestamptz column, so it
 * comes back with `+00:00`), json text is stored as jsonb (compared as documents).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestUrl } from '@tapline/conformance';
import { catalogWith, openFixture, records, runTap, type Fixture } from './postgres-fixture.js';

const execFileAsync = promisify(execFile);
const url = postgresTestUrl();
const suite = url === undefined ? describe.skip : describe;
const targetBin = fileURLToPath(new URL('../../../targets/postgres/bin/target-postgres.js', import.meta.url));
const tapBin = fileURLToPath(new URL('../bin/tap-postgres.js', import.meta.url));

type Json = Record<string, unknown>;

suite(url === undefined ? 'postgres round trip (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : 'tap-postgres | target-postgres round trip of every type', () => {
  let fx: Fixture;
  let out: string;
  beforeAll(async () => {
    fx = await openFixture(url as string);
    const s = fx.schema;
    out = `${s}_out`;
    await fx.sql(`CREATE TYPE ${s}.mood AS ENUM ('sad', 'ok', 'happy')`);
    await fx.sql(`CREATE TABLE ${s}.types (
      id int PRIMARY KEY, c_smallint smallint, c_integer integer, c_bigint bigint, c_numeric numeric(38,9), c_numeric_plain numeric,
      c_real real, c_double double precision, c_bool boolean, c_text text, c_varchar varchar(10), c_char char(4), c_uuid uuid,
      c_date date, c_time time, c_timetz timetz, c_timestamp timestamp, c_timestamptz timestamptz, c_interval interval,
      c_json json, c_jsonb jsonb, c_int_array int[], c_text_array text[], c_numeric_array numeric[], c_float_array float8[],
      c_bytea bytea, c_enum ${s}.mood, c_inet inet, c_cidr cidr, c_macaddr macaddr, c_money money, c_bit bit(4), c_varbit varbit(8))`);
    await fx.sql(`INSERT INTO ${s}.types VALUES (1, -32768, 2147483647, 9007199254740991, '12345678901234567890123456789.123456789',
      '-0.000000000000000000000000000001', 1.5, 0.1, true, E'h\\u00e9llo "w\\u00f6rld" \\\\ \\n tab\\t \\U0001F600', 'abc', 'ab',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1899-12-31', '23:59:59.999999', '12:34:56+05:30', '1850-03-04 12:00:00.123456',
      '1850-03-04 12:00:00+02', '1 year 2 mons 3 days 04:05:06.5', '{"b": [1, 2.50], "a": null}', '{"x": {"y": [true, null]}}',
      '{1,NULL,3}', '{}', '{1.10,NaN}', '{NaN,Infinity,-Infinity,0.5}',
      '\\x00ff0010', 'happy', '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '1234.56', B'1010', B'101')`);
    await fx.sql(`INSERT INTO ${s}.types (id) VALUES (2)`);
    await fx.sql(`INSERT INTO ${s}.types (id, c_real, c_double, c_numeric_plain, c_bytea, c_text, c_int_array, c_bigint, c_numeric)
      VALUES (3, 'Infinity', 'NaN', 'NaN', decode(repeat('00ff', 50), 'hex'), '', '{}', -9007199254740991, '-99999999999999999999999999999.999999999')`);
    await fx.sql(`INSERT INTO ${s}.types (id, c_real, c_double, c_numeric_plain, c_bytea) VALUES (4, '-Infinity', '-Infinity', 'Infinity', '')`);
  });
  afterAll(async () => {
    await fx?.sql(`DROP SCHEMA IF EXISTS ${out} CASCADE`);
    await fx?.cleanup();
  });

  it('loads every value, and reading the destination back gives the source values', async () => {
    const sourceId = `${fx.schema}-types`;
    const catalog = await fx.file('source-catalog.json', await catalogWith(fx, { [sourceId]: { 'replication-method': 'FULL_TABLE' } }));
    const tapConfig = await fx.file('source-config.json', fx.config);
    const targetConfig = await fx.file('target-config.json', { ...fx.config, filter_schemas: undefined, default_target_schema: out });
    const pipe = `node ${tapBin} --config ${tapConfig} --catalog ${catalog} | node ${targetBin} --config ${targetConfig}`;
    const { stdout } = await execFileAsync('bash', ['-o', 'pipefail', '-c', pipe], { maxBuffer: 64 * 1024 * 1024 });
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^\{"type":"STATE"/);

    const source = records(await runTap(fx, { catalog: await catalogWith(fx, { [sourceId]: {} }), name: 'source' }), sourceId);
    // The table is named after the stream (tap-postgres names it <schema>-<table>), in the target's schema.
    const destinationId = `${out}-${sourceId}`;
    const destinationCatalog = await catalogWith({ ...fx, config: { ...fx.config, filter_schemas: [out] } }, { [destinationId]: {} });
    const backRun = await runTap({ ...fx, config: { ...fx.config, filter_schemas: [out] } }, { catalog: destinationCatalog, name: 'back' });
    const back = records(backRun, destinationId);
    expect(back.length, `${JSON.stringify((destinationCatalog as { streams: Json[] }).streams.map((stream) => stream.tap_stream_id))} ${backRun.stderr}`).toBe(source.length);

    const types = await fx.sql(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND column_name IN ('c_bigint', 'c_numeric', 'c_double', 'c_real', 'c_timestamptz', 'c_jsonb', 'c_int_array', 'c_date') ORDER BY column_name`,
      [out],
    );
    expect(Object.fromEntries(types.rows.map((row: Json) => [row.column_name, row.data_type]))).toEqual({
      c_bigint: 'bigint',
      c_date: 'date',
      c_double: 'double precision',
      c_int_array: 'jsonb',
      c_jsonb: 'jsonb',
      c_numeric: 'numeric',
      c_real: 'double precision',
      c_timestamptz: 'timestamp with time zone',
    });

    const byId = (rows: Json[]) => [...rows].sort((a, b) => Number(a.id) - Number(b.id));
    const [src, dst] = [byId(source), byId(back)];
    for (let i = 0; i < src.length; i += 1) {
      const a = { ...src[i]! };
      const b = { ...dst[i]! };
      // Documented: a timetz column becomes time (the zone is dropped) ...
      if (a.c_timetz !== null) expect(b.c_timetz).toBe(String(a.c_timetz).replace(/[+-]\d{2}(:\d{2})?$/, ''));
      // ... and a timestamp without zone is taken as UTC: the same wall clock, now with +00:00.
      if (a.c_timestamp !== null) expect(b.c_timestamp).toBe(`${String(a.c_timestamp)}+00:00`);
      delete a.c_timetz;
      delete b.c_timetz;
      delete a.c_timestamp;
      delete b.c_timestamp;
      // The target keeps the table version (ACTIVATE_VERSION) in its own columns.
      expect(typeof b._sdc_table_version).toBe('number');
      delete b._sdc_table_version;
      delete b._sdc_deleted_at;
      // Everything else comes back as it went: exact decimals, NaN and infinities, bytea, arrays, json.
      expect(b, `row ${String(a.id)}`).toEqual(a);
    }
  });
});
