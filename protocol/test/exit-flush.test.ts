/**
 * A program's last lines must reach a slow reader: process.exit drops whatever a pipe has not taken yet,
 * so runProgram waits for stdout first. The program here runs from dist (as every bin does).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('runProgram on a slow pipe', () => {
  let dir: string;
  let script: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-exit-flush-'));
    script = join(dir, 'tap-flood.mjs');
    await writeFile(
      script,
      `import { runProgram, recordMessage, stateMessage } from ${JSON.stringify(dist)};
await runProgram({
  name: 'tap-flood', version: '0.0.0', kind: 'tap', description: 'floods stdout', capabilities: [],
  configSchema: { type: 'object', properties: {} },
  async run({ output }) {
    for (let i = 0; i < 3000; i += 1) {
      if (!output.write(recordMessage('s', { i, pad: 'x'.repeat(200) }))) await output.drain();
    }
    output.write(stateMessage({ bookmarks: { s: { i: 2999 } } }));
  },
});
`,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('delivers the final STATE to a reader that only starts reading after the program is done', async () => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdout.pause();
    // Let the pipe fill and the program reach its end (it cannot finish writing while nobody reads).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3001);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ type: 'STATE', value: { bookmarks: { s: { i: 2999 } } } });
  });
});
