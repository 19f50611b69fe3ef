/**
 * Programs from other ecosystems in a Tapline pipeline: a POSIX shell tap and a Python target in the style
 * of singer-python's targets (it prints the state value itself, not a STATE message), with `cat` as a
 * transform. And the rule for merging what targets confirm: stream by stream, never key by key.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Logger, type SingerState } from '@tapline/protocol';
import { ConfirmedStateRecorder, mergeByStream, type SaveStateOptions, type StateBackend } from '@tapline/runner';
import { destinationRows, rowsUpTo, runTapline, SHELL_TAP, statePathOf, storedBookmark, tempDir, writePipeline, writeSource } from './helpers.js';

const PYTHON_TARGET = fileURLToPath(new URL('./fixtures/python-target.py', import.meta.url));

describe('tapline run: third-party programs', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('third-party');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a shell tap | cat | a Python target: rows land, the plain state values it prints are saved and resumed from', async () => {
    const write = (rows: number) =>
      writeFile(
        join(dir, 'numbers.yml'),
        [
          'tap:',
          `  command: ${SHELL_TAP}`,
          `  options: { rows: ${rows} }`,
          'transforms:',
          '  - command: cat',
          'target:',
          `  command: [python3, ${JSON.stringify(PYTHON_TARGET)}]`,
          '  options: { destination_path: ./out }',
        ].join('\n'),
      );
    await write(33);
    const first = await runTapline(['run', 'numbers.yml'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.errLines.some((line) => /^\[cat\] started \(pid \d+\): \S*cat$/.test(line))).toBe(true);
    expect(first.errLines).toContain('[target] python-target: done');
    expect(first.lastLine).toMatch(/pipeline "numbers" done in [\d.]+ s: 1 stream, 33 rows; state saved to file .*numbers\.json/);
    expect(storedBookmark(dir, 'numbers', 'numbers')).toBe(33);

    await write(41);
    const second = await runTapline(['run', 'numbers.yml'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.errLines).toContain('[tap] shell-tap: resuming after id 33');
    expect((await destinationRows(dir, 'numbers')).map((row) => row.id)).toEqual(rowsUpTo(41).map((row) => row.id));
    expect(JSON.parse(readFileSync(statePathOf(dir, 'numbers'), 'utf8'))).toEqual({
      bookmarks: { numbers: { replication_key: 'id', replication_key_value: 41 } },
      currently_syncing: null,
    });
  });

  it('a tap that exits non-zero after printing some state: the run fails with its line, the confirmed rows stay', async () => {
    const tap = join(dir, 'failing-tap.sh');
    await writeFile(
      tap,
      [
        '#!/bin/sh',
        `echo '{"type":"SCHEMA","stream":"n","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}'`,
        `echo '{"type":"RECORD","stream":"n","record":{"id":1}}'`,
        `echo '{"type":"STATE","value":{"bookmarks":{"n":{"replication_key":"id","replication_key_value":1}}}}'`,
        'echo "failing-tap: lost the connection to the API. Try again later" >&2',
        'exit 5',
      ].join('\n'),
      { mode: 0o755 },
    );
    await writeFile(join(dir, 'n.yml'), `tap: { command: ./failing-tap.sh }\ntarget: { command: [python3, ${JSON.stringify(PYTHON_TARGET)}] }\n`);
    const run = await runTapline(['run', 'n.yml'], { cwd: dir });
    expect(run.code).toBe(5);
    expect(run.lastLine).toMatch(/ERROR tapline: \[tap\] exited with code 5: failing-tap: lost the connection to the API\. Try again later$/);
    expect(storedBookmark(dir, 'n', 'n')).toBe(1);
  });

  it('a program that prints its config: the secret-looking settings of the inline options are masked', async () => {
    const tap = join(dir, 'leaky-tap.sh');
    await writeFile(tap, ['#!/bin/sh', 'echo "leaky-tap: config is $(cat "$2")" >&2', 'exit 0'].join('\n'), { mode: 0o755 });
    await writeFile(
      join(dir, 'leaky.yml'),
      `tap:\n  command: ./leaky-tap.sh\n  options: { user: reader, password: "{{ env_var('LEAKY_PASSWORD') }}", auth: { api_key: k-123456789 } }\ntarget: { command: cat }\n`,
    );
    const run = await runTapline(['run', 'leaky.yml'], { cwd: dir, env: { LEAKY_PASSWORD: 'hunter2-very-secret' } });
    expect(run.code, run.stderr).toBe(0);
    const line = run.errLines.find((l) => l.startsWith('[tap] leaky-tap: config is'));
    expect(line).toBe('[tap] leaky-tap: config is {"user":"reader","password":"********","auth":{"api_key":"********"}}');
  });
});

describe('tapline run: which program failed', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('blame');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a writer that dies of a broken pipe is not blamed: the program downstream that failed is, even when it exits later', async () => {
    await writeSource(dir, 'items', rowsUpTo(3000));
    // The target closes its input at once (the tap's next write fails: EPIPE, exit 1), then takes its time
    // to exit with its own error.
    const target = join(dir, 'closing-target.sh');
    await writeFile(target, ['#!/bin/sh', 'exec 0<&-', 'sleep 0.5', 'echo "closing-target: disk full. Free some space" >&2', 'exit 7'].join('\n'), { mode: 0o755 });
    const file = await writePipeline(dir);
    await writeFile(file, readFileSync(file, 'utf8').replace(/"command": "[^"]*target-jsonl\.js"/, `"command": ${JSON.stringify(target)}`));
    const run = await runTapline(['run', file]);
    expect(run.errLines.some((line) => /^\[tap\] .*EPIPE/.test(line))).toBe(true);
    expect(run.code, run.stderr).toBe(7);
    expect(run.lastLine).toMatch(/ERROR tapline: \[target\] exited with code 7: closing-target: disk full\. Free some space$/);
  });
});

/** A backend in memory, recording every save. */
class MemoryBackend implements StateBackend {
  readonly description = 'memory';
  saves: SingerState[] = [];
  constructor(private state: SingerState | undefined) {}
  async load() {
    return this.state;
  }
  async save(state: SingerState, _options: SaveStateOptions) {
    this.saves.push(state);
    this.state = state;
  }
  async clear() {}
  async rollback(): Promise<SingerState> {
    throw new Error('no');
  }
  async history() {
    return [];
  }
  async dispose() {}
}

