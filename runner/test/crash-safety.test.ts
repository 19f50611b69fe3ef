import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  destinationRows,
  PASSTHROUGH,
  rowsUpTo,
  runTapline,
  startTapline,
  storedBookmark,
  tempDir,
  writePipeline,
  writeSource,
} from './helpers.js';
import { dropSchemas, gate, sql, uniqueSchema } from './postgres-helpers.js';

// Large enough that the last kill point (2000) leaves about 1.6 s of rows: a kill that lands after the end
// would prove nothing, and on a busy machine the test itself may be slow to see the bookmark.
const TOTAL = 4000;

/** Every row the stored bookmark claims is in the destination: the state never ran ahead of the data. */
async function expectStateBehindData(dir: string): Promise<void> {
  const bookmark = storedBookmark(dir) ?? 0;
  const ids = new Set((await destinationRows(dir, 'items')).map((row) => row.id));
  const missing = rowsUpTo(bookmark).filter((row) => !ids.has(row.id)).map((row) => row.id);
  expect(missing, `stored bookmark ${bookmark}, rows missing from the destination`).toEqual([]);
}

async function waitForBookmark(dir: string, atLeast: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if ((storedBookmark(dir) ?? 0) >= atLeast) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the stored bookmark never reached ${atLeast}`);
}

describe('tapline run: crash safety', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('crash');
    await writeSource(dir, 'items', rowsUpTo(TOTAL));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  // The slow tap: a STATE every 100 rows, then an 80 ms pause, so that kills land in the middle of the sync
  // with at least 1.6 s of rows still to come (the killed program must not have finished already).
  const pipeline = () => writePipeline(dir, { tapOptions: { delay_ms: 80 }, transforms: [{ command: ['node', PASSTHROUGH] }] });

  for (const label of ['target', 'tap', 'passthrough'] as const) {
    it(`a ${label} killed with SIGKILL at several points loses nothing, and the state never runs ahead`, async () => {
      const file = await pipeline();
      for (const point of [400, 1200, 2000]) {
        const run = startTapline(['run', file]);
        const pid = await run.pidOf(label);
        await waitForBookmark(dir, point);
        process.kill(pid, 'SIGKILL');
        const result = await run.done;
        // The runner fails with the killed program's status and says which one it was, on its last line.
        expect(result.code, result.stderr).toBe(137);
        expect(result.lastLine).toMatch(new RegExp(`ERROR tapline: \\[${label}\\] was killed by SIGKILL`));
        await expectStateBehindData(dir);
        expect(storedBookmark(dir)).toBeLessThan(TOTAL);
      }
      const last = await runTapline(['run', file]);
      expect(last.code, last.stderr).toBe(0);
      await expectStateBehindData(dir);
      expect(storedBookmark(dir)).toBe(TOTAL);
      // Every row arrived; rows after the last confirmed state of a killed run arrive again (at least once).
      const ids = new Set((await destinationRows(dir, 'items')).map((row) => row.id));
      expect(ids.size).toBe(TOTAL);
    }, 180_000);
  }

  it('a tap that fails stops the pipeline with its exit code and error line; the confirmed state is kept', async () => {
    const file = await writePipeline(dir, { tapOptions: { crash_after: 1234 } });
    const run = await runTapline(['run', file]);
    expect(run.code).toBe(3);
    expect(run.lastLine).toMatch(/ERROR tapline: \[tap\] exited with code 3: counter-tap: sync error: simulated crash/);
    await expectStateBehindData(dir);
    expect(storedBookmark(dir)).toBe(1200);
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} to the runner is forwarded: the run stops with ${code} and keeps what the target confirmed`, async () => {
      const file = await pipeline();
      const run = startTapline(['run', file]);
      await run.pidOf('target');
      await waitForBookmark(dir, 500);
      run.child.kill(signal);
      const result = await run.done;
      expect(result.code, result.stderr).toBe(code);
      expect(result.lastLine).toMatch(new RegExp(`interrupted by ${signal}`));
      expect(result.errLines.some((line) => new RegExp(`received ${signal}: stopping the pipeline`).test(line))).toBe(true);
      await expectStateBehindData(dir);
      expect(storedBookmark(dir)).toBeLessThan(TOTAL);
      // The next run resumes from what was saved and finishes the job.
      const next = await runTapline(['run', file]);
      expect(next.code, next.stderr).toBe(0);
      expect(storedBookmark(dir)).toBe(TOTAL);
      expect(new Set((await destinationRows(dir, 'items')).map((row) => row.id)).size).toBe(TOTAL);
    });
  }
});

(gate.url === undefined ? describe.skip : describe)(`tapline run: the postgres state backend fails mid-run${gate.skipReason ? ` (SKIPPED: ${gate.skipReason})` : ''}`, () => {
  let dir: string;
  const schema = uniqueSchema('midrun');
  beforeEach(async () => {
    dir = await tempDir('midrun');
    await writeSource(dir, 'items', rowsUpTo(TOTAL));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await dropSchemas(schema);
  });

  const stored = async (): Promise<number> => {
    const rows = await sql(`SELECT state FROM "${schema}".tapline_state WHERE pipeline = 'midrun-items'`).catch(() => []);
    return (rows[0]?.state as { bookmarks: { items: { replication_key_value: number } } } | undefined)?.bookmarks.items.replication_key_value ?? 0;
  };

  async function startWhenSaved(file: string, atLeast: number): Promise<ReturnType<typeof startTapline>> {
    const run = startTapline(['run', file]);
    await run.pidOf('target');
    for (let i = 0; i < 2000 && (await stored()) < atLeast; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return run;
  }

  it('the session is terminated mid-run (a failover, an administrator): the runner reconnects and the run completes', async () => {
    const file = await writePipeline(dir, { name: 'midrun-items', tapOptions: { delay_ms: 80 }, state: { backend: 'postgres', url: gate.url, schema } });
    const run = await startWhenSaved(file, 500);
    const killed = await sql(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'tapline midrun-items'`);
    expect(killed).toEqual([{ done: true }]);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect(await stored()).toBe(TOTAL);
    expect(new Set((await destinationRows(dir, 'items')).map((row) => row.id)).size).toBe(TOTAL);
  });

  it('the state table goes away mid-run: the pipe stops with one error line, what was saved stays behind the data', async () => {
    const file = await writePipeline(dir, { name: 'midrun-items', tapOptions: { delay_ms: 80 }, state: { backend: 'postgres', url: gate.url, schema } });
    const run = await startWhenSaved(file, 500);
    await sql(`ALTER TABLE "${schema}".tapline_state RENAME TO tapline_state_moved`);
    const result = await run.done;
    await sql(`ALTER TABLE "${schema}".tapline_state_moved RENAME TO tapline_state`);
    expect(result.code, result.stderr).toBe(5);
    expect(result.lastLine).toMatch(/ERROR tapline: connection error: the postgres state backend failed: relation ".*tapline_state" does not exist\. The stored state was not changed$/);
    expect(result.errLines.some((line) => /pipeline "midrun-items" stopped after [\d.]+ s/.test(line))).toBe(true);
    const saved = await stored();
    expect(saved).toBeGreaterThanOrEqual(500);
    expect(saved).toBeLessThan(TOTAL);
    const ids = new Set((await destinationRows(dir, 'items')).map((row) => row.id));
    expect(rowsUpTo(saved).filter((row) => !ids.has(row.id))).toEqual([]);

    const next = await runTapline(['run', file]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.errLines.some((line) => /resuming from the state in postgres table/.test(line))).toBe(true);
    expect(await stored()).toBe(TOTAL);
  });
});
