/**
 * The tap builds each record's JSON itself from COPY text (see src/postgres-copy.ts). This test holds it to
 * the server's own rendering: for every type and for text full of characters that need escaping, each
 * record must equal `row_to_json` of the same row, value by value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestUrl } from '@tapline/conformance';
import { catalogWith, openFixture, records, runTap, type Fixture } from './postgres-fixture.js';

const url = postgresTestUrl();
const suite = url === undefined ? describe.skip : describe;

suite(url === undefined ? 'tap-postgres record JSON (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : 'tap-postgres record JSON equals row_to_json', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await openFixture(url as string);
    const s = fx.schema;
    await fx.sql(`CREATE TYPE ${s}.mood AS ENUM ('sad', 'o"k', 'happy')`);
    await fx.sql(`CREATE TABLE ${s}.wide (
      id bigint PRIMARY KEY, c_smallint smallint, c_integer integer, c_numeric numeric(20,5), c_real real, c_double double precision,
      c_bool boolean, c_text text, c_char char(6), c_uuid uuid, c_date date, c_time time, c_timetz timetz, c_timestamp timestamp,
      c_timestamptz timestamptz, c_interval interval, c_json json, c_jsonb jsonb, c_text_array text[], c_bytea bytea,
      c_enum ${s}.mood, c_inet inet, c_money money, c_bit bit(3), "we""ird name" text, "tab\tname" int)`);
    // Every control character, quotes and backslashes, non-ASCII text; json whose whitespace has newlines and tabs.
    await fx.sql(`INSERT INTO ${s}.wide VALUES (1, -5, 7, '-12345.6789', 'NaN', '-Infinity', false,
      'q"uote \\\\ back' || chr(9) || 'tab' || chr(10) || 'nl' || chr(13) || 'cr' || chr(8) || chr(12) || chr(11) || chr(1) || chr(31) || chr(127) || ' h\u00e9 \u{1F600}',
      'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '0044-03-15 BC', '24:00:00', '01:02:03-07', '294276-12-31 23:59:59.999999',
      'infinity', '-1 days +02:03:04.5', E'{\\n\\t"a" : [1, 2.50e3, "x\\\\"y"],\\r\\n "b": "\\\\u00e9\\\\n"}', '{"k": "v\\\\tw", "n": 1.50}',
      ARRAY['a,b', NULL, 'c"d', E'e\\\\f', ''], '\\x00ff', 'o"k', '::1', '-12.34', B'101', 'x', 3)`);
    await fx.sql(`INSERT INTO ${s}.wide (id) VALUES (2)`);
    await fx.sql(`INSERT INTO ${s}.wide (id, c_real, c_double, c_text, c_timestamptz) VALUES (3, 'Infinity', 1e-300, '', '2020-01-01 00:00:00.5+05:30')`);
    // Timestamps at the edges: BC, infinities, five-digit years, a historical offset with seconds.
    await fx.sql(`INSERT INTO ${s}.wide (id, c_date, c_timestamp, c_timestamptz) VALUES
      (4, '-infinity', '0044-03-15 10:11:12.000001 BC', '0044-03-15 00:00:00+00 BC'),
      (5, '10000-01-01', 'infinity', '-infinity'),
      (6, '2000-02-29', '10000-01-01 00:00:00', '1850-03-04 12:00:00 Europe/Amsterdam'),
      (7, NULL, '-infinity', '2020-06-30 23:59:59.999999-07:30')`);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('renders every row as the server does', async () => {
    const id = `${fx.schema}-wide`;
    const run = await runTap(fx, { catalog: await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } }) });
    expect(run.code, run.stderr).toBe(0);
    const got = records(run, id);
    // The same renderings the tap documents: numeric and money as decimal text, bytea as base64; its session settings.
    await fx.sql("SET IntervalStyle = 'iso_8601'; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET extra_float_digits = 3");
    const { rows } = await fx.sql(`SELECT row_to_json(t)::text AS json FROM (SELECT id, c_smallint, c_integer, c_numeric::text AS c_numeric,
      c_real, c_double, c_bool, c_text, c_char, c_uuid, c_date, c_time, c_timetz, c_timestamp, c_timestamptz, c_interval, c_json, c_jsonb,
      c_text_array, translate(encode(c_bytea, 'base64'), E'\\n', '') AS c_bytea, c_enum, c_inet, c_money::numeric::text AS c_money, c_bit,
      "we""ird name", "tab\tname" FROM ${fx.schema}.wide ORDER BY id) t`);
    const expected = rows.map((row: { json: string }) => JSON.parse(row.json) as unknown);
    expect(got).toEqual(expected);
    expect(got).toHaveLength(7);
    // Spot checks of what a user reads: the text survives every escape, json keeps its numbers as written.
    expect((got[0] as Record<string, unknown>).c_text).toBe(`q"uote \\\\ back\ttab\nnl\rcr\b\f\v\u0001\u001f\u007f h\u00e9 \u{1F600}`);
    expect((got[0] as Record<string, unknown>).c_real).toBe('NaN');
    expect(run.stdout.split('\n').every((line) => line === '' || JSON.parse(line) !== undefined)).toBe(true);
  });
});
