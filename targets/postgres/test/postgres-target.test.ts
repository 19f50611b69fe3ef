/**
 * target-postgres beyond the fixture cases: schema evolution, load methods, ACTIVATE_VERSION,
 * identifiers, and the one clear line for each way a load can fail. Rows are read back from PostgreSQL.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresPasswordRole } from '@tapline/conformance';
import { connectionConfig, count, dropSchema, lines, readRows, runTargetPostgres, uniqueSchema, url, withClient } from './postgres-test-helpers.js';

const title = (name: string) => `${name}${url === undefined ? ' (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : ''}`;
const schemas: string[] = [];
function freshSchema(prefix: string): string {
  const schema = uniqueSchema(prefix);
  schemas.push(schema);
  return schema;
}
afterAll(async () => {
  if (url !== undefined) for (const schema of schemas) await dropSchema(schema);
});

const schemaMessage = (stream: string, properties: Record<string, unknown>, keys: string[] = ['id']) => ({
  type: 'SCHEMA',
  stream,
  schema: { type: 'object', properties },
  key_properties: keys,
});
const record = (stream: string, value: Record<string, unknown>, version?: number) => ({ type: 'RECORD', stream, record: value, ...(version === undefined ? {} : { version }) });
const state = (value: unknown) => ({ type: 'STATE', value });

async function columnTypes(schema: string, table: string): Promise<Record<string, string>> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [schema, table],
    );
    return Object.fromEntries(rows.map((row) => [row.column_name, row.data_type]));
  });
}

describe.skipIf(url === undefined)(title('target-postgres schema evolution'), () => {
  it('adds columns, widens integer -> number -> string, keeps columns a later schema leaves out, loses nothing', async () => {
    const schema = freshSchema('evolve');
    const config = { ...connectionConfig(), default_target_schema: schema };
    const first = await runTargetPostgres(config, {
      text: lines(
        schemaMessage('items', { id: { type: 'integer' }, n: { type: ['null', 'integer'] }, gone: { type: ['null', 'string'] } }),
        record('items', { id: 1, n: 9007199254740991, gone: 'kept' }),
        state({ bookmarks: { items: { id: 1 } } }),
      ),
    });
    expect(first.code, first.stderr).toBe(0);
    expect(await columnTypes(schema, 'items')).toEqual({ id: 'bigint', n: 'bigint', gone: 'text' });

    // A second run, as a tap would after its source changed: n widens twice, `gone` disappears, `extra` appears.
    const second = await runTargetPostgres(config, {
      text: lines(
        schemaMessage('items', { id: { type: 'integer' }, n: { type: ['null', 'number'] }, extra: { type: ['null', 'string'], format: 'date' } }),
        record('items', { id: 2, n: 2.5, extra: '2024-02-29' }),
        schemaMessage('items', { id: { type: 'integer' }, n: { type: ['null', 'string'] }, extra: { type: ['null', 'string'], format: 'date' } }),
        record('items', { id: 3, n: 'three', extra: null }),
        // Narrowing back to integer keeps the text column.
        schemaMessage('items', { id: { type: 'integer' }, n: { type: ['null', 'integer'] } }),
        record('items', { id: 4, n: 4 }),
        state({ bookmarks: { items: { id: 4 } } }),
      ),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(second.states).toEqual([{ bookmarks: { items: { id: 4 } } }]);
    expect(await columnTypes(schema, 'items')).toEqual({ id: 'bigint', n: 'text', gone: 'text', extra: 'date' });
    const rows = await readRows(schema, 'items', ['id', 'n', 'gone', 'extra'], 'ORDER BY id');
    expect(rows).toEqual([
      // bigint -> double precision -> text: 2^53 - 1 is exact in a double.
      { id: 1, n: '9007199254740991', gone: 'kept', extra: null },
      { id: 2, n: '2.5', gone: null, extra: '2024-02-29' },
      { id: 3, n: 'three', gone: null, extra: null },
      { id: 4, n: '4', gone: null, extra: null },
    ]);
  });

  it('widens a double column to numeric exactly when a later schema asks for exact decimals, and anything to jsonb', async () => {
    const schema = freshSchema('widen');
    const config = { ...connectionConfig(), default_target_schema: schema };
    const run = await runTargetPostgres(config, {
      text: lines(
        schemaMessage('m', { id: { type: 'integer' }, x: { type: ['null', 'number'] }, y: { type: ['null', 'integer'] } }),
        record('m', { id: 1, x: 0.1, y: 7 }),
        schemaMessage('m', { id: { type: 'integer' }, x: { type: ['null', 'string'], format: 'singer.decimal' }, y: { type: ['null', 'object'] } }),
        record('m', { id: 2, x: '12345678901234567890.123456789', y: { a: [1] } }),
        state({ bookmarks: { m: { id: 2 } } }),
      ),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await columnTypes(schema, 'm')).toEqual({ id: 'bigint', x: 'numeric', y: 'jsonb' });
    expect(await readRows(schema, 'm', ['id', 'x', 'y'], 'ORDER BY id')).toEqual([
      { id: 1, x: '0.1', y: 7 },
      { id: 2, x: '12345678901234567890.123456789', y: { a: [1] } },
    ]);
  });
});

describe.skipIf(url === undefined)(title('target-postgres load methods'), () => {
  const users = schemaMessage('users', { id: { type: 'integer' }, name: { type: ['null', 'string'] } });

  it('upsert: the last record per key wins, within a batch and across batches', async () => {
    const schema = freshSchema('upsert');
    const input = lines(
      users,
      record('users', { id: 1, name: 'a1' }),
      record('users', { id: 2, name: 'b1' }),
      record('users', { id: 1, name: 'a2' }),
      record('users', { id: 3, name: 'c1' }),
      record('users', { id: 2, name: 'b2' }),
      record('users', { id: 1, name: 'a3' }),
      state({ bookmarks: { users: { id: 3 } } }),
    );
    for (const batch of [1000, 2]) {
      const run = await runTargetPostgres({ ...connectionConfig(), default_target_schema: schema, batch_size_rows: batch }, { text: input });
      expect(run.code, run.stderr).toBe(0);
      expect(await readRows(schema, 'users', ['id', 'name'], 'ORDER BY id')).toEqual([
        { id: 1, name: 'a3' },
        { id: 2, name: 'b2' },
        { id: 3, name: 'c1' },
      ]);
    }
  });

  it('integers beyond 2^53 load with every digit: bigint limits, upsert keys one apart, nested in jsonb, and in STATE', async () => {
    const schema = freshSchema('bigints');
    const input = [
      '{"type":"SCHEMA","stream":"ids","schema":{"type":"object","properties":{"id":{"type":"integer"},"n":{"type":["integer","null"]},"doc":{}}},"key_properties":["id"]}',
      '{"type":"RECORD","stream":"ids","record":{"id":9223372036854775807,"n":-9223372036854775808,"doc":{"parent":[12345678901234567890]}}}',
      '{"type":"RECORD","stream":"ids","record":{"id":9007199254740993,"n":1}}',
      '{"type":"RECORD","stream":"ids","record":{"id":9007199254740992,"n":2}}',
      // Escaped key: parsed in full rather than scanned, with the same exactness.
      '{"type":"RECORD","stream":"ids","record":{"\\u0069d":9007199254740993,"n":9007199254740995}}',
      '{"type":"STATE","value":{"bookmarks":{"ids":{"replication_key_value":18446744073709551615}}}}',
    ].join('\n');
    for (const batch of [1000, 1]) {
      const run = await runTargetPostgres({ ...connectionConfig(), default_target_schema: schema, batch_size_rows: batch }, { text: `${input}\n` });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe('{"type":"STATE","value":{"bookmarks":{"ids":{"replication_key_value":18446744073709551615}}}}');
      const rows = await withClient((client) => client.query(`SELECT id::text AS id, n::text AS n, doc::text AS doc FROM "${schema}".ids ORDER BY id`));
      expect(rows.rows).toEqual([
        { id: '9007199254740992', n: '2', doc: null },
        { id: '9007199254740993', n: '9007199254740995', doc: null },
        { id: '9223372036854775807', n: '-9223372036854775808', doc: '{"parent": [12345678901234567890]}' },
      ]);
    }
  });

  it('a double precision column (type number) holds the nearest double of an integer beyond 2^53', async () => {
    const schema = freshSchema('bigdouble');
    const run = await runTargetPostgres({ ...connectionConfig(), default_target_schema: schema }, {
      text: '{"type":"SCHEMA","stream":"f","schema":{"type":"object","properties":{"id":{"type":"integer"},"x":{"type":["null","number"]}}},"key_properties":["id"]}\n{"type":"RECORD","stream":"f","record":{"id":1,"x":9007199254740993}}\n',
    });
    expect(run.code, run.stderr).toBe(0);
    const rows = await withClient((client) => client.query(`SELECT pg_typeof(x)::text AS type, x::text AS x FROM "${schema}".f`));
    expect(rows.rows).toEqual([{ type: 'double precision', x: '9.007199254740992e+15' }]);
  });

  it('an integer beyond the bigint range: stream, column and input line, exit 6', async () => {
    const schema = freshSchema('bigrange');
    const run = await runTargetPostgres({ ...connectionConfig(), default_target_schema: schema }, {
      text: `${lines(users)}{"type":"RECORD","stream":"users","record":{"id":9223372036854775808,"name":"x"}}\n`,
    });
    expect(run.code).toBe(6);
    expect(run.errLines.at(-1)).toMatch(/data error: line 2, stream "users", column "id": PostgreSQL rejected a value: value "9223372036854775808" is out of range for type bigint/);
  });

  it('append keeps every record, duplicates included', async () => {
    const schema = freshSchema('append');
    const config = { ...connectionConfig(), default_target_schema: schema, load_method: 'append' };
    const input = lines(users, record('users', { id: 1, name: 'a' }), record('users', { id: 1, name: 'a again' }), state({ bookmarks: { users: { id: 1 } } }));
    for (let i = 0; i < 2; i += 1) expect((await runTargetPostgres(config, { text: input })).code).toBe(0);
    expect(await readRows(schema, 'users', ['id', 'name'], 'ORDER BY id, name')).toEqual([
      { id: 1, name: 'a' },
      { id: 1, name: 'a' },
      { id: 1, name: 'a again' },
      { id: 1, name: 'a again' },
    ]);
  });

  it('overwrite: a run replaces the rows of the run before, in several batches', async () => {
    const schema = freshSchema('overwrite');
    const config = { ...connectionConfig(), default_target_schema: schema, load_method: 'overwrite', batch_size_rows: 1 };
    const first = await runTargetPostgres(config, {
      text: lines(users, record('users', { id: 1, name: 'old' }), record('users', { id: 2, name: 'old' }), record('users', { id: 3, name: 'old' }), state({ bookmarks: { users: {} } })),
    });
    expect(first.code, first.stderr).toBe(0);
    const second = await runTargetPostgres(config, {
      text: lines(users, record('users', { id: 3, name: 'new' }), record('users', { id: 4, name: 'new' }), record('users', { id: 4, name: 'newer' }), state({ bookmarks: { users: { run: 2 } } })),
    });
    expect(second.code, second.stderr).toBe(0);
    expect(await readRows(schema, 'users', ['id', 'name'], 'ORDER BY id')).toEqual([
      { id: 3, name: 'new' },
      { id: 4, name: 'newer' },
    ]);
  });
});

describe.skipIf(url === undefined)(title('target-postgres ACTIVATE_VERSION'), () => {
  const items = schemaMessage('items', { id: { type: 'integer' }, v: { type: ['null', 'string'] } });
  const activate = (version: number) => ({ type: 'ACTIVATE_VERSION', stream: 'items', version });
  const fullSync = (version: number, ids: number[]) =>
    lines(items, activate(version), ...ids.map((id) => record('items', { id, v: `v${version}` }, version)), activate(version), state({ bookmarks: { items: { version } } }));

  it('hard_delete removes the rows an older version had and the new one lacks', async () => {
    const schema = freshSchema('hard');
    const config = { ...connectionConfig(), default_target_schema: schema, hard_delete: true };
    expect((await runTargetPostgres(config, { text: fullSync(100, [1, 2, 3]) })).code).toBe(0);
    const run = await runTargetPostgres(config, { text: fullSync(200, [2, 3]) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.states).toEqual([{ bookmarks: { items: { version: 200 } } }]);
    expect(await readRows(schema, 'items', ['id', 'v', '_sdc_table_version'], 'ORDER BY id')).toEqual([
      { id: 2, v: 'v200', _sdc_table_version: 200 },
      { id: 3, v: 'v200', _sdc_table_version: 200 },
    ]);
  });

  it('soft delete marks them with _sdc_deleted_at and keeps them', async () => {
    const schema = freshSchema('soft');
    const config = { ...connectionConfig(), default_target_schema: schema };
    expect((await runTargetPostgres(config, { text: fullSync(100, [1, 2, 3]) })).code).toBe(0);
    expect((await runTargetPostgres(config, { text: fullSync(200, [2, 3]) })).code).toBe(0);
    const rows = await readRows(schema, 'items', ['id', 'v', '_sdc_table_version', '_sdc_deleted_at'], 'ORDER BY id');
    expect(rows.map((row) => ({ ...row, _sdc_deleted_at: row._sdc_deleted_at === null ? null : 'set' }))).toEqual([
      { id: 1, v: 'v100', _sdc_table_version: 100, _sdc_deleted_at: 'set' },
      { id: 2, v: 'v200', _sdc_table_version: 200, _sdc_deleted_at: null },
      { id: 3, v: 'v200', _sdc_table_version: 200, _sdc_deleted_at: null },
    ]);
  });

  it('add_metadata_columns fills every _sdc_ column', async () => {
    const schema = freshSchema('meta');
    const config = { ...connectionConfig(), default_target_schema: schema, add_metadata_columns: true };
    const run = await runTargetPostgres(config, {
      text: lines(items, { ...record('items', { id: 1, v: 'x' }, 5), time_extracted: '2024-01-01T00:00:00Z' }, state({ bookmarks: { items: {} } })),
    });
    expect(run.code, run.stderr).toBe(0);
    const [row] = await readRows(schema, 'items', ['_sdc_extracted_at', '_sdc_received_at', '_sdc_batched_at', '_sdc_deleted_at', '_sdc_table_version', '_sdc_sequence']);
    expect(row).toMatchObject({ _sdc_extracted_at: '2024-01-01T00:00:00+00:00', _sdc_deleted_at: null, _sdc_table_version: 5 });
    expect(row!._sdc_received_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(row!._sdc_batched_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(Number(row!._sdc_sequence)).toBeGreaterThan(1e17);
  });
});

describe.skipIf(url === undefined)(title('target-postgres identifiers'), () => {
  it('names over 63 bytes stay distinct; quotes and unicode survive', async () => {
    const schema = freshSchema('names');
    const shared = 'a_property_name_that_is_much_longer_than_postgres_allows_for_names';
    const long1 = `${shared}_first`;
    const long2 = `${shared}_second`;
    const accented = 'é'.repeat(40); // 80 bytes: must be cut on a character boundary
    const stream = `a "quoted" stream ${'s'.repeat(60)}`;
    const properties = { id: { type: 'integer' }, [long1]: { type: ['null', 'string'] }, [long2]: { type: ['null', 'string'] }, [accented]: { type: ['null', 'string'] }, 'it\'s "q"': { type: ['null', 'string'] } };
    const value = { id: 1, [long1]: 'one', [long2]: 'two', [accented]: 'é', 'it\'s "q"': 'quoted' };
    const run = await runTargetPostgres({ ...connectionConfig(), default_target_schema: schema }, {
      text: lines(schemaMessage(stream, properties), record(stream, value), state({ bookmarks: { s: 1 } })),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await readRows(schema, stream, Object.keys(properties))).toEqual([value]);
    const tables = await withClient((client) => client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]));
    expect(tables.rows).toHaveLength(1);
    const columns = Object.keys(await columnTypes(schema, tables.rows[0]!.table_name));
    expect(columns).toHaveLength(5);
    for (const name of [...columns, tables.rows[0]!.table_name]) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.skipIf(url === undefined)(title('target-postgres bad input'), () => {
  const users = schemaMessage('users', { id: { type: 'integer' }, name: { type: ['null', 'string'] } });
  const input = lines(users, record('users', { id: 1, name: 'Ada' }), state({ bookmarks: { users: { id: 1 } } }));

  it.skipIf(postgresPasswordRole() === undefined)('a wrong password: one line, exit 5, no secret printed', async () => {
    const role = postgresPasswordRole()!;
    const password = 'not-the-right-password-123';
    const run = await runTargetPostgres({ ...connectionConfig(), user: role.user, password }, { text: input });
    expect(run.code).toBe(5);
    expect(run.states).toEqual([]);
    expect(run.errLines.at(-1)).toMatch(/connection error: .*refused the login.*Check user and password/);
    expect(run.stderr).not.toContain(password);
  });

  it('an unreachable host: one line, exit 5', async () => {
    const run = await runTargetPostgres({ ...connectionConfig(), host: '127.0.0.1', port: await closedPort() }, { text: input });
    expect(run.code).toBe(5);
    expect(run.errLines.at(-1)).toMatch(/connection error: .*cannot reach the PostgreSQL server/);
  });

  it('no CREATE privilege on the target schema: one line naming the stream, exit 5', async () => {
    const schema = freshSchema('noperm');
    const role = `${schema}_role`;
    await withClient(async (client) => {
      await client.query(`CREATE SCHEMA "${schema}"; CREATE ROLE "${role}" LOGIN; GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
    });
    try {
      const run = await runTargetPostgres({ ...connectionConfig(), user: role, default_target_schema: schema }, { text: input });
      expect(run.code).toBe(5);
      expect(run.states).toEqual([]);
      expect(run.errLines.at(-1)).toMatch(/connection error: line 1, stream "users": permission denied.* for schema .*GRANT/);
    } finally {
      await withClient((client) => client.query(`DROP SCHEMA "${schema}" CASCADE; DROP ROLE "${role}"`));
    }
  });

  it('a value too long for an existing varchar column: stream, column and input line, exit 6; what was confirmed stays', async () => {
    const schema = freshSchema('varchar');
    await withClient((client) => client.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".users (id bigint PRIMARY KEY, name varchar(5))`));
    const run = await runTargetPostgres({ ...connectionConfig(), default_target_schema: schema, batch_size_rows: 1 }, {
      text: lines(
        users,
        record('users', { id: 1, name: 'Ada' }),
        state({ bookmarks: { users: { id: 1 } } }),
        record('users', { id: 2, name: 'Grace' }),
        record('users', { id: 3, name: 'Barbara' }),
        state({ bookmarks: { users: { id: 3 } } }),
      ),
    });
    expect(run.code).toBe(6);
    expect(run.errLines.at(-1)).toMatch(/data error: line 5, stream "users", column "name": PostgreSQL rejected a value: value too long for type character varying\(5\)/);
    // The failing batch is rolled back; batches before it stay, and only the STATE they cover was printed.
    expect(run.states).toEqual([{ bookmarks: { users: { id: 1 } } }]);
    expect(await readRows(schema, 'users', ['id', 'name'], 'ORDER BY id')).toEqual([
      { id: 1, name: 'Ada' },
      { id: 2, name: 'Grace' },
    ]);
  });

  it('a date PostgreSQL cannot hold (year 0) that passed validation: stream, column and line, exit 6', async () => {
    const schema = freshSchema('baddate');
    const run = await runTargetPostgres({ ...connectionConfig(), default_target_schema: schema }, {
      text: lines(
        schemaMessage('events', { id: { type: 'integer' }, day: { type: ['null', 'string'], format: 'date' } }),
        record('events', { id: 1, day: '2024-01-01' }),
        record('events', { id: 2, day: '0000-01-01' }),
        state({ bookmarks: { events: { id: 2 } } }),
      ),
    });
    expect(run.code).toBe(6);
    expect(run.errLines.at(-1)).toMatch(/data error: line 3, stream "events", column "day": PostgreSQL rejected a value: date\/time field value out of range/);
    expect(await count(schema, 'events')).toBe(0);
  });
});
