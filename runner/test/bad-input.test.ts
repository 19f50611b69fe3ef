/**
 * Bad input to `tapline`: each mistake ends the run before any program starts, with one line on stderr
 * that names the problem and the fix, a non-zero exit code from the error taxonomy, and the stored state
 * exactly as it was.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rowsUpTo, runTapline, statePathOf, tempDir, writePipeline, writeSource, type TaplineRun } from './helpers.js';
import { TAP_POSTGRES } from './postgres-helpers.js';

const STORED = '{"bookmarks":{"items":{"replication_key":"seq","replication_key_value":7}},"currently_syncing":null}\n';

describe('tapline: bad input', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('bad');
    await writeSource(dir, 'items', rowsUpTo(20));
    await mkdir(join(dir, '.tapline', 'state'), { recursive: true });
    await writeFile(statePathOf(dir), STORED);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** One line, nothing started, the stored state unchanged. */
  function expectOneLine(run: TaplineRun, code: number, line: RegExp): void {
    expect(run.code, run.stderr).toBe(code);
    expect(run.errLines, run.stderr).toHaveLength(1);
    expect(run.lastLine).toMatch(/^\S+ ERROR tapline: /);
    expect(run.lastLine).toMatch(line);
    expect(run.stdout).toBe('');
  }

  it('a misspelt key: every problem on the line, with a did-you-mean', async () => {
    const file = join(dir, 'pipeline.yml');
    await writeFile(
      file,
      ['name: items', 'tap:', '  comand: tap-postgres', 'target:', '  command: target-jsonl', '  optons: {}', 'stat:', '  backend: file', 'stop_grace_seconds: soon'].join('\n'),
    );
    const run = await runTapline(['run', file]);
    expectOneLine(run, 2, /configuration error: /);
    expect(run.lastLine).toContain('stat: unknown key (did you mean "state"?)');
    expect(run.lastLine).toContain('tap.comand: unknown key (did you mean "command"?)');
    expect(run.lastLine).toContain('target.optons: unknown key (did you mean "options"?)');
    expect(run.lastLine).toContain('tap.command: is required');
    expect(run.lastLine).toMatch(/stop_grace_seconds: .*number/);
    expect(readFileSync(statePathOf(dir), 'utf8')).toBe(STORED);
  });

  it('a misspelt backend, and a template for a variable that is not set', async () => {
    const misspelt = await writePipeline(dir, { state: { backend: 'postgress' } });
    expectOneLine(await runTapline(['run', misspelt]), 2, /configuration error: at state\.backend: must be one of "file", "postgres"$/);
    const template = await writePipeline(dir, { state: { backend: 'postgres', url: "{{ env_var('NO_SUCH_TAPLINE_VARIABLE') }}" } });
    expectOneLine(
      await runTapline(['run', template]),
      2,
      /configuration error: file .*pipeline\.yml, at state\.url: environment variable "NO_SUCH_TAPLINE_VARIABLE" is not set\. Set NO_SUCH_TAPLINE_VARIABLE, or give a fallback/,
    );
    expect(readFileSync(statePathOf(dir), 'utf8')).toBe(STORED);
  });

  it('a command that does not exist, by name and by path', async () => {
    const byName = await writePipeline(dir, { tap: { command: 'tap-nosuchthing' } });
    expectOneLine(
      await runTapline(['run', byName]),
      2,
      /configuration error: at tap\.command: command "tap-nosuchthing" not found\. Install the program .* looked in node_modules\/\.bin and PATH$/,
    );
    const byPath = await writePipeline(dir, { transforms: [{ command: './bin/missing-transform --flag' }] });
    expectOneLine(
      await runTapline(['run', byPath]),
      2,
      /configuration error: at transforms\[0\]\.command: command "\.\/bin\/missing-transform" not found\. Relative paths resolve against the pipeline file's folder/,
    );
    expect(readFileSync(statePathOf(dir), 'utf8')).toBe(STORED);
  });

  it('a state file that is not JSON: run and state show stop, and the file is left as it was', async () => {
    const broken = '{"bookmarks": {"items": {"replication_key_value": 7}\n';
    await writeFile(statePathOf(dir), broken);
    const file = await writePipeline(dir);
    for (const args of [['run', file], ['state', 'show', file], ['state', 'clear', file]]) {
      expectOneLine(await runTapline(args), 2, /configuration error: file .*\.tapline\/state\/items\.json, line 1: the state file is not JSON.*Restore it from the last STATE line/);
      expect(readFileSync(statePathOf(dir), 'utf8')).toBe(broken);
    }
  });

  it('a state backend that cannot be reached: a connection error without the password, nothing started', async () => {
    const file = await writePipeline(dir, {
      state: { backend: 'postgres', url: 'postgres://tapline:hunter2secret@127.0.0.1:1/test', connect_timeout_seconds: 2 },
    });
    for (const args of [['run', file], ['state', 'show', file], ['state', 'set', file]]) {
      const run = await runTapline(args, { stdin: STORED });
      expectOneLine(run, 5, /connection error: cannot reach the postgres state backend: connect ECONNREFUSED 127\.0\.0\.1:1\. Check state\.url .*the stored state was not changed$/);
      expect(run.stderr).not.toContain('hunter2secret');
    }
    expect(readFileSync(statePathOf(dir), 'utf8')).toBe(STORED);
  });

  it('a source that cannot be reached while discovering: the tap\'s exit code and line, nothing else started', async () => {
    const file = await writePipeline(dir, {
      tap: {
        command: TAP_POSTGRES,
        options: { host: '127.0.0.1', port: 1, user: 'reader', password: 'sw0rdfish-long', database: 'shop', connect_timeout_seconds: 2 },
        select: ['public-orders'],
      },
    });
    const run = await runTapline(['run', file]);
    expect(run.code, run.stderr).toBe(5);
    expect(run.lastLine).toMatch(/ERROR tapline: \[tap\] exited with code 5: tap-postgres: connection error: cannot reach the PostgreSQL server: connect ECONNREFUSED 127\.0\.0\.1:1/);
    expect(run.errLines.some((line) => / started \(pid/.test(line))).toBe(false);
    expect(run.stderr).not.toContain('sw0rdfish-long');
    expect(readFileSync(statePathOf(dir), 'utf8')).toBe(STORED);
  });

  it('a pipeline file that does not exist, an unknown command or option', async () => {
    expectOneLine(await runTapline(['run', join(dir, 'nope.yml')]), 2, /configuration error: .*nope\.yml/);
    expectOneLine(await runTapline(['runn', join(dir, 'nope.yml')]), 2, /unknown command "runn"\. Use one of: run, discover, check, state/);
    expectOneLine(await runTapline(['run', join(dir, 'nope.yml'), '--full-refrsh']), 2, /configuration error: Unknown option '--full-refrsh'/);
    expectOneLine(await runTapline(['run']), 2, /tapline run needs a pipeline file/);
  });
});
