/**
 * Values through whole pipelines, compared exactly: MySQL -> MySQL, MySQL -> PostgreSQL, and
 * PostgreSQL -> MySQL -> PostgreSQL. The lossy pairs the READMEs document are asserted as such: they
 * lose what the documentation says (an explicit +00:00, trailing zeros), and nothing else.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareDecimals } from '@tapline/protocol';
import { mysqlTestUrl, postgresTestUrl, runProgram, sameValue } from '@tapline/conformance';
import { connectionConfig, openFixture, type Fixture } from './mysql-fixture.js';

const mysqlUrl = mysqlTestUrl();
const postgresUrl = postgresTestUrl();
const bins = {
  tapMysql: fileURLToPath(new URL('../bin/tap-mysql.js', import.meta.url)),
  targetMysql: fileURLToPath(new URL('../../../targets/mysql/bin/target-mysql.js', import.meta.url)),
  tapPostgres: fileURLToPath(new URL('../../postgres/bin/tap-postgres.js', import.meta.url)),
  targetPostgres: fileURLToPath(new URL('../../../targets/postgres/bin/target-postgres.js', import.meta.url)),
};
type Json = Record<string, unknown>;

let dir: string;
let step = 0;

/** Run a program with a config (and catalog, and stdin file); returns the path of its stdout. */
async function run(bin: string, config: Json, options: { catalog?: Json; stdin?: string } = {}): Promise<string> {
  step += 1;
  const configPath = join(dir, `config-${step}.json`);
  await writeFile(configPath, JSON.stringify(config));
  const args = ['--config', configPath];
  if (options.catalog !== undefined) {
    const catalogPath = join(dir, `catalog-${step}.json`);
    await writeFile(catalogPath, JSON.stringify(options.catalog));
    args.push('--catalog', catalogPath);
  }
  const result = await runProgram(bin, { args, ...(options.stdin === undefined ? {} : { stdinFile: options.stdin }), timeoutMs: 120_000 });
  expect(result.code, `${bin}: ${result.stderr}`).toBe(0);
  const out = join(dir, `out-${step}.jsonl`);
  await writeFile(out, result.stdout);
  return out;
}

/** Discover with a tap and select every stream (FULL_TABLE). */
async function selectAll(bin: string, config: Json): Promise<Json> {
  step += 1;
  const configPath = join(dir, `discover-${step}.json`);
  await writeFile(configPath, JSON.stringify(config));
  const result = await runProgram(bin, { args: ['--config', configPath, '--discover'], timeoutMs: 60_000 });
  expect(result.code, result.stderr).toBe(0);
  const catalog = JSON.parse(result.stdout) as { streams: Json[] };
  for (const stream of catalog.streams) {
    const top = (stream.metadata as { breadcrumb: string[]; metadata: Json }[]).find((entry) => entry.breadcrumb.length === 0)!;
    Object.assign(top.metadata, { selected: true, 'replication-method': 'FULL_TABLE' });
  }
  return catalog;
}

async function recordsOf(path: string): Promise<Json[]> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line.startsWith('{"type":"RECORD"'))
    .map((line) => (JSON.parse(line) as { record: Json }).record)
    .sort((a, b) => Number(a.id) - Number(b.id));
}

/** Every field the same value (decimals exactly, instants with their sub-seconds), except the fields named. */
function expectSameRecords(actual: Json[], expected: Json[], except: string[] = []): void {
  expect(actual.map((row) => Number(row.id))).toEqual(expected.map((row) => Number(row.id)));
  const problems: string[] = [];
  expected.forEach((row, i) => {
    for (const [key, value] of Object.entries(row)) {
      if (except.includes(key)) continue;
      if (!sameValue(value, actual[i]![key])) problems.push(`id ${String(row.id)} ${key}: expected ${JSON.stringify(value)}, found ${JSON.stringify(actual[i]![key])}`);
    }
  });
  expect(problems).toEqual([]);
}

const suite = mysqlUrl === undefined ? describe.skip : describe;