describe('confirmed states', () => {
  const logger = new Logger({ program: 'test', sink: { write: () => undefined }, level: 'error' });

  it('merge stream by stream: a key the tap dropped (a completed scan\'s resume point) does not come back', () => {
    const stored = { bookmarks: { orders: { version: 1, full_table_resume: { id: '500' } }, users: { replication_key_value: 9 } }, currently_syncing: 'orders' };
    expect(mergeByStream(stored, { bookmarks: { orders: { version: 1 } }, currently_syncing: null })).toEqual({
      bookmarks: { orders: { version: 1 }, users: { replication_key_value: 9 } },
      currently_syncing: null,
    });
    // A state without currently_syncing keeps the stored one.
    expect(mergeByStream(stored, { bookmarks: {} }).currently_syncing).toBe('orders');
  });

  it('saves what is confirmed merged onto the stored state; refuses empty and backwards states', async () => {
    const stored: SingerState = { bookmarks: { orders: { replication_key_value: 10 }, users: { replication_key_value: 3 } }, currently_syncing: null };
    const backend = new MemoryBackend(stored);
    const recorder = new ConfirmedStateRecorder(backend, stored, { fullRefresh: false, logger });
    recorder.confirm({ bookmarks: { orders: { replication_key_value: 12 } } });
    recorder.confirm({});
    recorder.confirm({ bookmarks: { orders: {} } });
    recorder.confirm({ bookmarks: { orders: { replication_key_value: 11 } } });
    recorder.confirm({ bookmarks: { orders: { replication_key_value: 15 } } });
    await recorder.flush();
    expect(recorder.refused).toBe(3);
    expect(backend.saves.at(-1)).toEqual({ bookmarks: { orders: { replication_key_value: 15 }, users: { replication_key_value: 3 } }, currently_syncing: null });
    expect(backend.saves.every((state) => (state.bookmarks.orders as { replication_key_value: number }).replication_key_value >= 12)).toBe(true);
  });

  it('with --full-refresh an older bookmark replaces the stored one for the streams the run synced', async () => {
    const stored: SingerState = { bookmarks: { orders: { replication_key_value: 10 }, users: { replication_key_value: 3 } }, currently_syncing: null };
    const backend = new MemoryBackend(stored);
    const recorder = new ConfirmedStateRecorder(backend, stored, { fullRefresh: true, logger });
    recorder.confirm({ bookmarks: { orders: { replication_key_value: 4 } } });
    await recorder.flush();
    expect(backend.saves).toEqual([{ bookmarks: { orders: { replication_key_value: 4 }, users: { replication_key_value: 3 } }, currently_syncing: null }]);
  });
});
