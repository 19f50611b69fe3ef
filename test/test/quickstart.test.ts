/**
 * The quickstart end to end, as `npm run quickstart` runs it: tap-csv, five transforms and target-duckdb
 * under `tapline run`, in a copy of examples/quickstart so the checkout stays clean. The DuckDB table is
 * compared row by row with examples/quickstart/expected/orders.jsonl; then a second run must be
 * incremental, and a new month must add only its own rows, imputed with the values fitted on the first run.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const quickstart = join(root, 'examples', 'quickstart');
const tapline = join(root, 'runner', 'bin', 'tapline.js');

interface Run {
  code: number | null;
  stderr: string;
}

function runPipeline(dir: string, args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tapline, 'run', join(dir, 'pipeline.yml'), ...args], {
      cwd: root,
      env: { ...process.env, TAPLINE_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

type Row = Record<string, unknown>;

async function orders(dir: string): Promise<Row[]> {
  const { dumpOrders } = (await import(join(quickstart, 'dump-orders.mjs'))) as { dumpOrders: (path: string) => Promise<Row[]> };
  return dumpOrders(join(dir, '.tapline', 'quickstart.duckdb'));
}

describe('the quickstart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-quickstart-'));
    for (const item of ['pipeline.yml', 'data', 'later']) await cp(join(quickstart, item), join(dir, item), { recursive: true });
    // tap-csv reads files oldest first, and forward fill follows that order: September, then October, as
    // a fresh checkout has them (git writes them in name order).
    await utimes(join(dir, 'data', 'orders-2026-09.csv'), new Date('2026-10-01T00:00:00Z'), new Date('2026-10-01T00:00:00Z'));
    await utimes(join(dir, 'data', 'orders-2026-10.csv'), new Date('2026-11-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  let first: Row[];

  it('loads the cleaned orders into DuckDB, exactly as expected/orders.jsonl', async () => {
    const run = await runPipeline(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/no stored state in .*: first run/);
    first = await orders(dir);
    const expected = (await readFile(join(quickstart, 'expected', 'orders.jsonl'), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Row);
    expect(first.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i += 1) expect(first[i], `row ${i + 1} (order ${String(expected[i]!.order_id)})`).toEqual(expected[i]);
  });

  it('has what each stage promised: clean names, no gaps, no typo prices, ratings in [0, 1]', () => {
    expect(Object.keys(first[0]!)).toEqual(Object.keys(first[0]!).map((name) => name.toLowerCase().replace(/[^a-z0-9_]/g, '')));
    for (const row of first) {
      for (const [column, value] of Object.entries(row)) expect(value, `order ${String(row.order_id)}, ${column}`).not.toBeNull();
      const rating = row.rating_1_5 as number;
      expect(rating).toBeGreaterThanOrEqual(0);
      expect(rating).toBeLessThanOrEqual(1);
    }
    // Every list price is below 50; a price typed with the decimal point in the wrong place is ten or a
    // hundred times that, and is gone.
    const priceColumn = Object.keys(first[0]!).find((name) => name.startsWith('unit_price'))!;
    expect(first.filter((row) => Number(row[priceColumn]) > 50)).toEqual([]);
    // 3,000 orders in the two files; the outlier stage removed some, nothing else did.
    expect(first.length).toBeLessThan(3000);
    expect(first.length).toBeGreaterThan(2500);
  });

  it('runs incrementally the second time: nothing read again, nothing changed', async () => {
    const run = await runPipeline(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/resuming from the state in/);
    expect(run.stderr).toMatch(/pipeline "quickstart" done in [\d.]+ s: 1 stream, 0 rows/);
    expect(await orders(dir)).toEqual(first);
  });

  it('reads only a new month, filled with the values fitted on the first run', async () => {
    await mkdir(join(dir, 'inbox'));
    await cp(join(dir, 'later', 'orders-2026-11.csv'), join(dir, 'inbox', 'orders-2026-11.csv'));
    await utimes(join(dir, 'inbox', 'orders-2026-11.csv'), new Date('2026-12-01T00:00:00Z'), new Date('2026-12-01T00:00:00Z'));
    const run = await runPipeline(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/pipeline "quickstart" done in [\d.]+ s: 1 stream, [1-9][\d,]* rows/);
    const after = await orders(dir);
    // The first run's rows are untouched; the new ones are November's (order ids after the first run's).
    expect(after.slice(0, first.length)).toEqual(first);
    const added = after.slice(first.length);
    expect(added.length).toBeGreaterThan(400);
    expect(added.length).toBeLessThanOrEqual(500);
    const lastFirstId = Number(first.at(-1)!.order_id);
    for (const row of added) {
      expect(Number(row.order_id)).toBeGreaterThan(lastFirstId);
      for (const [column, value] of Object.entries(row)) expect(value, `order ${String(row.order_id)}, ${column}`).not.toBeNull();
    }
    // The stages used the parameters saved in the state rather than fitting November alone.
    expect(run.stderr).not.toMatch(/\[impute\].*fitted stream "orders"/);
  });
});
