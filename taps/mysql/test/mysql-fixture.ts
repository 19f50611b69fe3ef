/**
 * A scratch database for one test file, and helpers to run tap-mysql against it with config, catalog
 * and state files, as a user would.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { runProgram, type ProgramRun } from '@tapline/conformance';

const execFileAsync = promisify(execFile);

export const bin = fileURLToPath(new URL('../bin/tap-mysql.js', import.meta.url));

export interface Fixture {
  database: string;
  dir: string;
  config: Record<string, unknown>;
  sql(text: string, values?: unknown[]): Promise<unknown>;
  /** Rows of a query, values as the driver's text (dates as strings, big numbers as strings). */
  rows(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Write a JSON file in the scratch folder and return its path. */
  file(name: string, value: unknown): Promise<string>;
  cleanup(): Promise<void>;
}

export function connectionConfig(url: string): Record<string, unknown> {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username) || 'root',
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

export async function openFixture(url: string, prefix = 'tap'): Promise<Fixture> {
  const base = connectionConfig(url);
  const connection = await mysql.createConnection({
    host: base.host as string,
    port: base.port as number,
    user: base.user as string,
    ...(base.password === undefined ? {} : { password: base.password as string }),
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    charset: 'UTF8MB4_GENERAL_CI',
  });
  await connection.query("SET time_zone = '+00:00'");
  const database = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await connection.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  await connection.query(`USE \`${database}\``);
  const dir = await mkdtemp(join(tmpdir(), 'tap-mysql-'));
  return {
    database,
    dir,
    config: { ...base, database },
    sql: (text, values) => connection.query(text, values),
    async rows(text, values) {
      const [rows] = await connection.query<mysql.RowDataPacket[]>(text, values);
      return rows as Record<string, unknown>[];
    },
    async file(name, value) {
      const path = join(dir, name);
      await writeFile(path, JSON.stringify(value));
      return path;
    },
    async cleanup() {
      await connection.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await connection.end();
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
export async function catalogWith(fixture: Fixture, streams: Record<string, Json>, extraConfig: Json = {}): Promise<Json> {
  const catalog = await discover(fixture, extraConfig);
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

/** Read complete lines from a child's stdout until `enough(lines)` is true, then stop reading. */
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
