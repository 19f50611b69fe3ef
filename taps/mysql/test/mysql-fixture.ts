/**
 * A scratch database for one test file, and helpers to run tap-mysql against it with config, catalog
 * and state files, as a user would.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { messagesOf, readUntil, recordsOf, tapHarness } from '@tapline/conformance';

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

// Discover, select, run and read a tap: the shared harness of @tapline/conformance, bound to this tap.
export const { discover, catalogWith, runTap, startTap } = tapHarness(bin);
export { readUntil };
export const messages = messagesOf;
export const records = recordsOf;
