/**
 * A scratch schema in the `tapline_tap_test` database for one test file, and helpers to run tap-postgres
 * against it with config, catalog and state files, as a user would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { messagesOf, readUntil, recordsOf, tapHarness } from '@tapline/conformance';

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

// Discover, select, run and read a tap: the shared harness of @tapline/conformance, bound to this tap.
export const { discover, catalogWith, runTap, startTap } = tapHarness(bin);
export { readUntil };
export const messages = messagesOf;
export const records = recordsOf;
