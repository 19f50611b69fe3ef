/**
 * The two state backends behind one interface, held to the same contract: what is saved is loaded, an
 * empty state and a bookmark that moves backwards are refused (the stored state stays), every replaced
 * state goes to the history that `rollback` walks back through. The PostgreSQL one runs against the real
 * server, including two workers sharing the table.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
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
