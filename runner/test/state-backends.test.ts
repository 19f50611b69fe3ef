/**
 * The two state backends behind one interface, held to the same contract: what is saved is loaded, an
 * empty state and a bookmark that moves backwards are refused (the stored state stays), every replaced
 * state goes to the history that `rollback` walks back through. The PostgreSQL one runs against the real
 * server, including two workers sharing the table.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, StateRegressionError, type SingerState } from '@tapline/protocol';
import { FileStateBackend, PostgresStateBackend, type StateBackend } from '@tapline/runner';
import { tempDir } from './helpers.js';
import { dropSchemas, gate, sql, uniqueSchema, url } from './postgres-helpers.js';

const at = (value: number, stream = 'orders'): SingerState => ({
  bookmarks: { [stream]: { replication_key: 'id', replication_key_value: value } },
  currently_syncing: null,
});

/**
 * A state holding integers beyond 2^53: a foreign tap's unsigned 64-bit bookmark, a signed one at its
 * minimum, and a transform stage's parameters (kept under the stage's own top-level key).
 */
const huge = (value: bigint): SingerState => ({
  bookmarks: { orders: { replication_key: 'id', replication_key_value: value, low_water: -9223372036854775808n } },
  currently_syncing: null,
  'transform-impute': { params: { id: { fill: 9007199254740993n, seen: [18446744073709551615n, -9223372036854775808n] } } },
});

