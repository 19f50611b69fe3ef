/**
 * target-mysql beyond the fixture cases: schema evolution, load methods, ACTIVATE_VERSION, UTC date-times,
 * and the one clear line for each way a load can fail. Rows are read back from MariaDB/MySQL.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionConfig, count, dropDatabase, lines, readRows, runTargetMysql, uniqueDatabase, url, withMysql } from './mysql-test-helpers.js';
import type mysql from 'mysql2/promise';

const title = (name: string) => `${name}${url === undefined ? ' (SKIPPED: set TAPLINE_TEST_MYSQL_URL)' : ''}`;
const databases: string[] = [];
function freshDatabase(prefix: string): string {
  const database = uniqueDatabase(prefix);
  databases.push(database);
  return database;
}
afterAll(async () => {
  if (url !== undefined) for (const database of databases) await dropDatabase(database);
});

const schemaMessage = (stream: string, properties: Record<string, unknown>, keys: string[] = ['id']) => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties },
  key_properties: keys,
});
const record = (stream: string, value: Record<string, unknown>, version?: number) => ({ type: 'RECORD', stream, record: value, ...(version === undefined ? {} : { version }) });
const state = (value: unknown) => ({ type: 'STATE', value });

async function columnTypes(database: string, table: string): Promise<Record<string, string>> {
  return withMysql(async (connection) => {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table],
    );
    return Object.fromEntries(rows.map((row) => [String(row.name), String(row.type)]));
  });
}

async function sql(text: string): Promise<mysql.RowDataPacket[]> {
  return withMysql(async (connection) => (await connection.query<mysql.RowDataPacket[]>(text))[0]);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const LOAD_PATHS = [
  ['LOAD DATA LOCAL INFILE', true],
  ['multi-row INSERT', false],
] as const;

describe.skipIf(url === undefined)(title('target-mysql types and evolution'), () => {
  it('creates MySQL types: bigint, double, decimal(65,30), tinyint(1), datetime(6) in UTC, time(6), json, longtext, varchar keys', async () => {
    const database = freshDatabase('types');
    const run = await runTargetMysql({ ...connectionConfig(), default_target_schema: database }, {
      text: lines(
        schemaMessage('t', {
          id: { type: 'string' },
          i: { type: ['null', 'integer'] },
          f: { type: ['null', 'number'] },
          d: { type: ['null', 'string'], format: 'singer.decimal' },
          b: { type: ['null', 'boolean'] },
          at: { type: ['null', 'string'], format: 'date-time' },
          day: { type: ['null', 'string'], format: 'date' },
          clock: { type: ['null', 'string'], format: 'time' },
          doc: { type: ['null', 'object'] },
          s: { type: ['null', 'string'] },
        }),
        record('t', { id: 'k1', i: 9007199254740991, f: 1.5e300, d: '-12345678901234567890123456789012345.123456789012345678901234567891', b: true, at: '2024-03-10T02:30:00.1234567+05:30', day: '0001-01-01', clock: '23:59:59.999999', doc: { a: [1, 'x'] }, s: 'tab\there\\N' }),
        record('t', { id: 'k2', at: '1899-12-31T23:59:59.123456-01:00' }),
        state({ done: 1 }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await columnTypes(database, 't')).toEqual({
      id: 'varchar(255)', i: 'bigint(20)', f: 'double', d: 'decimal(65,30)', b: 'tinyint(1)', at: 'datetime(6)', day: 'date', clock: 'time(6)', doc: 'longtext', s: 'longtext',
    });
    // Offsets are applied and the wall clock stored is UTC; digits beyond microseconds round, as DATETIME(6) would.
    expect(await sql(`SELECT id, CAST(at AS CHAR) AS at, CAST(d AS CHAR) AS d, s FROM \`${database}\`.t ORDER BY id`)).toEqual([
      { id: 'k1', at: '2024-03-09 21:00:00.123457', d: '-12345678901234567890123456789012345.123456789012345678901234567891', s: 'tab\there\\N' },
      { id: 'k2', at: '1900-01-01 00:59:59.123456', d: null, s: null },
    ]);
    expect(await readRows(database, 't', ['id', 'doc', 'b', 'clock'], 'ORDER BY id')).toEqual([
      { id: 'k1', doc: { a: [1, 'x'] }, b: true, clock: '23:59:59.999999' },
      { id: 'k2', doc: null, b: null, clock: null },
    ]);
  });

  it('adds columns, widens integer -> number -> string without exponents, keeps columns a later schema leaves out', async () => {
    const database = freshDatabase('evolve');
    const config = { ...connectionConfig(), default_target_schema: database };
    const first = await runTargetMysql(config, {
      text: lines(
        schemaMessage('items', { id: { type: 'integer' }, n: { type: ['null', 'integer'] }, gone: { type: ['null', 'string'] }, j: { type: ['null', 'string'] } }),
        record('items', { id: 1, n: 9007199254740991, gone: 'kept', j: 'text' }),
        state({ bookmarks: { items: { id: 1 } } }),
      ),
    });
    expect(first.code, first.stderr).toBe(0);
    const second = await runTargetMysql(config, {
      text: lines(
        schemaMessage('items', { id: { type: 'integer' }, n: { type: ['null', 'number'] }, extra: { type: ['null', 'string'], format: 'date' }, j: { type: ['null', 'object'] } }),
        record('items', { id: 2, n: 2.5, extra: '2024-02-29', j: { k: 1 } }),
        schemaMessage('items', { id: { type: 'integer' }, n: { type: ['null', 'string'] }, extra: { type: ['null', 'string'], format: 'date' } }),
        record('items', { id: 3, n: 'three', extra: null }),
        state({ bookmarks: { items: { id: 3 } } }),
      ),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.states).toEqual([{ bookmarks: { items: { id: 3 } } }]);
    expect(await columnTypes(database, 'items')).toEqual({ id: 'bigint(20)', n: 'longtext', gone: 'longtext', extra: 'date', j: 'longtext' });
    expect(await readRows(database, 'items', ['id', 'n', 'gone', 'extra', 'j'], 'ORDER BY id')).toEqual([
      { id: '1', n: '9007199254740991', gone: 'kept', extra: null, j: 'text' },
      // A text column keeps holding text (the JSON text of an object), as in every SQL target.
      { id: '2', n: '2.5', gone: null, extra: '2024-02-29', j: '{"k":1}' },
      { id: '3', n: 'three', gone: null, extra: null, j: null },
    ]);
  });
});

describe.skipIf(url === undefined)(title('target-mysql load methods and versions'), () => {
  for (const [path, localInfile] of LOAD_PATHS) {
    it(`upsert replaces by key across runs and keeps columns a record leaves out (${path})`, async () => {
      const database = freshDatabase('upsert');
      const config = { ...connectionConfig(), default_target_schema: database, local_infile: localInfile };
      const props = { id: { type: 'integer' }, name: { type: ['null', 'string'] }, note: { type: ['null', 'string'] }, doc: { type: ['null', 'object'] } };
      const first = await runTargetMysql(config, { text: lines(schemaMessage('u', props), record('u', { id: 1, name: 'a', note: 'n1' }), record('u', { id: 2, name: 'b', note: 'n2', doc: { v: 1 } }), state(1)) });
      expect(first.code, first.stderr).toBe(0);
      // The table has rows now: this run goes through the staging table (with its JSON check) and the merge.
      const second = await runTargetMysql(config, {
        text: lines(schemaMessage('u', { id: { type: 'integer' }, name: { type: ['null', 'string'] }, doc: { type: ['null', 'object'] } }), record('u', { id: 2, name: 'B', doc: { v: [2] } }), record('u', { id: 3, name: 'c' }), state(2)),
      });
      expect(second.code, second.stderr).toBe(0);
      expect(await readRows(database, 'u', ['id', 'name', 'note', 'doc'], 'ORDER BY id')).toEqual([
        { id: '1', name: 'a', note: 'n1', doc: null },
        { id: '2', name: 'B', note: 'n2', doc: { v: [2] } },
        { id: '3', name: 'c', note: null, doc: null },
      ]);
    });
  }

  it('append keeps every record; overwrite replaces the table with this run', async () => {
    const database = freshDatabase('methods');
    const props = { id: { type: 'integer' }, v: { type: ['null', 'string'] } };
    const append = { ...connectionConfig(), default_target_schema: database, load_method: 'append' };
    for (let i = 0; i < 2; i += 1) {
      const run = await runTargetMysql(append, { text: lines(schemaMessage('a', props), record('a', { id: 1, v: `r${i}` }), state(i)) });
      expect(run.code, run.stderr).toBe(0);
    }
    expect(await count(database, 'a')).toBe(2);
    const overwrite = { ...connectionConfig(), default_target_schema: database, load_method: 'overwrite' };
    await runTargetMysql(overwrite, { text: lines(schemaMessage('o', props), record('o', { id: 1, v: 'old' }), record('o', { id: 2, v: 'old' }), state(1)) });
    const run = await runTargetMysql(overwrite, { text: lines(schemaMessage('o', props), record('o', { id: 3, v: 'new' }), state(2)) });
    expect(run.code, run.stderr).toBe(0);
    expect(await readRows(database, 'o', ['id', 'v'])).toEqual([{ id: '3', v: 'new' }]);
  });

  for (const hardDelete of [true, false]) {
    it(`ACTIVATE_VERSION ${hardDelete ? 'deletes' : 'marks _sdc_deleted_at on'} rows of older versions`, async () => {
      const database = freshDatabase(hardDelete ? 'hard' : 'soft');
      const config = { ...connectionConfig(), default_target_schema: database, hard_delete: hardDelete };
      const props = { id: { type: 'integer' }, v: { type: ['null', 'string'] } };
      const first = await runTargetMysql(config, {
        text: lines(schemaMessage('s', props), { type: 'ACTIVATE_VERSION', stream: 's', version: 1 }, record('s', { id: 1, v: 'a' }, 1), record('s', { id: 2, v: 'b' }, 1), { type: 'ACTIVATE_VERSION', stream: 's', version: 1 }, state(1)),
      });
      expect(first.code, first.stderr).toBe(0);
      const second = await runTargetMysql(config, {
        text: lines(schemaMessage('s', props), record('s', { id: 2, v: 'b2' }, 2), { type: 'ACTIVATE_VERSION', stream: 's', version: 2 }, state({ v: 2 })),
      });
      expect(second.code, second.stderr).toBe(0);
      expect(second.states).toEqual([{ v: 2 }]);
      if (hardDelete) {
        expect(await readRows(database, 's', ['id', 'v'])).toEqual([{ id: '2', v: 'b2' }]);
      } else {
        const rows = await sql(`SELECT id, v, _sdc_deleted_at IS NOT NULL AS deleted FROM \`${database}\`.s ORDER BY id`);
        expect(rows.map((row) => ({ ...row }))).toEqual([{ id: '1', v: 'a', deleted: 1 }, { id: '2', v: 'b2', deleted: 0 }]);
      }
    });
  }

  it('names longer than 64 bytes are cut with a hash, and stay distinct', async () => {
    const database = freshDatabase('names');
    const long = 'x'.repeat(70);
    const run = await runTargetMysql({ ...connectionConfig(), default_target_schema: database }, {
      text: lines(schemaMessage(`${long}_stream`, { id: { type: 'integer' }, [`${long}a`]: { type: ['null', 'string'] }, [`${long}b`]: { type: ['null', 'string'] } }), record(`${long}_stream`, { id: 1, [`${long}a`]: 'A', [`${long}b`]: 'B' }), state(1)),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await readRows(database, `${long}_stream`, ['id', `${long}a`, `${long}b`])).toEqual([{ id: '1', [`${long}a`]: 'A', [`${long}b`]: 'B' }]);
  });
});

describe.skipIf(url === undefined)(title('target-mysql bad input: one clear line naming stream, column and line; nothing truncated'), () => {
  for (const [path, localInfile] of LOAD_PATHS) {
    it(`a value too long for its column (${path})`, async () => {
      const database = freshDatabase('toolong');
      await sql(`CREATE DATABASE \`${database}\``);
      await sql(`CREATE TABLE \`${database}\`.people (id bigint PRIMARY KEY, name varchar(5))`);
      const config = { ...connectionConfig(), default_target_schema: database, local_infile: localInfile };
      const props = { id: { type: 'integer' }, name: { type: ['null', 'string'] } };
      const run = await runTargetMysql(config, {
        text: lines(schemaMessage('people', props), record('people', { id: 1, name: 'Ada' }), record('people', { id: 2, name: 'Grace' }), record('people', { id: 3, name: 'Barbara' }), state({ id: 3 })),
      });
      expect(run.code).toBe(6);
      // The third row of the batch is input line 4; the whole batch rolls back and its STATE never comes.
      expect(run.errLines.at(-1)).toMatch(/data error: line 4, stream "people", column "name": MySQL rejected a value: Data (too long|truncated) for column 'name' at row 3/);
      expect(run.states).toEqual([]);
      expect(await count(database, 'people')).toBe(0);
    });

    it(`an invalid date in a DATE column (${path})`, async () => {
      const database = freshDatabase('baddate');
      const config = { ...connectionConfig(), default_target_schema: database, local_infile: localInfile };
      // JSON Schema's calendar has 29 February in year 0; MySQL's has not, and strict mode says so.
      const run = await runTargetMysql(config, {
        text: lines(schemaMessage('days', { id: { type: 'integer' }, day: { type: ['null', 'string'], format: 'date' } }), record('days', { id: 1, day: '2024-01-31' }), record('days', { id: 2, day: '0000-02-29' }), state({ id: 2 })),
      });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toMatch(/data error: line 3, stream "days", column "day": MySQL rejected a value: (Incorrect date value: '0000-02-29'|Data truncated) for column .*day.* at row 2/);
      expect(run.states).toEqual([]);
      expect(await count(database, 'days')).toBe(0);
    });
  }

  it('an integer out of range of an existing TINYINT column is rejected, not clamped', async () => {
    const database = freshDatabase('range');
    await sql(`CREATE DATABASE \`${database}\``);
    await sql(`CREATE TABLE \`${database}\`.small (id bigint PRIMARY KEY, n tinyint)`);
    const run = await runTargetMysql({ ...connectionConfig(), default_target_schema: database }, {
      text: lines(schemaMessage('small', { id: { type: 'integer' }, n: { type: ['null', 'integer'] } }), record('small', { id: 1, n: 127 }), record('small', { id: 2, n: 300 }), state({ id: 2 })),
    });
    expect(run.code).toBe(6);
    expect(run.errLines.at(-1)).toMatch(/data error: line 3, stream "small", column "n": MySQL rejected a value: Out of range value for column 'n' at row 2/);
    expect(await count(database, 'small')).toBe(0);
  });

  it('a decimal with more digits than DECIMAL(65,30) keeps is rejected, not rounded', async () => {
    const database = freshDatabase('bigdec');
    const run = await runTargetMysql({ ...connectionConfig(), default_target_schema: database }, {
      text: lines(schemaMessage('m', { id: { type: 'integer' }, d: { type: ['null', 'string'], format: 'singer.decimal' } }), record('m', { id: 1, d: '1.5' }), record('m', { id: 2, d: '0.0000000000000000000000000000001' }), state(1)),
    });
    expect(run.code).toBe(6);
    expect(run.errLines.at(-1)).toMatch(/data error: line 3, stream "m", column "d": value "0.0000000000000000000000000000001" has 31 digits after the point; DECIMAL\(65,30\) keeps 30/);
    expect(await count(database, 'm')).toBe(0);
  });

  it('an unreachable server is a connection error, exit 5', async () => {
    const run = await runTargetMysql({ ...connectionConfig(), port: await closedPort(), connect_timeout_seconds: 5 }, { text: '' });
    expect(run.code).toBe(5);
    expect(run.errLines.at(-1)).toMatch(/cannot reach the MySQL server.*ECONNREFUSED.*Check host, port/);
  });

  it('a wrong password is a connection error that never prints the password', async () => {
    const user = `tapline_tauth_${process.pid}`;
    await sql(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-password-2'`);
    try {
      const run = await runTargetMysql({ ...connectionConfig(), user, password: 'wrong-password-77' }, { text: '' });
      expect(run.code).toBe(5);
      expect(run.errLines.at(-1)).toMatch(/MySQL refused the login: Access denied for user.*Check user and password/);
      expect(run.stderr).not.toContain('wrong-password-77');
    } finally {
      await sql(`DROP USER '${user}'@'%'`);
    }
  });
});

/** Integers beyond 2^53 arrive as bigints: every digit reaches the table, read back as text. */
describe.skipIf(url === undefined)(title('target-mysql integers beyond 2^53: exact digits'), () => {
  const MAX = 9223372036854775807n;
  const MIN = -9223372036854775808n;
  const U64 = 18446744073709551615n;

  it('a DOUBLE column (type number) holds the nearest double, as the README says', async () => {
    const database = freshDatabase('bigdouble');
    const run = await runTargetMysql({ ...connectionConfig(), default_target_schema: database }, {
      text: lines(schemaMessage('f', { id: { type: 'integer' }, x: { type: ['null', 'number'] } }), record('f', { id: 1, x: 9007199254740993n })),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await sql(`SELECT CAST(x AS DECIMAL(30,0)) AS x FROM \`${database}\`.f`)).toEqual([{ x: '9007199254740992' }]);
  });

  for (const [path, localInfile] of LOAD_PATHS) {
    it(`BIGINT, DECIMAL, text and JSON columns keep every digit; STATE too (${path})`, async () => {
      const database = freshDatabase('bigint');
      const run = await runTargetMysql({ ...connectionConfig(), default_target_schema: database, local_infile: localInfile }, {
        text: lines(
          schemaMessage('b', {
            id: { type: 'integer' },
            i: { type: ['null', 'integer'] },
            d: { type: ['null', 'number'], multipleOf: 0.01 },
            s: { type: ['null', 'integer', 'string'] },
            j: { type: ['null', 'object'] },
            any: {},
          }),
          record('b', { id: MAX, i: MIN, d: U64, s: 9007199254740993n, j: { a: [MAX, MIN, U64, 123456789012345678901234567890n], b: { c: 9007199254740993n } }, any: [-9007199254740993n] }),
          record('b', { id: MIN, i: MAX, d: -99999999999999999999999999999999999n, s: 'text', j: { small: 1 }, any: 18446744073709551616n }),
          record('b', { id: 9007199254740993n, i: 9007199254740993n, d: 9007199254740993n }),
          state({ bookmarks: { b: { id: MAX, seen: [9007199254740993n] } } }),
        ),
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('{"type":"STATE","value":{"bookmarks":{"b":{"id":9223372036854775807,"seen":[9007199254740993]}}}}');
      expect(await columnTypes(database, 'b')).toMatchObject({ id: 'bigint(20)', i: 'bigint(20)', d: 'decimal(65,30)', s: 'longtext' });
      const rows = await sql(`SELECT CAST(id AS CHAR) AS id, CAST(i AS CHAR) AS i, CAST(d AS CHAR) AS d, s, CAST(j AS CHAR) AS j, CAST(\`any\` AS CHAR) AS \`any\` FROM \`${database}\`.b ORDER BY id`);
      const zeros = '.' + '0'.repeat(30);
      expect(rows.map((row) => ({ ...row }))).toEqual([
        { id: '-9223372036854775808', i: '9223372036854775807', d: `-99999999999999999999999999999999999${zeros}`, s: 'text', j: '{"small":1}', any: '18446744073709551616' },
        { id: '9007199254740993', i: '9007199254740993', d: `9007199254740993${zeros}`, s: null, j: null, any: null },
        {
          id: '9223372036854775807',
          i: '-9223372036854775808',
          d: `18446744073709551615${zeros}`,
          s: '9007199254740993',
          j: '{"a":[9223372036854775807,-9223372036854775808,18446744073709551615,123456789012345678901234567890],"b":{"c":9007199254740993}}',
          any: '[-9007199254740993]',
        },
      ]);
    });

    it(`upsert keys 9007199254740993 and 9007199254740992 stay two rows, in a batch and across runs (${path})`, async () => {
      const database = freshDatabase('bigkey');
      const config = { ...connectionConfig(), default_target_schema: database, local_infile: localInfile };
      const props = { id: { type: 'integer' }, v: { type: ['null', 'string'] } };
      const first = await runTargetMysql(config, {
        text: lines(
          schemaMessage('k', props),
          record('k', { id: 9007199254740993n, v: 'a' }),
          record('k', { id: 9007199254740992n, v: 'b' }),
          // The same key again in the batch: the last one wins, the nearby key is untouched.
          record('k', { id: 9007199254740993n, v: 'c' }),
          state(1),
        ),
      });
      expect(first.code, first.stderr).toBe(0);
      const read = async () => (await sql(`SELECT CAST(id AS CHAR) AS id, v FROM \`${database}\`.k ORDER BY id`)).map((row) => ({ ...row }));
      expect(await read()).toEqual([{ id: '9007199254740992', v: 'b' }, { id: '9007199254740993', v: 'c' }]);
      // The table has rows: this run merges through the staging table.
      const second = await runTargetMysql(config, {
        text: lines(
          schemaMessage('k', props),
          record('k', { id: 9007199254740992n, v: 'B' }),
          record('k', { id: MAX, v: 'max' }),
          record('k', { id: MIN, v: 'min' }),
          record('k', { id: MAX, v: 'max2' }),
          state(2),
        ),
      });
      expect(second.code, second.stderr).toBe(0);
      expect(await read()).toEqual([
        { id: '-9223372036854775808', v: 'min' },
        { id: '9007199254740992', v: 'B' },
        { id: '9007199254740993', v: 'c' },
        { id: '9223372036854775807', v: 'max2' },
      ]);
    });

    it(`an integer beyond BIGINT's range is rejected with stream, column and line (${path})`, async () => {
      const database = freshDatabase('bigrange');
      const config = { ...connectionConfig(), default_target_schema: database, local_infile: localInfile };
      const run = await runTargetMysql(config, {
        text: lines(schemaMessage('r', { id: { type: 'integer' }, n: { type: ['null', 'integer'] } }), record('r', { id: 1, n: MAX }), record('r', { id: 2, n: MAX + 1n }), state(1)),
      });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toMatch(/data error: line 3, stream "r", column "n": MySQL rejected a value: Out of range value for column 'n' at row 2/);
      expect(run.states).toEqual([]);
      expect(await count(database, 'r')).toBe(0);
    });

    it(`an existing BIGINT UNSIGNED column holds 18446744073709551615 and rejects 18446744073709551616 (${path})`, async () => {
      const database = freshDatabase('unsigned');
      await sql(`CREATE DATABASE \`${database}\``);
      await sql(`CREATE TABLE \`${database}\`.u (id bigint unsigned PRIMARY KEY, n bigint unsigned)`);
      const config = { ...connectionConfig(), default_target_schema: database, local_infile: localInfile };
      const props = { id: { type: 'integer' }, n: { type: ['null', 'integer'] } };
      const ok = await runTargetMysql(config, { text: lines(schemaMessage('u', props), record('u', { id: U64, n: U64 }), record('u', { id: U64 - 1n, n: 9007199254740993n }), state(1)) });
      expect(ok.code, ok.stderr).toBe(0);
      const read = async () => (await sql(`SELECT CAST(id AS CHAR) AS id, CAST(n AS CHAR) AS n FROM \`${database}\`.u ORDER BY id`)).map((row) => ({ ...row }));
      const stored = [{ id: '18446744073709551614', n: '9007199254740993' }, { id: '18446744073709551615', n: '18446744073709551615' }];
      expect(await read()).toEqual(stored);
      const bad = await runTargetMysql(config, { text: lines(schemaMessage('u', props), record('u', { id: 5, n: 1 }), record('u', { id: 6, n: U64 + 1n }), state(2)) });
      expect(bad.code).toBe(6);
      expect(bad.errLines.at(-1)).toMatch(/data error: line 3, stream "u", column "n": MySQL rejected a value: Out of range value for column 'n' at row 2/);
      expect(bad.states).toEqual([]);
      expect(await read()).toEqual(stored);
    });
  }

  it('an integer with more digits than DECIMAL(65,30) keeps before the point is rejected, not rounded', async () => {
    const database = freshDatabase('bigdecint');
    const tooMany = 10n ** 35n; // 36 digits
    const run = await runTargetMysql({ ...connectionConfig(), default_target_schema: database }, {
      text: lines(schemaMessage('m', { id: { type: 'integer' }, d: { type: ['null', 'number'], multipleOf: 0.5 } }), record('m', { id: 1, d: tooMany - 1n }), record('m', { id: 2, d: tooMany }), state(1)),
    });
    expect(run.code).toBe(6);
    expect(run.errLines.at(-1)).toMatch(/data error: line 3, stream "m", column "d": value 100000000000000000000000000000000000 has more than 35 digits before the point, more than DECIMAL\(65,30\) holds/);
    expect(await count(database, 'm')).toBe(0);
  });

  it('a BIGINT column widened to text or JSON keeps every digit', async () => {
    const database = freshDatabase('bigwiden');
    const config = { ...connectionConfig(), default_target_schema: database };
    const first = await runTargetMysql(config, {
      text: lines(schemaMessage('w', { id: { type: 'integer' }, t: { type: ['null', 'integer'] }, j: { type: ['null', 'integer'] } }), record('w', { id: 1, t: MAX, j: MIN }), state(1)),
    });
    expect(first.code, first.stderr).toBe(0);
    const second = await runTargetMysql(config, {
      text: lines(schemaMessage('w', { id: { type: 'integer' }, t: { type: ['null', 'string'] }, j: { type: ['null', 'object'] } }), record('w', { id: 2, t: 'x', j: { n: 9007199254740993n } }), state(2)),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(await columnTypes(database, 'w')).toMatchObject({ t: 'longtext', j: 'longtext' });
    expect((await sql(`SELECT id, t, CAST(j AS CHAR) AS j FROM \`${database}\`.w ORDER BY id`)).map((row) => ({ ...row }))).toEqual([
      { id: '1', t: '9223372036854775807', j: '-9223372036854775808' },
      { id: '2', t: 'x', j: '{"n":9007199254740993}' },
    ]);
  });
});
