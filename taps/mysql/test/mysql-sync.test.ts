import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlTestUrl } from '@tapline/conformance';
import { catalogWith, messages, openFixture, readUntil, records, runTap, startTap, type Fixture } from './mysql-fixture.js';

const url = mysqlTestUrl();
const suite = url === undefined ? describe.skip : describe;
type Json = Record<string, unknown>;
const ids = (rows: Json[]): number[] => rows.map((row) => row.id as number);

suite(url === undefined ? 'tap-mysql sync (SKIPPED: set TAPLINE_TEST_MYSQL_URL)' : 'tap-mysql sync', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await openFixture(url as string, 'tapsync');
    // Wide enough rows that the output outgrows the pipe and the writer's buffer long before the end.
    await fx.sql(`CREATE TABLE big (id int PRIMARY KEY, pad text)`);
    await fx.sql(`INSERT INTO big SELECT seq, REPEAT('x', 200) FROM seq_1_to_30000`);
    await fx.sql(`CREATE TABLE pairs (a int, b varchar(20), pad text, PRIMARY KEY (a, b))`);
    await fx.sql(`INSERT INTO pairs SELECT seq DIV 10, CONCAT('k', seq MOD 10), REPEAT('p', 200) FROM seq_1_to_20000`);
    await fx.sql(`CREATE TABLE events (id int PRIMARY KEY, updated_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), pad text)`);
    await fx.sql(`INSERT INTO events SELECT seq, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE, REPEAT('y', 200) FROM seq_1_to_20000`);
    await fx.sql(`CREATE TABLE amounts (id int PRIMARY KEY, amount decimal(30,10) NOT NULL)`);
    await fx.sql(`INSERT INTO amounts VALUES (1, '12345678901234567890.0000000001'), (2, '12345678901234567890.0000000002'), (3, '12345678901234567890.0000000003')`);
    await fx.sql(`CREATE TABLE empty (id int PRIMARY KEY, updated_at datetime)`);
    await fx.sql(`CREATE TABLE bigkeys (id bigint unsigned PRIMARY KEY, v varchar(10))`);
    await fx.sql(`INSERT INTO bigkeys VALUES (9007199254740991, 'a'), (9007199254740993, 'b')`);
    await fx.sql(`CREATE TABLE blobs (k varbinary(8) PRIMARY KEY, n int)`);
    await fx.sql(`INSERT INTO blobs VALUES (0x00, 1), (0x0001, 2), (0x7f, 3), (0xff00, 4), (0xffff, 5)`);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  for (const [table, keyCount, total] of [['big', 1, 30000], ['pairs', 2, 20000]] as const) {
    it(`FULL_TABLE resumes after SIGKILL from the last STATE (${keyCount}-column key): every row once more at most, same version`, async () => {
      const id = `${fx.database}-${table}`;
      const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } });
      const child = await startTap(fx, { catalog, config: { state_every_rows: 500 }, name: `killed-${table}` });
      const { lines: seen } = await readUntil(child, (lines) => lines.filter((line) => line.startsWith('{"type":"STATE"')).length >= 3);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
      const first = seen.map((line) => JSON.parse(line) as Json);
      const lastState = first.filter((m) => m.type === 'STATE').at(-1)?.value as { bookmarks: Record<string, Json> };
      const bookmark = lastState.bookmarks[id] as { version: number; full_table_resume: Record<string, string> };
      expect(Object.keys(bookmark.full_table_resume)).toHaveLength(keyCount);
      const keyOf = (row: Json) => (keyCount === 1 ? String(row.id) : `${String(row.a)}/${String(row.b)}`);
      const firstKeys = first.filter((m) => m.type === 'RECORD').map((m) => keyOf(m.record as Json));

      const second = await runTap(fx, { catalog, state: lastState, config: { state_every_rows: 500 }, name: `resumed-${table}` });
      expect(second.code, second.stderr).toBe(0);
      const secondKeys = records(second, id).map(keyOf);
      const resume = keyCount === 1 ? bookmark.full_table_resume.id : `${bookmark.full_table_resume.a}/${bookmark.full_table_resume.b}`;
      // The resume point is the last row the first run emitted before its STATE; the second run starts after it.
      expect(firstKeys).toContain(resume);
      expect(secondKeys).not.toContain(resume);
      expect(new Set(secondKeys).size).toBe(secondKeys.length);
      expect(new Set([...firstKeys, ...secondKeys]).size).toBe(total);
      for (const record of messages(second, 'RECORD')) expect(record.version).toBe(bookmark.version);
      expect(messages(second, 'ACTIVATE_VERSION')).toEqual([{ type: 'ACTIVATE_VERSION', stream: id, version: bookmark.version }]);
      expect(second.states.at(-1)).toEqual({ bookmarks: { [id]: { last_replication_method: 'FULL_TABLE', version: bookmark.version } }, currently_syncing: null });
    });
  }

  it('INCREMENTAL reads rows >= the bookmark, up to the signpost, and gives an empty stream a STATE', async () => {
    const id = `${fx.database}-events`;
    const empty = `${fx.database}-empty`;
    const catalog = await catalogWith(fx, {
      [id]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
      [empty]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
    });
    // Rows inserted after the sync started, with larger keys, are not chased: pause the tap (backpressure)
    // after its first records, insert, then let it finish.
    const child = await startTap(fx, { catalog, name: 'signpost' });
    const { lines, partial } = await readUntil(child, (read) => read.some((line) => line.startsWith('{"type":"RECORD"')));
    await fx.sql(`INSERT INTO events SELECT seq, TIMESTAMP '2030-01-01 00:00:00' + INTERVAL seq MINUTE, 'late' FROM seq_20001_to_20010`);
    const rest: string[] = [];
    let tail = partial;
    child.stdout.on('data', (chunk: Buffer) => {
      const parts = (tail + chunk.toString('utf8')).split('\n');
      tail = parts.pop() ?? '';
      rest.push(...parts);
    });
    child.stdout.resume();
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const all = [...lines, ...rest].filter((line) => line !== '').map((line) => JSON.parse(line) as Json);
    const firstIds = all.filter((m) => m.type === 'RECORD' && m.stream === id).map((m) => (m.record as Json).id as number);
    expect(firstIds).toHaveLength(20000);
    expect(Math.max(...firstIds)).toBe(20000);
    const state = all.filter((m) => m.type === 'STATE').at(-1)?.value as { bookmarks: Record<string, Json> };
    expect(state).toEqual({
      bookmarks: {
        [id]: { last_replication_method: 'INCREMENTAL', replication_key: 'updated_at', replication_key_value: '2024-01-14T21:20:00+00:00' },
        [empty]: { last_replication_method: 'INCREMENTAL', replication_key: 'updated_at' },
      },
      currently_syncing: null,
    });

    // The next run starts at the bookmark: the row that has it again (>=), then the new ones.
    await fx.sql(`UPDATE events SET updated_at = TIMESTAMP '2031-01-01 00:00:00' WHERE id = 5`);
    const next = await runTap(fx, { catalog, state, name: 'incremental-2' });
    expect(next.code, next.stderr).toBe(0);
    expect(ids(records(next, id))).toEqual([20000, 20001, 20002, 20003, 20004, 20005, 20006, 20007, 20008, 20009, 20010, 5]);
    expect(records(next, empty)).toEqual([]);
    expect((next.states.at(-1) as { bookmarks: Record<string, Json> }).bookmarks[id]).toEqual({
      last_replication_method: 'INCREMENTAL', replication_key: 'updated_at', replication_key_value: '2031-01-01T00:00:00+00:00',
    });
  });

  it('stops promptly when the reader of its output goes away mid-table (rows still streaming in)', async () => {
    const id = `${fx.database}-big`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } });
    const child = await startTap(fx, { catalog, name: 'epipe' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await readUntil(child, (lines) => lines.some((line) => line.startsWith('{"type":"RECORD"')));
    child.stdout.destroy();
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/the program reading our output has exited/);
  });

  it('FULL_TABLE resumes after a binary key, compared byte by byte', async () => {
    const id = `${fx.database}-blobs`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } });
    const first = await runTap(fx, { catalog, name: 'blobs-1' });
    expect(first.code, first.stderr).toBe(0);
    expect(records(first, id).map((row) => row.k)).toEqual(['AA==', 'AAE=', 'fw==', '/wA=', '//8=']);
    // A run interrupted after 0x7f resumes with the rows after it.
    const state = { bookmarks: { [id]: { version: 1, full_table_resume: { k: 'fw==' } } } };
    const resumed = await runTap(fx, { catalog, state, name: 'blobs-2' });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(records(resumed, id)).toEqual([{ k: '/wA=', n: 4 }, { k: '//8=', n: 5 }]);
  });

  it('INCREMENTAL on a DECIMAL key compares exactly (digits a double would lose)', async () => {
    const id = `${fx.database}-amounts`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'amount' } });
    const state = { bookmarks: { [id]: { replication_key: 'amount', replication_key_value: '12345678901234567890.0000000002' } } };
    const run = await runTap(fx, { catalog, state, name: 'decimal-key' });
    expect(run.code, run.stderr).toBe(0);
    expect(ids(records(run, id))).toEqual([2, 3]);
    expect((run.states.at(-1) as { bookmarks: Record<string, Json> }).bookmarks[id]).toMatchObject({ replication_key_value: '12345678901234567890.0000000003' });
  });

  it('INCREMENTAL on a BIGINT UNSIGNED key beyond 2^53: the signpost and the bookmark stay exact', async () => {
    const id = `${fx.database}-bigkeys`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'id' } });
    const first = await runTap(fx, { catalog, name: 'bigkeys-1' });
    expect(first.code, first.stderr).toBe(0);
    // The maximum is 2^53 + 1: read as a double it would be 2^53 and the signpost would leave its row out.
    expect(records(first, id).map((row) => row.v)).toEqual(['a', 'b']);
    const state = first.states.at(-1) as { bookmarks: Record<string, Json> };
    expect(state.bookmarks[id]).toMatchObject({ replication_key_value: '9007199254740993' });
    await fx.sql(`INSERT INTO bigkeys VALUES (18446744073709551615, 'c')`);
    const next = await runTap(fx, { catalog, state, name: 'bigkeys-2' });
    expect(next.code, next.stderr).toBe(0);
    expect(records(next, id).map((row) => row.v)).toEqual(['b', 'c']);
  });

  it('a replication key that is not a column fails before any record', async () => {
    const id = `${fx.database}-events`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'modified' } });
    const run = await runTap(fx, { catalog, name: 'badkey' });
    expect(run.code).toBe(4);
    expect(run.errLines.at(-1)).toContain(`discovery error: stream "${id}", column "modified": replication key "modified" is not a column of ${fx.database}.events`);
    expect(run.messages.filter((m) => m.type === 'RECORD')).toEqual([]);
  });

  it('an unknown database is a configuration error', async () => {
    const run = await runTap(fx, { config: { database: 'no_such_db_tapline' }, catalog: { streams: [] }, name: 'nodb' });
    expect(run.code).toBe(2);
    expect(run.errLines.at(-1)).toMatch(/configuration error: Unknown database 'no_such_db_tapline'\. Check `database` in the config/);
  });
});