function describeBackendContract(name: string, make: () => Promise<StateBackend>, skip?: string): void {
  (skip ? describe.skip : describe)(`${name} state backend${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
    it('has no state at first, loads what it saved, and keeps the replaced state in the history', async () => {
      const backend = await make();
      try {
        expect(await backend.load()).toBeUndefined();
        expect(await backend.history()).toEqual([]);
        await backend.save(at(10), { keepHistory: true });
        expect(await backend.load()).toEqual(at(10));
        expect(await backend.history()).toEqual([]); // nothing was replaced
        await backend.save(at(20), { keepHistory: true });
        await backend.save(at(30), { keepHistory: false }); // later states of the same run
        expect(await backend.load()).toEqual(at(30));
        expect((await backend.history()).map((entry) => entry.state)).toEqual([at(10)]);
        expect((await backend.history())[0]!.replacedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      } finally {
        await backend.dispose();
      }
    });

    it('refuses an empty state and a bookmark that moves backwards; the stored state stays', async () => {
      const backend = await make();
      try {
        await backend.save(at(50), { keepHistory: true });
        await expect(backend.save({ bookmarks: {}, currently_syncing: null }, { keepHistory: true })).rejects.toThrow(/refusing to emit an empty state/);
        await expect(backend.save({ bookmarks: { orders: {} }, currently_syncing: null }, { keepHistory: true })).rejects.toThrow(/empty state/);
        const error = await backend.save(at(40), { keepHistory: true }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StateRegressionError);
        expect((error as Error).message).toMatch(/replication_key_value from 50 to 40/);
        expect((error as StateRegressionError).regressions.map((r) => r.stream)).toEqual(['orders']);
        expect(await backend.load()).toEqual(at(50));
        expect(await backend.history()).toEqual([]);
        // Another stream's bookmark is not judged against this one's, and a caller may allow the regression.
        await backend.save({ bookmarks: { ...at(50).bookmarks, ...at(1, 'users').bookmarks }, currently_syncing: null }, { keepHistory: false });
        await backend.save(at(40), { keepHistory: true, allowRegression: true });
        expect(await backend.load()).toEqual(at(40));
      } finally {
        await backend.dispose();
      }
    });

    it('keeps integers beyond 2^53 digit for digit: loaded, compared, in the history and rolled back', async () => {
      const backend = await make();
      try {
        await backend.save(huge(18446744073709551614n), { keepHistory: true });
        await backend.save(huge(18446744073709551615n), { keepHistory: true });
        const loaded = await backend.load();
        expect(loaded).toEqual(huge(18446744073709551615n));
        expect(loaded!.bookmarks.orders!.replication_key_value).toBe(18446744073709551615n);
        expect(loaded!.bookmarks.orders!.low_water).toBe(-9223372036854775808n);
        // One below is a step backwards (rounded to doubles, the two would be equal and pass).
        const error = await backend.save(huge(18446744073709551614n), { keepHistory: true }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StateRegressionError);
        expect((error as Error).message).toMatch(/replication_key_value from 18446744073709551615 to 18446744073709551614/);
        expect((await backend.history()).map((entry) => entry.state)).toEqual([huge(18446744073709551614n)]);
        expect(await backend.rollback()).toEqual(huge(18446744073709551614n));
        expect(await backend.load()).toEqual(huge(18446744073709551614n));
      } finally {
        await backend.dispose();
      }
    });

    it('rollback restores the states in reverse order, undoes a clear, and says when there is nothing left', async () => {
      const backend = await make();
      try {
        await expect(backend.rollback()).rejects.toThrow(ConfigurationError);
        await backend.save(at(1), { keepHistory: true });
        await backend.save(at(2), { keepHistory: true });
        await backend.save(at(3), { keepHistory: true });
        await backend.clear();
        expect(await backend.load()).toBeUndefined();
        expect(await backend.rollback()).toEqual(at(3));
        expect(await backend.load()).toEqual(at(3));
        expect(await backend.rollback()).toEqual(at(2));
        expect(await backend.rollback()).toEqual(at(1));
        expect(await backend.load()).toEqual(at(1));
        await expect(backend.rollback()).rejects.toThrow(/no earlier state to roll back to/);
        expect(await backend.load()).toEqual(at(1));
      } finally {
        await backend.dispose();
      }
    });
  });
}

let fileDir: string;
let fileCount = 0;
beforeAll(async () => {
  fileDir = await tempDir('backends');
});
afterAll(() => rm(fileDir, { recursive: true, force: true }));

describeBackendContract('file', async () => new FileStateBackend(join(fileDir, `case-${++fileCount}`, 'state.json')));

describe('file state backend: the file itself', () => {
  it('holds a plain Singer state any tap takes with --state, and leaves no temporary file behind', async () => {
    const path = join(fileDir, 'plain', 'orders.json');
    const backend = new FileStateBackend(path);
    await backend.save(at(7), { keepHistory: true });
    await backend.save(at(8), { keepHistory: true });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(at(8));
    expect((await readdir(join(fileDir, 'plain'))).sort()).toEqual(['orders.history.jsonl', 'orders.json']);
    const history = (await readFile(join(fileDir, 'plain', 'orders.history.jsonl'), 'utf8')).trim().split('\n');
    expect(history.map((line) => (JSON.parse(line) as { state: unknown }).state)).toEqual([at(7)]);
  });
});

describe('file state backend: integers beyond 2^53 in the file', () => {
  it('the state file and its history hold every digit, as a tap reading --state sees them', async () => {
    const path = join(fileDir, 'huge', 'orders.json');
    const backend = new FileStateBackend(path);
    await backend.save(huge(18446744073709551614n), { keepHistory: true });
    await backend.save(huge(18446744073709551615n), { keepHistory: true });
    const text = await readFile(path, 'utf8');
    expect(text).toContain('"replication_key_value":18446744073709551615,"low_water":-9223372036854775808}');
    expect(text).toContain('"fill":9007199254740993,"seen":[18446744073709551615,-9223372036854775808]');
    const history = await readFile(join(fileDir, 'huge', 'orders.history.jsonl'), 'utf8');
    expect(history).toContain('"replication_key_value":18446744073709551614,');
    // A state file an orchestrator wrote (appended STATE lines: the last wins) is read exactly too.
    await writeFile(path, [1, 2].map((n) => `{"type":"STATE","value":{"bookmarks":{"orders":{"replication_key_value":1844674407370955161${n + 3}}}}}`).join('\n'));
    expect((await backend.load())?.bookmarks.orders?.replication_key_value).toBe(18446744073709551615n);
  });
});

const pgSchema = uniqueSchema('state');
let pgCount = 0;
describeBackendContract(
  'postgres',
  async () => new PostgresStateBackend(`case-${++pgCount}`, { backend: 'postgres', url: url!, schema: pgSchema, table: 'tapline_state', connect_timeout_seconds: 5 }),
  gate.skipReason,
);

(gate.url === undefined ? describe.skip : describe)(`postgres state backend: shared by workers${gate.skipReason ? ` (SKIPPED: ${gate.skipReason})` : ''}`, () => {
  afterAll(() => dropSchemas(pgSchema));
  const config = () => ({ backend: 'postgres' as const, url: url!, schema: pgSchema, table: 'shared_state', connect_timeout_seconds: 5 });

  it('integers beyond 2^53 are JSON numbers in the jsonb column, with every digit', async () => {
    const hugeConfig = { ...config(), table: 'huge_state' };
    const backend = new PostgresStateBackend('huge-pipeline', hugeConfig);
    try {
      await backend.save(huge(18446744073709551614n), { keepHistory: true });
      await backend.save(huge(18446744073709551615n), { keepHistory: true });
    } finally {
      await backend.dispose();
    }
    const [row] = await sql(
      `SELECT state->'bookmarks'->'orders'->>'replication_key_value' AS value, jsonb_typeof(state->'bookmarks'->'orders'->'replication_key_value') AS type,
              state->'bookmarks'->'orders'->>'low_water' AS low, state->'transform-impute'->'params'->'id'->>'fill' AS fill,
              (state->'transform-impute'->'params'->'id'->'seen')::text AS seen
       FROM "${pgSchema}".huge_state WHERE pipeline = 'huge-pipeline'`,
    );
    expect(row).toEqual({ value: '18446744073709551615', type: 'number', low: '-9223372036854775808', fill: '9007199254740993', seen: '[18446744073709551615, -9223372036854775808]' });
    const history = await sql(`SELECT state->'bookmarks'->'orders'->>'replication_key_value' AS value FROM "${pgSchema}".huge_state_history WHERE pipeline = 'huge-pipeline'`);
    expect(history).toEqual([{ value: '18446744073709551614' }]);
    // A second worker loads it exactly.
    const other = new PostgresStateBackend('huge-pipeline', hugeConfig);
    try {
      expect(await other.load()).toEqual(huge(18446744073709551615n));
    } finally {
      await other.dispose();
    }
  });

  it('one row per pipeline; a second worker sees the first one\'s state and cannot move it backwards', async () => {
    const first = new PostgresStateBackend('orders-pipeline', config());
    const second = new PostgresStateBackend('orders-pipeline', config());
    const other = new PostgresStateBackend('users-pipeline', config());
    try {
      await first.save(at(100), { keepHistory: true });
      await other.save(at(5, 'users'), { keepHistory: true });
      expect(await second.load()).toEqual(at(100));
      await expect(second.save(at(90), { keepHistory: false })).rejects.toBeInstanceOf(StateRegressionError);
      // Saves racing from both workers are serialised: the highest bookmark wins, whatever the order.
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? first : second).save(at(101 + ((i * 7) % 20)), { keepHistory: false })),
      );
      expect(results.every((r) => r.status === 'fulfilled' || r.reason instanceof StateRegressionError)).toBe(true);
      expect(await first.load()).toEqual(at(120));
      const rows = await sql(`SELECT pipeline, state FROM "${pgSchema}".shared_state ORDER BY pipeline`);
      expect(rows).toEqual([
        { pipeline: 'orders-pipeline', state: at(120) },
        { pipeline: 'users-pipeline', state: at(5, 'users') },
      ]);
    } finally {
      await Promise.all([first.dispose(), second.dispose(), other.dispose()]);
    }
  });
});
