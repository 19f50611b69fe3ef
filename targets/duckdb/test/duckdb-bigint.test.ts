/**
 * Integers beyond 2^53 (bigints since the protocol reads them exactly) reach the DuckDB file with every
 * digit; rows are read back as text (CAST(... AS VARCHAR)), so nothing on the way back rounds them either.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qualifiedName } from '@tapline/duckdb-client';
import { columnTypes, lines, runWithConfig, sql, targetBin, tempDir, withDatabase, type TempDir } from './duckdb-test-helpers.js';

type Json = Record<string, unknown>;

const schema = (stream: string, properties: Json, keys: string[] = ['id']) => ({ type: 'SCHEMA', stream, schema: { type: 'object', properties }, key_properties: keys });
const record = (stream: string, values: Json) => ({ type: 'RECORD', stream, record: values });
const state = (value: Json) => ({ type: 'STATE', value });
const ID = { type: 'integer' };
const INTEGER = { type: ['null', 'integer'] };

/** Every column of a table as DuckDB's text (CAST(... AS VARCHAR)), rows in `order`. */
async function textRows(path: string, table: string, columns: string[], order: string): Promise<Record<string, string | null>[]> {
  const list = columns.map((column) => `CAST("${column}" AS VARCHAR) AS "${column}"`).join(', ');
  return withDatabase(path, (db) => db.query<Record<string, string | null>>(`SELECT ${list} FROM ${qualifiedName('main', table)} ORDER BY ${order}`), { readOnly: true });
}

