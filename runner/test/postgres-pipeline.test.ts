/**
 * tapline run against real PostgreSQL: tap-postgres | target-postgres with the state in the PostgreSQL
 * backend. An incremental pipeline that moves only what changed, and a large full-table sync whose
 * programs are killed with SIGKILL at several points and that ends with every row exactly once.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSTHROUGH, runTapline, startTapline, tempDir } from './helpers.js';
import {
  createOrders,
  dropSchemas,
  gate,
  readOrders,
  sql,
  storedState,
  uniqueSchema,
  writePostgresPipeline,
  type OrderRow,
} from './postgres-helpers.js';

const suite = gate.url === undefined ? describe.skip : describe;

suite(`tapline run: tap-postgres | target-postgres${gate.skipReason ? ` (SKIPPED: ${gate.skipReason})` : ''}`, () => {
  let dir: string;
  const schemas: string[] = [];
  beforeAll(async () => {
    dir = await tempDir('pg');
  });
  afterAll(async () => {
    await dropSchemas(...schemas);
    await rm(dir, { recursive: true, force: true });
  });

  function schemaPair(prefix: string): { source: string; destination: string } {
    const source = uniqueSchema(`${prefix}_src`);
    const destination = uniqueSchema(`${prefix}_dst`);
    schemas.push(source, destination);
    return { source, destination };
  }

  it('incremental: a second run moves only the changed and new rows, and the destination equals the source', async () => {
    const { source, destination } = schemaPair('inc');
    const stream = `${source}-orders`;
    await createOrders(source, 500);
    const pipeline = await writePostgresPipeline(dir, {
      name: 'inc-orders',
      source,
      destination,
      metadata: { 'replication-method': 'INCREMENTAL', 'replication-key': 'updated_at' },
      targetOptions: { add_metadata_columns: true },
    });

    const first = await runTapline(['run', pipeline]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.errLines.some((line) => line.includes(`syncing ${stream} (INCREMENTAL`))).toBe(true);
    expect(first.lastLine).toMatch(/pipeline "inc-orders" done in [\d.]+ s: 1 stream, 500 rows; state saved to postgres table .*tapline_state/);
    expect(await readOrders(destination, stream)).toEqual(await readOrders(source, 'orders'));
    const afterFirst = await storedState(destination, 'inc-orders');
    expect(afterFirst?.bookmarks[stream]).toMatchObject({ replication_key: 'updated_at', replication_key_value: '2024-01-01T00:08:20+00:00' });

    // Change five rows (100, 200, ..., 500: they move to the end of the key order) and add ten.
    await sql(
      `UPDATE "${source}".orders SET name = 'changed ' || id, updated_at = timestamptz '2024-01-02 00:00:00+00' + id * interval '1 second' WHERE id % 100 = 0`,
    );
    await sql(
      `INSERT INTO "${source}".orders SELECT g, 'new ' || g, g * 2, timestamptz '2024-01-03 00:00:00+00' + g * interval '1 second' FROM generate_series(501, 510) g`,
    );
    const loadedBefore = await sql(`SELECT id::int AS id, _sdc_batched_at::text AS at FROM "${destination}"."${stream}"`);
    const firstBatch = new Map(loadedBefore.map((row) => [row.id as number, String(row.at)]));

    const second = await runTapline(['run', pipeline]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.errLines.some((line) => /resuming from the state in postgres table/.test(line))).toBe(true);
    const sourceRows = await readOrders(source, 'orders');
    expect(await readOrders(destination, stream)).toEqual(sourceRows);
    // Moved: the 5 changed and 10 new rows, nothing else. (tap-postgres reads rows with the bookmark's own
    // value again, at least once; here that row, id 500, is one of the changed ones and has moved on.)
    expect(second.lastLine).toMatch(/1 stream, 15 rows/);
    const reloaded = (await sql(`SELECT id::int AS id, _sdc_batched_at::text AS at FROM "${destination}"."${stream}"`))
      .filter((row) => firstBatch.get(row.id as number) !== String(row.at))
      .map((row) => row.id as number)
      .sort((a, b) => a - b);
    expect(reloaded).toEqual([100, 200, 300, 400, 500, ...Array.from({ length: 10 }, (_, i) => 501 + i)].sort((a, b) => a - b));
    expect((await storedState(destination, 'inc-orders'))?.bookmarks[stream]?.replication_key_value).toBe('2024-01-03T00:08:30+00:00');
    // The previous state went to the history, for `tapline state rollback`.
    const history = await sql(`SELECT state FROM "${destination}".tapline_state_history WHERE pipeline = 'inc-orders' ORDER BY id`);
    expect(history.at(-1)?.state).toEqual(afterFirst);
  });

  const TOTAL = 60_000;

  /** Every row the stored state claims is in the destination, exactly once. */
  async function expectStateBehindData(destination: string, stream: string, pipeline: string): Promise<number> {
    const state = await storedState(destination, pipeline);
    const bookmark = state?.bookmarks[stream];
    const rows = await sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, coalesce(max(id), 0) AS max FROM "${destination}"."${stream}"`).catch(
      () => [{ n: 0, d: 0, max: 0 }],
    );
    const { n, d } = rows[0] as { n: number; d: number };
    expect(n, 'no id twice (upsert)').toBe(d);
    if (bookmark === undefined) return 0;
    const resume = (bookmark.full_table_resume as { id?: string } | undefined)?.id;
    const claimed = resume === undefined ? TOTAL : Number(resume);
    const present = (await sql(`SELECT count(*)::int AS n FROM "${destination}"."${stream}" WHERE id <= $1`, [claimed]))[0]!.n;
    expect(present, `the stored state claims ids up to ${claimed}`).toBe(claimed);
    return claimed;
  }

  async function waitForResumePoint(destination: string, stream: string, pipeline: string, atLeast: number): Promise<void> {
    for (let i = 0; i < 6000; i++) {
      const resume = (await storedState(destination, pipeline))?.bookmarks[stream]?.full_table_resume as { id?: string } | undefined;
      if (resume?.id !== undefined && Number(resume.id) >= atLeast) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`the stored resume point never reached ${atLeast}`);
  }

  for (const label of ['target', 'tap', 'passthrough'] as const) {
    it(`crash safety: the ${label} killed with SIGKILL at several points of a large sync; in the end every row exactly once`, async () => {
      const { source, destination } = schemaPair(`crash_${label}`);
      const stream = `${source}-orders`;
      const name = `crash-${label}`;
      await createOrders(source, TOTAL);
      const pipeline = await writePostgresPipeline(dir, {
        name,
        source,
        destination,
        transforms: [{ command: ['node', PASSTHROUGH] }],
      });
      for (const point of [5_000, 20_000, 40_000]) {
        const run = startTapline(['run', pipeline]);
        const pid = await run.pidOf(label);
        await waitForResumePoint(destination, stream, name, point);
        process.kill(pid, 'SIGKILL');
        const result = await run.done;
        expect(result.code, result.stderr).toBe(137);
        expect(result.lastLine).toMatch(new RegExp(`ERROR tapline: \\[${label}\\] was killed by SIGKILL`));
        const claimed = await expectStateBehindData(destination, stream, name);
        expect(claimed).toBeGreaterThanOrEqual(point);
        expect(claimed).toBeLessThan(TOTAL);
      }
      const last = await runTapline(['run', pipeline]);
      expect(last.code, last.stderr).toBe(0);
      expect(last.errLines.some((line) => /resuming from the state/.test(line))).toBe(true);
      await expectStateBehindData(destination, stream, name);
      const state = await storedState(destination, name);
      // The scan completed: its resume point is gone (a stale one would make the next run skip rows).
      expect(state?.bookmarks[stream]).not.toHaveProperty('full_table_resume');
      expect(state?.currently_syncing ?? null).toBeNull();
      const counts = (await sql(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM "${destination}"."${stream}"`))[0];
      expect(counts).toEqual({ n: TOTAL, d: TOTAL });
      const sample = (rows: OrderRow[]) => rows.filter((row) => row.id % 997 === 0);
      expect(sample(await readOrders(destination, stream))).toEqual(sample(await readOrders(source, 'orders')));
    }, 240_000);
  }
});
