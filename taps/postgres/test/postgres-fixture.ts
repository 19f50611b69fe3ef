/**
 * A scratch schema in the `tapline_tap_test` database for one test file, and helpers to run tap-postgres
 * against it with config, catalog and state files, as a user would.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runProgram, type ProgramRun } from '@tapline/conformance';

const execFileAsync = promisify(execFile);

export const bin = fileURLToPath(new URL('../bin/tap-postgres.js', import.meta.url));
export const DATABASE = 'tapline_tap_test';

export interface Fixture {
  schema: string;
  dir: string;
  config: Record<string, unknown>;
  sql(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Write a JSON file in the scratch folder and return its path. */
  file(name: string, value: unknown): Promise<string>;
  cleanup(): Promise<void>;
}

export async function openFixture(url: string): Promise<Fixture> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } catch (error) {
    // 42P04: another test file created it first; 23505: both tried at once.
    if (!['42P04', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
  } finally {
    await admin.end();
  }
  const parsed = new URL(url);
  parsed.pathname = `/${DATABASE}`;
  const client = new pg.Client({ connectionString: parsed.toString() });
  await client.connect();
  const schema = `tap_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await client.query(`CREATE SCHEMA ${schema}`);
  const dir = await mkdtemp(join(tmpdir(), 'tap-postgres-'));
  return {
    schema,
    dir,
    config: {
      host: parsed.hostname,
      port: Number(parsed.port || 5432),
      user: decodeURIComponent(parsed.username) || 'postgres',
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      database: DATABASE,
      filter_schemas: [schema],
    },
    sql: (text, values) => client.query(text, values),
    async file(name, value) {
      const path = join(dir, name);
      await writeFile(path, JSON.stringify(value));
      return path;
    },
    async cleanup() {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type Json = Record<string, unknown>;

export async function discover(fixture: Fixture, extraConfig: Json = {}): Promise<{ streams: Json[] }> {
  const config = await fixture.file('discover-config.json', { ...fixture.config, ...extraConfig });
  // Not runProgram: the catalog is pretty-printed JSON, not one message per line.
  const { stdout } = await execFileAsync(process.execPath, [bin, '--config', config, '--discover'], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as { streams: Json[] };
}

/** The catalog with `streams` selected, each with extra stream-level metadata (replication method, key). */
export async function catalogWith(fixture: Fixture, streams: Record<string, Json>): Promise<Json> {
  const catalog = await discover(fixture);
  for (const stream of catalog.streams) {
    const extra = streams[stream.tap_stream_id as string];
    if (extra === undefined) continue;
    const entries = stream.metadata as { breadcrumb: string[]; metadata: Json }[];
    const top = entries.find((entry) => entry.breadcrumb.length === 0);
    if (top) Object.assign(top.metadata, { selected: true, ...extra });
  }
  return catalog;
}

export async function runTap(fixture: Fixture, options: { catalog?: Json; state?: unknown; config?: Json; name?: string } = {}): Promise<ProgramRun> {
  const name = options.name ?? 'run';
  const args = ['--config', await fixture.file(`${name}-config.json`, { ...fixture.config, ...options.config })];
  if (options.catalog !== undefined) args.push('--catalog', await fixture.file(`${name}-catalog.json`, options.catalog));
  if (options.state !== undefined) args.push('--state', await fixture.file(`${name}-state.json`, options.state));
  return runProgram(bin, { args, timeoutMs: 60_000 });
}

/** Start the tap without reading its output; the caller reads lines and kills it. */
export async function startTap(fixture: Fixture, options: { catalog: Json; state?: unknown; config?: Json; name: string }): Promise<ChildProcessWithoutNullStreams> {
  const args = [bin, '--config', await fixture.file(`${options.name}-config.json`, { ...fixture.config, ...options.config })];
  args.push('--catalog', await fixture.file(`${options.name}-catalog.json`, options.catalog));
  if (options.state !== undefined) args.push('--state', await fixture.file(`${options.name}-state.json`, options.state));
  return spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * Read complete lines from a child's stdout until `enough(lines)` is true, then pause the stream: the tap
 * blocks on its full pipe (backpressure) and makes no further progress until it is resumed. `partial` is
 * the incomplete last line read so far.
 */
export function readUntil(child: ChildProcessWithoutNullStreams, enough: (lines: string[]) => boolean): Promise<{ lines: string[]; partial: string }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let rest = '';
    const onData = (chunk: Buffer): void => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
      if (enough(lines)) {
        child.stdout.pause();
        child.stdout.off('data', onData);
        resolve({ lines, partial: rest });
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', () => reject(new Error(`the tap exited before enough output (${lines.length} lines)`)));
  });
}

export function messages(run: ProgramRun, type: string): Json[] {
  return run.messages.filter((message) => message.type === type);
}

export function records(run: ProgramRun, stream?: string): Json[] {
  return messages(run, 'RECORD').filter((m) => stream === undefined || m.stream === stream).map((m) => m.record as Json);
}