describe('target-duckdb: integers beyond 2^53', () => {
  let dir: TempDir;
  let n = 0;
  const fresh = () => dir.file(`big${(n += 1)}.duckdb`);
  beforeAll(async () => {
    dir = await tempDir('bigint');
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('reach BIGINT, DOUBLE, DECIMAL, VARCHAR and JSON columns with every digit; a STATE keeps its digits', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path }, {
      text: lines(
        schema('wide', {
          id: ID,
          n: INTEGER,
          f: { type: ['null', 'number'] },
          d: { type: ['null', 'number'], multipleOf: 0.01 },
          s: { type: ['null', 'integer', 'string'] },
          doc: { type: ['null', 'object'] },
          list: { type: ['null', 'array'] },
        }),
        record('wide', {
          id: 1, n: 9223372036854775807n, f: 9007199254740993n, d: 123456789012345678901234567890n, s: 18446744073709551615n,
          doc: { big: 18446744073709551615n, inner: { low: -9223372036854775809n, near: 9007199254740993n }, small: 1.5 },
          list: [100000000000000000000n, -9007199254740993n, 7],
        }),
        record('wide', { id: 2, n: -9223372036854775808n, f: -18446744073709551615n, d: -9007199254740993n, s: 'text', doc: null, list: null }),
        record('wide', { id: 3, n: 9007199254740993n, f: 100000000000000000000n, d: 12.34, s: 9007199254740991 }),
        record('wide', { id: 9007199254740993n, n: 9007199254740991 }),
        state({ bookmark: 9223372036854775807n }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('{"type":"STATE","value":{"bookmark":9223372036854775807}}');
    expect(await columnTypes(path, 'wide')).toEqual({ id: 'BIGINT', n: 'BIGINT', f: 'DOUBLE', d: 'DECIMAL(38,2)', s: 'VARCHAR', doc: 'JSON', list: 'JSON' });
    expect(await textRows(path, 'wide', ['id', 'n', 'f', 'd', 's', 'doc', 'list'], 'id')).toEqual([
      {
        id: '1', n: '9223372036854775807', f: '9007199254740992.0', d: '123456789012345678901234567890.00', s: '18446744073709551615',
        doc: '{"big":18446744073709551615,"inner":{"low":-9223372036854775809,"near":9007199254740993},"small":1.5}',
        list: '[100000000000000000000,-9007199254740993,7]',
      },
      // DOUBLE holds the nearest double; DuckDB prints it in its shortest form.
      { id: '2', n: '-9223372036854775808', f: '-1.8446744073709552e+19', d: '-9007199254740993.00', s: 'text', doc: null, list: null },
      { id: '3', n: '9007199254740993', f: '1e+20', d: '12.34', s: '9007199254740991', doc: null, list: null },
      { id: '9007199254740993', n: '9007199254740991', f: null, d: null, s: null, doc: null, list: null },
    ]);
  });

  it('a decimal column widened to VARCHAR by an integer beyond 38 digits keeps every digit', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path }, {
      text: lines(
        schema('money', { id: ID, amount: { type: ['null', 'number'], multipleOf: 0.01 } }),
        record('money', { id: 1, amount: 9007199254740993n }),
        record('money', { id: 2, amount: 1234567890123456789012345678901234567890n }),
        state({ s: 1 }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('widened column "amount" from DECIMAL(38,2) to VARCHAR: 1234567890123456789012345678901234567890 (line 3) does not fit it exactly');
    expect((await columnTypes(path, 'money')).amount).toBe('VARCHAR');
    expect(await textRows(path, 'money', ['id', 'amount'], 'id')).toEqual([
      { id: '1', amount: '9007199254740993' },
      { id: '2', amount: '1234567890123456789012345678901234567890' },
    ]);
  });

  it('upsert keys that differ only beyond 2^53 stay two rows, in one batch, across batches and across runs', async () => {
    const path = fresh();
    const people = (...records: Json[]) => lines(schema('people', { id: ID, name: { type: ['null', 'string'] } }), ...records.map((values) => record('people', values)), state({ s: 1 }));
    const first = await runWithConfig(targetBin, { path }, {
      text: people({ id: 9007199254740993n, name: 'odd' }, { id: 9007199254740992n, name: 'even' }, { id: 9007199254740993n, name: 'odd again' }),
    });
    expect(first.code, first.stderr).toBe(0);
    expect(await textRows(path, 'people', ['id', 'name'], 'id')).toEqual([
      { id: '9007199254740992', name: 'even' },
      { id: '9007199254740993', name: 'odd again' },
    ]);
    // Batches of one: each key meets the other in the table, through ON CONFLICT.
    const second = await runWithConfig(targetBin, { path, batch_size_rows: 1 }, {
      text: people({ id: 9007199254740992n, name: 'even 2' }, { id: 9223372036854775807n, name: 'max' }, { id: 9223372036854775806n, name: 'max - 1' }, { id: 9007199254740993n, name: 'odd 2' }),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(await textRows(path, 'people', ['id', 'name'], 'id')).toEqual([
      { id: '9007199254740992', name: 'even 2' },
      { id: '9007199254740993', name: 'odd 2' },
      { id: '9223372036854775806', name: 'max - 1' },
      { id: '9223372036854775807', name: 'max' },
    ]);
  });

  it('existing UBIGINT, HUGEINT and UHUGEINT columns take integers up to their limits exactly', async () => {
    const path = fresh();
    await sql(path, 'CREATE TABLE wide_ints (id BIGINT PRIMARY KEY, u UBIGINT, h HUGEINT, uh UHUGEINT)');
    const run = await runWithConfig(targetBin, { path }, {
      text: lines(
        schema('wide_ints', { id: ID, u: INTEGER, h: INTEGER, uh: INTEGER }),
        record('wide_ints', { id: 1, u: 18446744073709551615n, h: -170141183460469231731687303715884105728n, uh: 340282366920938463463374607431768211455n }),
        record('wide_ints', { id: 2, u: 0, h: 170141183460469231731687303715884105727n, uh: 9007199254740993n }),
        state({ s: 1 }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await textRows(path, 'wide_ints', ['id', 'u', 'h', 'uh'], 'id')).toEqual([
      { id: '1', u: '18446744073709551615', h: '-170141183460469231731687303715884105728', uh: '340282366920938463463374607431768211455' },
      { id: '2', u: '0', h: '170141183460469231731687303715884105727', uh: '9007199254740993' },
    ]);
  });

  it('an integer beyond HUGEINT fails with the stream, column and input line, exit 6', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path }, {
      text: lines(schema('huge', { id: ID, n: INTEGER }), record('huge', { id: 1, n: 5 }), record('huge', { id: 2, n: 10n ** 40n }), state({ s: 1 })),
    });
    expect(run.code).toBe(6);
    expect(run.states).toEqual([]);
    expect(run.errLines.at(-1)).toMatch(
      /data error: line 3, stream "huge", column "n": DuckDB rejected a value: 10000000000000000000000000000000000000000 is out of range for the BIGINT column\. The destination column cannot hold this value; fix the source value or widen the column$/,
    );
  });
});
