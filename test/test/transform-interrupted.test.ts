/**
 * A stage stopped by a signal while it holds a stream back (its spool in files under spill_dir) leaves no
 * file behind: orchestrators stop tasks with SIGTERM, and a spool is as large as the stream.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('a transform stage stopped by a signal', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-interrupted-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [stage, signal] of [['normalize', 'SIGTERM'], ['impute', 'SIGINT']] as const) {
    it(`transform-${stage} removes its spool files on ${signal}`, async () => {
      const spill = join(dir, `${stage}-spill`);
      await rm(spill, { recursive: true, force: true });
      await mkdir(spill);
      const config = join(dir, `${stage}.json`);
      await writeFile(config, JSON.stringify({ spill_dir: spill, spool_memory_mb: 0 }));
      const child = spawn(process.execPath, [join(root, 'transforms', stage, 'bin', `transform-${stage}.js`), '--config', config], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const schema = { type: 'SCHEMA', stream: 's', schema: { type: 'object', properties: { id: { type: 'integer' }, x: { type: ['number', 'null'] } } }, key_properties: ['id'] };
      child.stdin.write(`${JSON.stringify(schema)}\n`);
      // Records in several writes, stdin left open: the stage holds them back, fitting, in files.
      let files: string[] = [];
      for (let batch = 0; batch < 50 && files.length === 0; batch += 1) {
        const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ type: 'RECORD', stream: 's', record: { id: batch * 200 + i, x: i % 3 === 0 ? null : i } }));
        child.stdin.write(`${lines.join('\n')}\n`);
        await sleep(100);
        files = await readdir(spill);
      }
      expect(files.length, stderr).toBe(1);
      expect(await readdir(join(spill, files[0] as string))).toEqual(expect.arrayContaining(['data.bin', 'index.bin']));
      child.kill(signal);
      const code = await exited;
      expect(code).not.toBe(0);
      expect(stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`interrupted by ${signal}`));
      expect(await readdir(spill)).toEqual([]);
    });
  }
});