suite(mysqlUrl === undefined ? 'round trips (SKIPPED: set TAPLINE_TEST_MYSQL_URL)' : 'round trips through tap-mysql and target-mysql', () => {
  let source: Fixture;
  let destination: Fixture;
  let sourceRecords: Json[];
  let sourceOutput: string;
  beforeAll(async () => {
    // Instants without an offset are UTC in every program here; make the comparison read them the same way.
    process.env.TZ = 'UTC';
    dir = await mkdtemp(join(tmpdir(), 'mysql-round-trip-'));
    source = await openFixture(mysqlUrl!, 'rtsrc');
    destination = await openFixture(mysqlUrl!, 'rtdst');
    await source.sql(`CREATE TABLE rt (id int PRIMARY KEY, c_bool tinyint(1), c_tiny tinyint, c_ubig bigint unsigned, c_big bigint,
      c_dec decimal(40,12), c_double double, c_float float, c_bit bit(5), c_char char(4), c_text text, c_enum enum('a','b''q'),
      c_set set('x','y','z'), c_date date, c_dt datetime(6), c_ts timestamp(6) NULL, c_time time(6), c_year year, c_json json, c_blob blob)`);
    await source.sql(`INSERT INTO rt VALUES
      (1, 1, -128, 9007199254740991, -9007199254740991, '-1234567890123456789012345678.123456789012', 0.1, 1.5, b'00101', 'ab',
       'line\\nbreak "q" \\\\ tab\\t😀', 'b''q', 'x,z', '1000-01-01', '1850-03-04 12:00:00.123456', '2038-01-19 03:14:07.5', '23:59:59.999999',
       2024, '{"b": [1, 2.50], "a": null, "s": "é"}', 0x00ff0010),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (3, 0, 127, 0, 0, '0.000000000001', -1.7976931348623157e308, -0.5, b'0', '', '', 'a', '', '9999-12-31', '9999-12-31 23:59:59.999999',
       '1970-01-01 00:00:01', '00:00:00', 1901, '[]', '')`);
    const config = { ...connectionConfig(mysqlUrl!), database: source.database };
    sourceOutput = await run(bins.tapMysql, config, { catalog: await selectAll(bins.tapMysql, config) });
    sourceRecords = await recordsOf(sourceOutput);
    expect(sourceRecords).toHaveLength(3);
  });
  afterAll(async () => {
    await source?.cleanup();
    await destination?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('MySQL -> MySQL: every value the same; TIMESTAMP lands in DATETIME(6) as the UTC wall clock without its +00:00', async () => {
    const target = { ...connectionConfig(mysqlUrl!), database: destination.database };
    await run(bins.targetMysql, target, { stdin: sourceOutput });
    const config = { ...connectionConfig(mysqlUrl!), database: destination.database };
    const copied = await recordsOf(await run(bins.tapMysql, config, { catalog: await selectAll(bins.tapMysql, config) }));
    expectSameRecords(copied, sourceRecords);
    // The documented lossy pair, exactly: the offset notation goes, the digits stay.
    expect(copied.map((row) => row.c_ts)).toEqual(sourceRecords.map((row) => (row.c_ts === null ? null : String(row.c_ts).replace(/\+00:00$/, ''))));
    // DECIMAL(40,12) into DECIMAL(65,30): the same number, with trailing zeros.
    expect(copied[0]!.c_dec).toBe('-1234567890123456789012345678.123456789012000000000000000000');
    expect(compareDecimals(copied[0]!.c_dec as string, sourceRecords[0]!.c_dec as string)).toBe(0);
  });

  const pgSuite = postgresUrl === undefined ? it.skip : it;

  pgSuite(`MySQL -> PostgreSQL: every value the same; DATETIME (no zone) lands in timestamptz as UTC${postgresUrl === undefined ? ' (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : ''}`, async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const schema = `rt_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    try {
      const pgConfig = { ...pgConnection(postgresUrl!), default_target_schema: schema };
      await run(bins.targetPostgres, pgConfig, { stdin: sourceOutput });
      const tapConfig = { ...pgConnection(postgresUrl!), filter_schemas: [schema] };
      const copied = await recordsOf(await run(bins.tapPostgres, tapConfig, { catalog: await selectAll(bins.tapPostgres, tapConfig) }));
      expectSameRecords(copied, sourceRecords);
      expect(copied[0]!.c_dt).toBe('1850-03-04T12:00:00.123456+00:00');
      const { rows } = await client.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 ORDER BY ordinal_position`, [schema]);
      expect(Object.fromEntries(rows.map((row: { column_name: string; data_type: string }) => [row.column_name, row.data_type]))).toMatchObject({
        c_dec: 'numeric', c_dt: 'timestamp with time zone', c_ts: 'timestamp with time zone', c_json: 'jsonb', c_set: 'jsonb', c_time: 'time without time zone', c_bool: 'boolean',
      });
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });

  pgSuite(`PostgreSQL -> MySQL -> PostgreSQL: every value the same${postgresUrl === undefined ? ' (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : ''}`, async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const origin = `rto_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const back = `rtb_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const middle = await openFixture(mysqlUrl!, 'rtmid');
    try {
      await client.query(`CREATE SCHEMA ${origin}`);
      await client.query(`CREATE TABLE ${origin}.p (id int PRIMARY KEY, c_int int, c_big bigint, c_num numeric(40,12), c_num_plain numeric, c_bool boolean,
        c_text text, c_varchar varchar(10), c_date date, c_time time, c_ts timestamp, c_tstz timestamptz, c_json jsonb, c_bytea bytea, c_arr int[], c_uuid uuid)`);
      await client.query(`INSERT INTO ${origin}.p VALUES
        (1, -2147483648, 9007199254740991, '12345678901234567890123456.123456789012', '-0.000000000000000000000000000001', true,
         E'h\\u00e9llo "w" \\\\ \\n tab\\t \\U0001F600', 'abc', '1000-01-01', '23:59:59.999999', '1850-03-04 12:00:00.123456',
         '2024-03-10 02:30:00.5+05:30', '{"x": {"y": [true, null, 2.50]}}', '\\x00ff0010', '{1,NULL,3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
        (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (3, 0, 0, '0', '0', false, '', '', '9999-12-31', '00:00:00', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', '[]', '', '{}', '00000000-0000-0000-0000-000000000000')`);
      const originConfig = { ...pgConnection(postgresUrl!), filter_schemas: [origin] };
      const originOutput = await run(bins.tapPostgres, originConfig, { catalog: await selectAll(bins.tapPostgres, originConfig) });
      const originRecords = await recordsOf(originOutput);
      await run(bins.targetMysql, { ...connectionConfig(mysqlUrl!), database: middle.database }, { stdin: originOutput });
      const middleConfig = { ...connectionConfig(mysqlUrl!), database: middle.database };
      const middleOutput = await run(bins.tapMysql, middleConfig, { catalog: await selectAll(bins.tapMysql, middleConfig) });
      const middleRecords = await recordsOf(middleOutput);
      expectSameRecords(middleRecords, originRecords);
      // timestamptz into DATETIME(6): the UTC wall clock, without an offset (the documented lossy pair).
      expect(middleRecords[0]!.c_tstz).toBe('2024-03-09T21:00:00.5');
      await run(bins.targetPostgres, { ...pgConnection(postgresUrl!), default_target_schema: back }, { stdin: middleOutput });
      const backConfig = { ...pgConnection(postgresUrl!), filter_schemas: [back] };
      const backRecords = await recordsOf(await run(bins.tapPostgres, backConfig, { catalog: await selectAll(bins.tapPostgres, backConfig) }));
      expectSameRecords(backRecords, originRecords);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${origin} CASCADE`);
      await client.query(`DROP SCHEMA IF EXISTS ${back} CASCADE`);
      await client.end();
      await middle.cleanup();
    }
  });
});

function pgConnection(url: string): Json {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 5432),
    user: decodeURIComponent(parsed.username) || 'postgres',
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: parsed.pathname.slice(1),
  };
}
