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

const TOTAL = 3000;

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
  // with at least 800 ms of rows still to come (the killed program must not have finished already).
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
    });
  }

  it('a tap that fails stops the pipeline with its exit code and error line; the confirmed state is kept', async () => {
    const file = await writePipeline(dir, { tapOptions: { crash_after: 1234 } });
    const run = await runTapline(['run', file]);
    expect(run.code).toBe(3);
    expect(run.lastLine).toMatch(/ERROR tapline: \[tap\] exited with code 3: counter-tap: sync error: simulated crash/);
    await expectStateBehindData(dir);
    expect(storedBookmark(dir)).toBe(1200);
  });

  it('SIGTERM to the runner is forwarded: the run stops with 143 and keeps what the target confirmed', async () => {
    const file = await pipeline();
    const run = startTapline(['run', file]);
    await run.pidOf('target');
    await waitForBookmark(dir, 500);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    expect(result.lastLine).toMatch(/interrupted by SIGTERM/);
    expect(result.errLines.some((line) => /received SIGTERM: stopping the pipeline/.test(line))).toBe(true);
    await expectStateBehindData(dir);
    expect(storedBookmark(dir)).toBeLessThan(TOTAL);
  });
});
