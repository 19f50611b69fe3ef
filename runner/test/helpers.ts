import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TAPLINE = fileURLToPath(new URL('../bin/tapline.js', import.meta.url));
export const COUNTER_TAP = fileURLToPath(new URL('./fixtures/counter-tap.mjs', import.meta.url));
export const SHELL_TAP = fileURLToPath(new URL('./fixtures/shell-tap.sh', import.meta.url));
export const PASSTHROUGH = fileURLToPath(new URL('./fixtures/passthrough.mjs', import.meta.url));
export const TARGET_JSONL = fileURLToPath(new URL('../../targets/jsonl/bin/target-jsonl.js', import.meta.url));

export interface TaplineRun {
  code: number | null;
  stdout: string;
  stderr: string;
  errLines: string[];
  /** The last stderr line: the error line of a failed run, the summary of a good one. */
  lastLine: string;
}

export interface StartedRun {
  child: ChildProcess;
  /** Resolves with the pid of a stage once the runner has logged `[label] started (pid N)`. */
  pidOf(label: string): Promise<number>;
  done: Promise<TaplineRun>;
}

/** Start `tapline` with the given arguments (the bin runs from dist: build first). */
export function startTapline(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): StartedRun {
  const child = spawn(process.execPath, [TAPLINE, ...args], {
    cwd: options.cwd,
    env: { ...process.env, TAPLINE_LOG_LEVEL: 'info', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(options.stdin ?? '');
  let stdout = '';
  let stderr = '';
  const waiters: { label: string; resolve: (pid: number) => void }[] = [];
  const checkWaiters = () => {
    for (const waiter of [...waiters]) {
      const match = new RegExp(`\\[${waiter.label}\\] started \\(pid (\\d+)\\)`).exec(stderr);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(Number(match[1]));
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    checkWaiters();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const done = new Promise<TaplineRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const errLines = stderr.split('\n').filter((line) => line !== '');
      resolve({ code, stdout, stderr, errLines, lastLine: errLines.at(-1) ?? '' });
    });
  });
  return {
    child,
    done,
    pidOf: (label) =>
      new Promise((resolve) => {
        waiters.push({ label, resolve });
        checkWaiters();
      }),
  };
}

export function runTapline(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<TaplineRun> {
  return startTapline(args, options).done;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `tapline-test-${prefix}-`));
}

export interface SourceRow {
  id: number;
  seq: number;
  name: string;
}

/** Write the counter tap's source stream `<dir>/src/<stream>.jsonl`. */
export async function writeSource(dir: string, stream: string, rows: SourceRow[]): Promise<void> {
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'src', `${stream}.jsonl`), rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
}

export function rowsUpTo(n: number, from = 1): SourceRow[] {
  return Array.from({ length: n - from + 1 }, (_, i) => ({ id: from + i, seq: from + i, name: `row ${from + i}` }));
}

/** The rows target-jsonl wrote for a stream (appended across runs). */
export async function destinationRows(dir: string, stream: string): Promise<SourceRow[]> {
  const file = join(dir, 'out', `${stream}.jsonl`);
  if (!existsSync(file)) return [];
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SourceRow);
}

export function readJson(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

export interface PipelineOptions {
  name?: string;
  tapOptions?: Record<string, unknown>;
  targetOptions?: Record<string, unknown>;
  transforms?: unknown[];
  state?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  tap?: Record<string, unknown>;
}

/** A pipeline file (JSON is YAML) with the counter tap and target-jsonl writing to `<dir>/out`. */
export async function writePipeline(dir: string, options: PipelineOptions = {}, file = 'pipeline.yml'): Promise<string> {
  const pipeline = {
    name: options.name ?? 'items',
    tap: { command: ['node', COUNTER_TAP], options: { source_dir: './src', state_every: 100, ...options.tapOptions }, ...options.tap },
    ...(options.transforms ? { transforms: options.transforms } : {}),
    target: { command: TARGET_JSONL, options: { destination_path: './out', batch_size_rows: 50, batch_max_age_seconds: 1, ...options.targetOptions } },
    ...(options.state ? { state: options.state } : {}),
    stop_grace_seconds: 2,
    ...options.extra,
  };
  const path = join(dir, file);
  await writeFile(path, JSON.stringify(pipeline, null, 2));
  return path;
}

export function statePathOf(dir: string, name = 'items'): string {
  return join(dir, '.tapline', 'state', `${name}.json`);
}

/** The replication_key_value the stored state holds for a stream, or undefined. */
export function storedBookmark(dir: string, stream = 'items', name = 'items'): number | undefined {
  const state = readJson(statePathOf(dir, name)) as { bookmarks?: Record<string, { replication_key_value?: number }> } | undefined;
  return state?.bookmarks?.[stream]?.replication_key_value;
}
