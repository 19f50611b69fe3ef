import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB } from '@tapline/duckdb-client';
import { Logger } from '@tapline/protocol';
import { columnTypes, count, lines, readRows, runWithConfig, targetBin, tempDir, withDatabase, type TempDir } from './duckdb-test-helpers.js';

type Json = Record<string, unknown>;

const schema = (stream: string, properties: Json, keys: string[] = ['id']) => ({ type: 'SCHEMA', stream, schema: { type: 'object', properties }, key_properties: keys });
const record = (stream: string, values: Json, extra: Json = {}) => ({ type: 'RECORD', stream, record: values, ...extra });
const state = (value: Json) => ({ type: 'STATE', value });
const ID = { type: 'integer' };
const NAME = { type: ['null', 'string'] };

describe('target-duckdb', () => {
  let dir: TempDir;
  let n = 0;
  const fresh = () => dir.file(`db${(n += 1)}.duckdb`);
  beforeAll(async () => {
    dir = await tempDir('target');
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('creates typed columns from SCHEMA: DECIMAL(38,s), TIMESTAMPTZ, DATE, TIME, JSON, BIGINT, DOUBLE, BOOLEAN, VARCHAR', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path }, {
      text: lines(
        schema('typed', {
          id: ID,
          price: { type: ['null', 'string'], format: 'singer.decimal', additionalProperties: { scale_precision: '(12,2)' } },
          rate: { type: ['null', 'number'], multipleOf: 0.0001 },
          loose: { type: ['null', 'string'], format: 'singer.decimal' },
          huge: { type: ['null', 'string'], format: 'singer.decimal', additionalProperties: { scale_precision: '(40,0)' } },
          at: { type: ['null', 'string'], format: 'date-time' },
          day: { type: ['null', 'string'], format: 'date' },
          clock: { type: ['null', 'string'], format: 'time' },
          doc: { type: ['null', 'object'] },
          tags: { type: ['null', 'array'], items: { type: 'string' } },
          score: { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }, { type: 'null' }] },
          flag: { type: ['null', 'boolean'] },
          name: NAME,
        }),
        record('typed', {
          id: 1, price: '12.34', rate: 0.0007, loose: '-1.000000001', huge: '1234567890123456789012345678901234567890', at: '2024-03-10T02:30:00+05:30',
          day: '2024-02-29', clock: '23:59:59.999999', doc: { a: [1, { b: null }] }, tags: ['x', 'y'], score: 'NaN', flag: true, name: 'Ada',
        }),
        record('typed', { id: 2, score: -1.5e-300 }),
        state({ done: 1 }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.states).toEqual([{ done: 1 }]);
    expect(await columnTypes(path, 'typed')).toEqual({
      id: 'BIGINT', price: 'DECIMAL(38,2)', rate: 'DECIMAL(38,4)', loose: 'DECIMAL(38,9)', huge: 'VARCHAR', at: 'TIMESTAMP WITH TIME ZONE', day: 'DATE',
      clock: 'TIME', doc: 'JSON', tags: 'JSON', score: 'DOUBLE', flag: 'BOOLEAN', name: 'VARCHAR',
    });
    const rows = await readRows(path, 'typed', ['id', 'price', 'rate', 'loose', 'huge', 'at', 'day', 'clock', 'doc', 'tags', 'score', 'flag', 'name'], { where: 'ORDER BY id' });
    expect(rows).toEqual([
      {
        id: 1, price: '12.34', rate: '0.0007', loose: '-1.000000001', huge: '1234567890123456789012345678901234567890', at: '2024-03-09T21:00:00.000000+00:00',
        day: '2024-02-29', clock: '23:59:59.999999', doc: { a: [1, { b: null }] }, tags: ['x', 'y'], score: 'NaN', flag: true, name: 'Ada',
      },
      { id: 2, price: null, rate: null, loose: null, huge: null, at: null, day: null, clock: null, doc: null, tags: null, score: -1.5e-300, flag: null, name: null },
    ]);
  });

  it('a decimal that does not fit DECIMAL(38,s) widens the column to VARCHAR and keeps every digit', async () => {
    const path = fresh();
    const decimal = { type: ['null', 'string'], format: 'singer.decimal' };
    const run = await runWithConfig(targetBin, { path, batch_size_rows: 2 }, {
      text: lines(
        schema('money', { id: ID, amount: decimal }),
        record('money', { id: 1, amount: '1.5' }),
        record('money', { id: 2, amount: '2.25' }),
        state({ s: 1 }),
        record('money', { id: 3, amount: '0.0000000000001' }),
        record('money', { id: 4, amount: 'NaN' }),
        state({ s: 2 }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('widened column "amount" from DECIMAL(38,9) to VARCHAR');
    expect((await columnTypes(path, 'money')).amount).toBe('VARCHAR');
    const rows = await readRows(path, 'money', ['id', 'amount'], { where: 'ORDER BY id' });
    expect(rows.map((row) => row.amount)).toEqual(['1.500000000', '2.250000000', '0.0000000000001', 'NaN']);
  });

  it('evolves: new columns are added, integer widens to number then string, dropped properties keep their column', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path }, {
      text: lines(
        schema('evolve', { id: ID, v: { type: ['null', 'integer'] }, gone: NAME }),
        record('evolve', { id: 1, v: 9007199254740991, gone: 'kept' }),
        state({ s: 1 }),
        schema('evolve', { id: ID, v: { type: ['null', 'number'] }, added: NAME }),
        record('evolve', { id: 2, v: 2.5, added: 'new' }),
        state({ s: 2 }),
        schema('evolve', { id: ID, v: { type: ['null', 'string'] } }),
        record('evolve', { id: 3, v: 'text' }),
        state({ s: 3 }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.states).toEqual([{ s: 1 }, { s: 2 }, { s: 3 }]);
    expect(await columnTypes(path, 'evolve')).toEqual({ id: 'BIGINT', v: 'VARCHAR', gone: 'VARCHAR', added: 'VARCHAR' });
    expect(await readRows(path, 'evolve', ['id', 'v', 'gone', 'added'], { where: 'ORDER BY id' })).toEqual([
      { id: 1, v: '9007199254740991', gone: 'kept', added: null },
      { id: 2, v: '2.5', gone: null, added: 'new' },
      { id: 3, v: 'text', gone: null, added: null },
    ]);
  });

  const twoRuns = async (config: Json) => {
    const path = fresh();
    const first = await runWithConfig(targetBin, { path, ...config }, {
      text: lines(schema('people', { id: ID, name: NAME }), record('people', { id: 1, name: 'a' }), record('people', { id: 2, name: 'b' }), state({ run: 1 })),
    });
    expect(first.code, first.stderr).toBe(0);
    const second = await runWithConfig(targetBin, { path, ...config }, {
      text: lines(schema('people', { id: ID, name: NAME }), record('people', { id: 2, name: 'B' }), record('people', { id: 2, name: 'B2' }), record('people', { id: 3, name: 'c' }), state({ run: 2 })),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.states).toEqual([{ run: 2 }]);
    return readRows(path, 'people', ['id', 'name'], { where: 'ORDER BY id, name' });
  };

  it('upsert (the default with keys) replaces rows by key; the last record for a key in a batch wins', async () => {
    expect(await twoRuns({})).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'B2' }, { id: 3, name: 'c' }]);
  });

  it('upsert across batches of one run: a key from an earlier batch is updated, not duplicated', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path, batch_size_rows: 2 }, {
      text: lines(
        schema('people', { id: ID, name: NAME }),
        record('people', { id: 1, name: 'a' }), record('people', { id: 2, name: 'b' }),
        record('people', { id: 2, name: 'B' }), record('people', { id: 3, name: 'c' }),
        state({ run: 1 }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.states).toEqual([{ run: 1 }]);
    expect(await readRows(path, 'people', ['id', 'name'], { where: 'ORDER BY id' })).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'B' }, { id: 3, name: 'c' }]);
  });

  it('append keeps every record', async () => {
    expect(await twoRuns({ load_method: 'append' })).toEqual([
      { id: 1, name: 'a' }, { id: 2, name: 'B' }, { id: 2, name: 'B2' }, { id: 2, name: 'b' }, { id: 3, name: 'c' },
    ]);
  });

  it("overwrite replaces the table with the run's records", async () => {
    expect(await twoRuns({ load_method: 'overwrite' })).toEqual([{ id: 2, name: 'B2' }, { id: 3, name: 'c' }]);
  });

  const versions = (hard: boolean) => async () => {
    const path = fresh();
    const config = { path, hard_delete: hard };
    const v1 = 100;
    const v2 = 200;
    const first = await runWithConfig(targetBin, config, {
      text: lines(
        schema('items', { id: ID, name: NAME }),
        { type: 'ACTIVATE_VERSION', stream: 'items', version: v1 },
        record('items', { id: 1, name: 'one' }, { version: v1 }),
        record('items', { id: 2, name: 'two' }, { version: v1 }),
        { type: 'ACTIVATE_VERSION', stream: 'items', version: v1 },
        state({ v: 1 }),
      ),
    });
    expect(first.code, first.stderr).toBe(0);
    const second = await runWithConfig(targetBin, config, {
      text: lines(
        schema('items', { id: ID, name: NAME }),
        record('items', { id: 2, name: 'two again' }, { version: v2 }),
        { type: 'ACTIVATE_VERSION', stream: 'items', version: v2 },
        state({ v: 2 }),
      ),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.states).toEqual([{ v: 2 }]);
    return readRows(path, 'items', ['id', 'name', '_sdc_table_version', '_sdc_deleted_at'], { where: 'ORDER BY id' });
  };

  it('ACTIVATE_VERSION with hard_delete deletes rows of older versions', async () => {
    const rows = await versions(true)();
    expect(rows).toEqual([{ id: 2, name: 'two again', _sdc_table_version: 200 }]);
  });

  it('ACTIVATE_VERSION without hard_delete sets _sdc_deleted_at on rows of older versions', async () => {
    const rows = await versions(false)();
    expect(rows.map((row) => [row.id, row._sdc_table_version, row._sdc_deleted_at === null])).toEqual([
      [1, 100, false],
      [2, 200, true],
    ]);
    expect(String(rows[0]!._sdc_deleted_at)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
  });

  it('add_metadata_columns adds and fills the _sdc_* columns', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path, add_metadata_columns: true }, {
      text: lines(schema('meta', { id: ID }), record('meta', { id: 1 }, { time_extracted: '2024-01-02T03:04:05Z' }), state({ s: 1 })),
    });
    expect(run.code, run.stderr).toBe(0);
    const [row] = await readRows(path, 'meta', ['id', '_sdc_extracted_at', '_sdc_received_at', '_sdc_batched_at', '_sdc_deleted_at', '_sdc_table_version', '_sdc_sequence']);
    expect(row).toMatchObject({ id: 1, _sdc_extracted_at: '2024-01-02T03:04:05.000000+00:00', _sdc_deleted_at: null, _sdc_table_version: null });
    expect(typeof row!._sdc_received_at).toBe('string');
    expect(typeof row!._sdc_batched_at).toBe('string');
    // A sequence past 2^53 reads back as an exact bigint.
    expect(['number', 'bigint']).toContain(typeof row!._sdc_sequence);
  });

  it.each([
    ['100000000000000000000', 10n ** 20n],
    ['18446744073709551615', 18446744073709551615n],
    ['-9223372036854775809', -9223372036854775809n],
  ])('a value DuckDB cannot store (%s in BIGINT) fails with the stream, column and input line; the STATE before it is not printed for it', async (digits, value) => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path }, {
      text: lines(schema('big', { id: ID, n: { type: ['null', 'integer'] } }), record('big', { id: 1, n: 5 }), record('big', { id: 2, n: value }), state({ s: 1 })),
    });
    expect(run.code).toBe(6);
    expect(run.states).toEqual([]);
    // The staged value keeps every digit (HUGEINT, INT128 to DuckDB); BIGINT is INT64.
    expect(run.errLines.at(-1)).toMatch(
      new RegExp(
        `data error: line 3, stream "big", column "n": DuckDB rejected a value: Type INT128 with value ${digits} can't be cast because the value is out of range for the destination type INT64\\. The destination column cannot hold this value; fix the source value or widen the column$`,
      ),
    );
    expect(await count(path, 'big')).toBe(0);
  });

  it('with validate_records off, a value its column rejects is one error line; the records and STATE before it are kept', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path, validate_records: false }, {
      text: lines(
        schema('counts', { id: ID, n: { type: ['null', 'integer'] } }),
        record('counts', { id: 1, n: 7 }),
        state({ at: 1 }),
        record('counts', { id: 2, n: 1.5 }),
        state({ at: 2 }),
      ),
    });
    expect(run.code).toBe(6);
    expect(run.states).toEqual([{ at: 1 }]);
    expect(await readRows(path, 'counts', ['id', 'n'])).toEqual([{ id: 1, n: 7 }]);
    const mentions = run.stderr.split('\n').filter((line) => line.includes('1.5'));
    expect(mentions).toEqual([expect.stringMatching(/ERROR .*line 4, stream "counts", column "n": value 1\.5 does not fit the BIGINT column/)]);
  });

  it('a value rejected while committing what the last STATE covers, after bad input elsewhere, is a warning of its own', async () => {
    const path = fresh();
    const run = await runWithConfig(targetBin, { path, validate_records: false }, {
      text: `${lines(schema('counts', { id: ID, n: { type: ['null', 'integer'] } }), record('counts', { id: 1, n: 1.5 }), state({ at: 1 }))}{"type":"RECORD",\n`,
    });
    expect(run.code).toBe(6);
    expect(run.states).toEqual([]);
    expect(await count(path, 'counts')).toBe(0);
    expect(run.stderr).toMatch(/WARN .*also rejected while committing the records the last STATE covers: .*line 2, stream "counts", column "n": value 1\.5 does not fit/);
    expect(run.stderr).toMatch(/ERROR .*line 4/);
  });

  it('a database file locked by another process is one clear connection error naming the file, exit 5', async () => {
    const path = fresh();
    // This test process holds the write lock, as a second writer would.
    const holder = await openDuckDB({ path }, new Logger({ program: 'test', level: 'silent' }));
    try {
      const run = await runWithConfig(targetBin, { path }, { text: lines(schema('x', { id: ID }), record('x', { id: 1 }), state({ s: 1 })) });
      expect(run.code).toBe(5);
      expect(run.states).toEqual([]);
      const last = run.errLines.at(-1) ?? '';
      expect(last).toContain(`connection error: file ${path}: the DuckDB file ${path} is locked by another process`);
      expect(last).toContain(`PID ${process.pid}`);
      expect(last).toMatch(/DuckDB lets one process write a file at a time: wait for PID \d+ to finish \(or stop it\), then run again$/);
    } finally {
      await holder.close();
    }
  });
});
