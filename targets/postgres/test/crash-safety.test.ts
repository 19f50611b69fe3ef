/**
 * SIGKILL in the middle of a large load, then a restart from the last STATE the target printed: every
 * row ends up in the table exactly once, and no printed STATE ever claimed rows that were not committed.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bin, connectionConfig, count, dropSchema, runTargetPostgres, uniqueSchema, url } from './postgres-test-helpers.js';

const TOTAL = 200_000;
const STATE_EVERY = 1_000;

/** The tap's output from record `from` on: each STATE says how many records came before it. */
function singerInput(from: number): string {
  const parts = [JSON.stringify({ type: 'SCHEMA', stream: 'orders', schema: { type: 'object', properties: { id: { type: 'integer' }, note: { type: ['null', 'string'] } } }, key_properties: ['id'] })];
  for (let id = from + 1; id <= TOTAL; id += 1) {
    parts.push(`{"type":"RECORD","stream":"orders","record":{"id":${id},"note":"order number ${id}"}}`);
    if (id % STATE_EVERY === 0) parts.push(`{"type":"STATE","value":{"bookmarks":{"orders":{"count":${id}}}}}`);
  }
  return `${parts.join('\n')}\n`;
}

describe.skipIf(url === undefined)(`target-postgres crash safety${url === undefined ? ' (SKIPPED: set TAPLINE_TEST_POSTGRES_URL)' : ''}`, () => {
  const schema = uniqueSchema('crash');
  let dir = '';
  afterAll(async () => {
    await dropSchema(schema);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('killed with SIGKILL after a few STATE lines and restarted from the last one, every row is there once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'target-postgres-crash-'));
    const configPath = join(dir, 'config.json');
    const config = { ...connectionConfig(), default_target_schema: schema, batch_size_rows: 10_000 };
    await writeFile(configPath, JSON.stringify(config));
    const inputPath = join(dir, 'input.jsonl');
    await writeFile(inputPath, singerInput(0));

    const printed: number[] = [];
    const killed = await new Promise<{ signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(process.execPath, [bin, '--config', configPath], { stdio: ['pipe', 'pipe', 'ignore'] });
      child.stdin.on('error', () => undefined);
      createReadStream(inputPath).pipe(child.stdin);
      let buffered = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const complete = buffered.split('\n');
        buffered = complete.pop() ?? '';
        for (const line of complete) {
          const message = JSON.parse(line) as { type: string; value: { bookmarks: { orders: { count: number } } } };
          if (message.type === 'STATE') printed.push(message.value.bookmarks.orders.count);
        }
        if (printed.length >= 3) child.kill('SIGKILL');
      });
      child.on('error', reject);
      child.on('exit', (_code, signal) => resolve({ signal }));
    });
    expect(killed.signal).toBe('SIGKILL');
    const confirmed = printed.at(-1)!;
    expect(confirmed).toBeLessThan(TOTAL);
    // Every STATE printed before the kill covers only committed rows.
    expect(await count(schema, 'orders')).toBeGreaterThanOrEqual(confirmed);

    // The restart: the tap resumes after the last STATE the target confirmed.
    const rerun = await runTargetPostgres(config, { text: singerInput(confirmed) });
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.states.at(-1)).toEqual({ bookmarks: { orders: { count: TOTAL } } });
    expect(await count(schema, 'orders')).toBe(TOTAL);
    expect(await count(schema, 'orders', `WHERE id BETWEEN 1 AND ${TOTAL} AND note = 'order number ' || id`)).toBe(TOTAL);
  });
});
