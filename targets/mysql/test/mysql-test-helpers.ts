/** Shared by target-mysql's tests: a fresh database per case, a config pointing at it, rows read back as JSON. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { mysqlTestUrl, runProgram, type ProgramRun } from '@tapline/conformance';
import { stringifyExact } from '@tapline/protocol';
import { identifierFor } from '@tapline/target-sql-base';

export const bin = fileURLToPath(new URL('../bin/target-mysql.js', import.meta.url));
export const url = mysqlTestUrl();

export function connectionConfig(text = url!): Record<string, unknown> {
  const parsed = new URL(text);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 3306),
    user: decodeURIComponent(parsed.username),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    database: parsed.pathname.slice(1),
  };
}

export async function withMysql<T>(work: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const config = connectionConfig();
  const connection = await mysql.createConnection({
    host: config.host as string,
    port: config.port as number,
    user: config.user as string,
    ...(config.password === undefined ? {} : { password: config.password as string }),
    database: config.database as string,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    multipleStatements: true,
  });
  try {
    await connection.query("SET time_zone = '+00:00'");
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** A database no other test (or engineer) uses. */
export function uniqueDatabase(prefix: string): string {
  return `tt_${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export async function dropDatabase(database: string): Promise<void> {
  await withMysql((connection) => connection.query(`DROP DATABASE IF EXISTS \`${database}\``));
}

const q = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * A table's rows as plain JSON values keyed by property name: decimals as their exact text, DATETIME as
 * ISO text in UTC, JSON documents parsed, tinyint(1) as booleans, TIME without trailing zeros.
 */
export async function readRows(database: string, stream: string, properties: string[], where = ''): Promise<Record<string, unknown>[]> {
  const table = identifierFor(stream, 64);
  return withMysql(async (connection) => {
    const [columns] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT COLUMN_NAME AS name, DATA_TYPE AS type, COLUMN_TYPE AS full FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table],
    );
    if (columns.length === 0) return [];
    const [checks] = await connection.query<mysql.RowDataPacket[]>(
      'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table],
    );
    const json = new Set(checks.map((c) => /json_valid\(`(.*)`\)/.exec(String(c.clause))?.[1]?.replace(/``/g, '`')));
    const types = new Map(columns.map((c) => [String(c.name), { type: String(c.type), full: String(c.full) }]));
    const present = properties.filter((property) => types.has(identifierFor(property, 64)));
    const select = present.map((property, i) => `${q(identifierFor(property, 64))} AS c${i}`);
    const [rows] = await connection.query<mysql.RowDataPacket[]>(`SELECT ${select.length > 0 ? select.join(', ') : '1 AS none'} FROM ${q(database)}.${q(table)} ${where}`);
    return rows.map((row) => {
      const out: Record<string, unknown> = {};
      present.forEach((property, i) => {
        const name = identifierFor(property, 64);
        const value = row[`c${i}`] as unknown;
        const { type, full } = types.get(name)!;
        if (value === null) out[property] = null;
        else if (json.has(name) || type === 'json') out[property] = JSON.parse(String(value));
        else if (full === 'tinyint(1)') out[property] = Number(value) !== 0;
        else if (type === 'datetime' || type === 'timestamp') out[property] = `${String(value).replace(' ', 'T')}Z`;
        else if (type === 'time') out[property] = String(value).replace(/\.?0+$/, '');
        else out[property] = value;
      });
      return out;
    });
  });
}

export async function count(database: string, stream: string, where = ''): Promise<number> {
  return withMysql(async (connection) => {
    const [rows] = await connection.query<mysql.RowDataPacket[]>(`SELECT count(*) AS n FROM ${q(database)}.${q(identifierFor(stream, 64))} ${where}`);
    return Number(rows[0]!.n);
  });
}

/** Run target-mysql with a config and stdin text (or file). */
export async function runTargetMysql(config: Record<string, unknown>, input: { text?: string; file?: string }, env: NodeJS.ProcessEnv = {}): Promise<ProgramRun> {
  const dir = await mkdtemp(join(tmpdir(), 'target-mysql-'));
  try {
    const configPath = join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify(config));
    return await runProgram(bin, {
      args: ['--config', configPath],
      ...(input.file === undefined ? { stdinText: input.text ?? '' } : { stdinFile: input.file }),
      env,
      timeoutMs: 120_000,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Singer lines from message objects (bigints written with every digit). */
export function lines(...messages: unknown[]): string {
  return `${messages.map((m) => stringifyExact(m)).join('\n')}\n`;
}
