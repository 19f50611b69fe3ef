import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  destinationRows,
  PASSTHROUGH,
  readJson,
  rowsUpTo,
  runTapline,
  SHELL_TAP,
  statePathOf,
  storedBookmark,
  tempDir,
  writePipeline,
  writeSource,
  type SourceRow,
} from './helpers.js';

/** The destination with the last version of each row (target-jsonl appends; a database would upsert). */
function latestById(rows: SourceRow[]): SourceRow[] {
  const byId = new Map<number, SourceRow>();
  for (const row of rows) byId.set(row.id, row);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

describe('tapline run: incremental syncs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('incremental');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('resumes from the stored state: the second run moves only the changed and new rows', async () => {
    const source = rowsUpTo(300);
    await writeSource(dir, 'items', source);
    const pipeline = await writePipeline(dir, { transforms: [{ command: ['node', PASSTHROUGH] }] });

    const first = await runTapline(['run', pipeline]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.lastLine).toMatch(/pipeline "items" done in [\d.]+ s: 1 stream, 300 rows; state saved to file .*items\.json/);
    expect(first.errLines.some((line) => line.startsWith('[passthrough] started'))).toBe(true);
    expect(await destinationRows(dir, 'items')).toHaveLength(300);
    expect(readJson(statePathOf(dir))).toEqual({ currently_syncing: null, bookmarks: { items: { replication_key: 'seq', replication_key_value: 300 } } });

    // Change five rows (they get new sequence numbers) and add ten.
    const changed = source.map((row) => (row.id % 60 === 0 ? { ...row, seq: 300 + row.id / 60, name: `changed ${row.id}` } : row));
    const next = [...changed, ...rowsUpTo(315, 306).map((row) => ({ ...row, id: row.id - 5 }))];
    await writeSource(dir, 'items', next);

    const second = await runTapline(['run', pipeline]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.errLines.some((line) => /resuming from the state/.test(line))).toBe(true);
    expect(second.lastLine).toMatch(/1 stream, 15 rows/);
    const rows = await destinationRows(dir, 'items');
    expect(rows).toHaveLength(315); // 300 + 5 changed + 10 new: nothing moved twice
    expect(latestById(rows)).toEqual([...next].sort((a, b) => a.id - b.id));
    expect(storedBookmark(dir)).toBe(315);

    // Nothing new: nothing moves, and the stored state stays as it is.
    const third = await runTapline(['run', pipeline]);
    expect(third.code, third.stderr).toBe(0);
    expect(await destinationRows(dir, 'items')).toHaveLength(315);
    expect(third.lastLine).toMatch(/0 rows; no new state saved/);
  });

  it('runs a tap from another ecosystem: a shell script that prints Singer lines', async () => {
    await writeFile(join(dir, 'pipeline.yml'), [
      'name: numbers',
      'tap:',
      `  command: ${SHELL_TAP}`,
      '  options: { rows: 45 }',
      'transforms:',
      '  - command: cat',
      'target:',
      '  command: target-jsonl',
      '  options: { destination_path: ./out }',
    ].join('\n'));
    const first = await runTapline(['run', 'pipeline.yml'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.errLines).toContain('[tap] shell-tap: resuming after id 0');
    expect((await destinationRows(dir, 'numbers')).map((r) => r.id)).toEqual(rowsUpTo(45).map((r) => r.id));
    expect(storedBookmark(dir, 'numbers', 'numbers')).toBe(45);

    await writeFile(join(dir, 'pipeline.yml'), (await import('node:fs')).readFileSync(join(dir, 'pipeline.yml'), 'utf8').replace('rows: 45', 'rows: 52'));
    const second = await runTapline(['run', 'pipeline.yml'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.errLines).toContain('[tap] shell-tap: resuming after id 45');
    expect((await destinationRows(dir, 'numbers')).map((r) => r.id)).toEqual(rowsUpTo(52).map((r) => r.id));
  });

  it('--select syncs only the matching streams and keeps the other streams\' bookmarks', async () => {
    await writeSource(dir, 'items', rowsUpTo(20));
    await writeSource(dir, 'orders', rowsUpTo(30));
    const pipeline = await writePipeline(dir, { tap: { select: ['*'] } });
    expect((await runTapline(['run', pipeline])).code).toBe(0);
    await writeSource(dir, 'items', rowsUpTo(25));
    await writeSource(dir, 'orders', rowsUpTo(35));

    const run = await runTapline(['run', pipeline, '--select', 'ord*']);
    expect(run.code, run.stderr).toBe(0);
    expect(await destinationRows(dir, 'items')).toHaveLength(20);
    expect(await destinationRows(dir, 'orders')).toHaveLength(35);
    const state = readJson(statePathOf(dir)) as { bookmarks: Record<string, { replication_key_value: number }> };
    expect(state.bookmarks.items?.replication_key_value).toBe(20);
    expect(state.bookmarks.orders?.replication_key_value).toBe(35);

    const none = await runTapline(['run', pipeline, '--select', 'nothing-*']);
    expect(none.code).toBe(2);
    expect(none.lastLine).toMatch(/no stream matches the selection "nothing-\*".*The tap has: items, orders/);
  });

  it('--full-refresh runs without the state and lets an older bookmark replace the stored one', async () => {
    await writeSource(dir, 'items', rowsUpTo(50));
    const pipeline = await writePipeline(dir);
    expect((await runTapline(['run', pipeline])).code).toBe(0);
    // The source was rebuilt with fewer rows: only a full refresh may move the bookmark back.
    await writeSource(dir, 'items', rowsUpTo(30));
    const normal = await runTapline(['run', pipeline]);
    expect(normal.code).toBe(0);
    expect(storedBookmark(dir)).toBe(50);

    const refresh = await runTapline(['run', pipeline, '--full-refresh']);
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(refresh.errLines.some((line) => /full refresh: running without the stored state/.test(line))).toBe(true);
    expect(await destinationRows(dir, 'items')).toHaveLength(80);
    expect(storedBookmark(dir)).toBe(30);
  });
});
