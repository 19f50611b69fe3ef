import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresPasswordRole, postgresTestUrl } from '@tapline/conformance';
import { catalogWith, openFixture, readUntil, records, messages, runTap, startTap, type Fixture } from './postgres-fixture.js';

const url = postgresTestUrl();
const suite = url === undefined ? describe.skip : describe;
type Json = Record<string, unknown>;
const ids = (rows: Json[]): number[] => rows.map((row) => row.id as number);

suite(url === undefined ? 'tap-postgres sync (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : 'tap-postgres sync', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await openFixture(url as string);
    const s = fx.schema;
    // Wide enough rows that the output outgrows the pipe and the writer's buffer long before the end.
    await fx.sql(`CREATE TABLE ${s}.big (id int PRIMARY KEY, pad text)`);
    await fx.sql(`INSERT INTO ${s}.big SELECT g, repeat('x', 200) FROM generate_series(1, 30000) g`);
    await fx.sql(`CREATE TABLE ${s}.events (id int PRIMARY KEY, updated_at timestamptz NOT NULL, pad text)`);
    await fx.sql(`INSERT INTO ${s}.events SELECT g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', repeat('y', 200) FROM generate_series(1, 20000) g`);
    await fx.sql(`CREATE TABLE ${s}.empty (id int PRIMARY KEY, updated_at timestamptz)`);
    await fx.sql(`CREATE TABLE ${s}.secret (id int PRIMARY KEY)`);
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('FULL_TABLE resumes after SIGKILL from the last STATE: every row, the rest once, same version', async () => {
    const id = `${fx.schema}-big`;
    const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'FULL_TABLE' } });
    const child = await startTap(fx, { catalog, config: { state_every_rows: 500 }, name: 'killed' });
    const { lines: seen } = await readUntil(child, (lines) => lines.filter((line) => line.startsWith('{"type":"STATE"')).length >= 3);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const first = seen.map((line) => JSON.parse(line) as Json);
    expect(first.some((m) => m.type === 'ACTIVATE_VERSION'), 'the first ever scan activates its version at the start').toBe(true);
    const states = first.filter((m) => m.type === 'STATE');
    const lastState = states.at(-1)?.value as { bookmarks: Record<string, Json> };
    const bookmark = lastState.bookmarks[id] as { version: number; full_table_resume: { id: string } };
    const resumeAfter = Number(bookmark.full_table_resume.id);
    expect(resumeAfter).toBeGreaterThanOrEqual(1000);
    expect(resumeAfter).toBeLessThan(30000);
    const firstIds = ids(first.filter((m) => m.type === 'RECORD').map((m) => m.record as Json));

    const second = await runTap(fx, { catalog, state: lastState, config: { state_every_rows: 500 }, name: 'resumed' });
    expect(second.code, second.stderr).toBe(0);
    const secondIds = ids(records(second, id));
    expect(secondIds[0]).toBe(resumeAfter + 1);
    expect(new Set(secondIds).size).toBe(secondIds.length);
    expect(secondIds).toHaveLength(30000 - resumeAfter);
    const union = new Set([...firstIds, ...secondIds]);
    expect(union.size).toBe(30000);
    for (const record of messages(second, 'RECORD')) expect(record.version).toBe(bookmark.version);
    const activations = messages(second, 'ACTIVATE_VERSION');
    expect(activations).toEqual([{ type: 'ACTIVATE_VERSION', stream: id, version: bookmark.version }]);
    expect(second.messages.findIndex((m) => m.type === 'ACTIVATE_VERSION')).toBeGreaterThan(second.messages.findLastIndex((m) => m.type === 'RECORD'));
    expect(second.states.at(-1)).toEqual({ bookmarks: { [id]: { last_replication_method: 'FULL_TABLE', version: bookmark.version } }, currently_syncing: null });
    // The first STATE echoes the state the run started from.
    expect(second.messages[0]).toEqual({ type: 'STATE', value: lastState });
  });

  it('INCREMENTAL reads rows >= the bookmark, up to the signpost, and gives an empty stream a STATE', async () => {
    const id = `${fx.schema}-events`;
    const empty = `${fx.schema}-empty`;
    const catalog = await catalogWith(fx, {
      [id]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
      [empty]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
    });
    // Rows inserted after the sync started, with larger keys, are not chased: pause the tap (backpressure)
    // after its first records, insert, then let it finish.
    const child = await startTap(fx, { catalog, name: 'signpost' });
    const { lines, partial } = await readUntil(child, (read) => read.some((line) => line.startsWith('{"type":"RECORD"')));
    await fx.sql(`INSERT INTO ${fx.schema}.events SELECT g, timestamptz '2030-01-01 00:00:00+00' + g * interval '1 minute', 'late' FROM generate_series(20001, 20010) g`);
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
    await fx.sql(`UPDATE ${fx.schema}.events SET updated_at = timestamptz '2031-01-01 00:00:00+00' WHERE id = 5`);
    const next = await runTap(fx, { catalog, state, name: 'incremental-2' });
    expect(next.code, next.stderr).toBe(0);
    expect(ids(records(next, id))).toEqual([20000, 20001, 20002, 20003, 20004, 20005, 20006, 20007, 20008, 20009, 20010, 5]);
    expect(records(next, empty)).toEqual([]);
    expect((next.states.at(-1) as { bookmarks: Record<string, Json> }).bookmarks[id]).toEqual({
      last_replication_method: 'INCREMENTAL', replication_key: 'updated_at', replication_key_value: '2031-01-01T00:00:00+00:00',
    });
    expect(next.stderr).toContain(`METRIC: {"type":"counter","metric":"record_count","value":0,"tags":{"stream":"${empty}"}}`);
  });

  describe('bad input: one clear line, an exit code, no secret', () => {
    const lastLine = (run: { errLines: string[] }): string => run.errLines.at(-1) ?? '';

    it('wrong password', async () => {
      const role = postgresPasswordRole();
      if (role === undefined) return; // needs the password role of .ci/setup-postgres-auth.sh
      const run = await runTap(fx, { config: { user: role.user, password: 'wrong-password-xyz' }, catalog: { streams: [] }, name: 'badpw' });
      expect(run.code).toBe(5);
      expect(lastLine(run)).toMatch(/connection error: PostgreSQL refused the login: password authentication failed for user "tapline_auth"\. Check user and password/);
      expect(run.stderr + run.stdout).not.toContain('wrong-password-xyz');
    });

    it('unreachable host (closed port)', async () => {
      const run = await runTap(fx, { config: { port: 1, connect_timeout_seconds: 5 }, catalog: { streams: [] }, name: 'closed' });
      expect(run.code).toBe(5);
      expect(lastLine(run)).toMatch(/connection error: cannot reach the PostgreSQL server: .*ECONNREFUSED.*Check host, port/);
    });

    it('unknown database', async () => {
      const run = await runTap(fx, { config: { database: 'no_such_db_tapline' }, catalog: { streams: [] }, name: 'nodb' });
      expect(run.code).toBe(2);
      expect(lastLine(run)).toMatch(/configuration error: database "no_such_db_tapline" does not exist\. Check `database` in the config/);
    });

    it('a table in the catalog that does not exist', async () => {
      const catalog = await catalogWith(fx, { [`${fx.schema}-big`]: {} });
      const stream = (catalog.streams as Json[]).find((s) => s.tap_stream_id === `${fx.schema}-big`) as Json;
      stream.tap_stream_id = `${fx.schema}-gone`;
      stream.table_name = 'gone';
      const run = await runTap(fx, { catalog, name: 'missing' });
      expect(run.code).toBe(4);
      expect(run.messages.filter((m) => m.type === 'RECORD')).toEqual([]);
      expect(lastLine(run)).toContain(`discovery error: stream "${fx.schema}-gone": table ${fx.schema}.gone does not exist, or the configured user cannot see it. Run --discover again`);
    });

    it('permission denied', async () => {
      const role = `tap_noperm_${process.pid}`;
      await fx.sql(`DROP ROLE IF EXISTS ${role}`);
      await fx.sql(`CREATE ROLE ${role} LOGIN`);
      await fx.sql(`GRANT USAGE ON SCHEMA ${fx.schema} TO ${role}`);
      try {
        const catalog = await catalogWith(fx, { [`${fx.schema}-secret`]: {} });
        const run = await runTap(fx, { catalog, config: { user: role }, name: 'noperm' });
        expect(run.code).toBe(5);
        expect(lastLine(run)).toMatch(new RegExp(`connection error: stream "${fx.schema}-secret": permission denied for table secret\\. GRANT`));
      } finally {
        await fx.sql(`DROP OWNED BY ${role}`);
        await fx.sql(`DROP ROLE ${role}`);
      }
    });

    it('a replication key that is not a column', async () => {
      const id = `${fx.schema}-events`;
      const catalog = await catalogWith(fx, { [id]: { 'replication-method': 'INCREMENTAL', 'replication-key': 'modified' } });
      const run = await runTap(fx, { catalog, name: 'badkey' });
      expect(run.code).toBe(4);
      expect(lastLine(run)).toContain(`discovery error: stream "${id}", column "modified": replication key "modified" is not a column of ${fx.schema}.events`);
      expect(run.messages.filter((m) => m.type === 'RECORD')).toEqual([]);
    });
  });
});
