/**
 * Shared by target-duckdb's and tap-duckdb's tests: a fresh database file per case, SQL against it, and
 * rows read back as JSON values the way tap-duckdb renders them (decimals as exact text, timestamps as
 * ISO 8601, JSON as values), keyed by property name.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger, parseExact, stringifyExact } from '@tapline/protocol';
import { openDuckDB, qualifiedName, quoteLiteral, type DuckDBConnection } from '@tapline/duckdb-client';
import { runProgram, type ProgramRun } from '@tapline/conformance';
import { identifierFor } from '@tapline/target-sql-base';
import { parseDuckDBType, renderColumn } from '../../../taps/duckdb/src/duckdb-types.js';

export const targetBin = fileURLToPath(new URL('../bin/target-duckdb.js', import.meta.url));
export const tapBin = fileURLToPath(new URL('../../../taps/duckdb/bin/tap-duckdb.js', import.meta.url));

const quiet = new Logger({ program: 'test', level: 'silent' });

export interface TempDir {
  dir: string;
  file(name: string): string;
  cleanup(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), `tapline-duckdb-${prefix}-`));
  return { dir, file: (name) => join(dir, name), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Open a database file, run `work`, close it (releasing the file lock). */
export async function withDatabase<T>(path: string, work: (db: DuckDBConnection) => Promise<T>, options: { readOnly?: boolean } = {}): Promise<T> {
  const db = await openDuckDB({ path }, quiet, options);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** Column name -> DuckDB data type of a table. */
export async function columnTypes(path: string, table: string): Promise<Record<string, string>> {
  return withDatabase(path, async (db) => {
    const rows = await db.query<{ name: string; type: string }>(`SELECT column_name AS name, data_type AS type FROM duckdb_columns() WHERE table_name = '${table}'`);
    return Object.fromEntries(rows.map((row) => [row.name, row.type]));
  }, { readOnly: true });
}

export function sql(path: string, statements: string): Promise<void> {
  return withDatabase(path, (db) => db.run(statements));
}

/** The rows of a table as tap-duckdb would emit them, keyed by property name (missing columns left out). */
export async function readRows(path: string, stream: string, properties: string[], options: { schema?: string; where?: string } = {}): Promise<Record<string, unknown>[]> {
  const schema = options.schema ?? 'main';
  const table = identifierFor(stream, 255);
  return withDatabase(
    path,
    async (db) => {
      const columns = await db.query<{ name: string; type: string }>(
        `SELECT column_name AS name, data_type AS type FROM duckdb_columns() WHERE schema_name = ${quoteLiteral(schema)} AND table_name = ${quoteLiteral(table)}`,
      );
      if (columns.length === 0) return [];
      const types = new Map(columns.map((column) => [column.name, column.type]));
      const present = properties.filter((property) => types.has(identifierFor(property, 255)));
      const fields = present.map((property, i) => {
        const name = identifierFor(property, 255);
        const type = types.get(name)!;
        return `'c${i}': ${renderColumn({ name, sqlType: type, nullable: true, detail: parseDuckDBType(type) }, `"${name.replace(/"/g, '""')}"`)}`;
      });
      const rows = await db.query<{ row: string }>(
        `SELECT CAST(to_json({${fields.length === 0 ? "'none': 1" : fields.join(', ')}}) AS VARCHAR) AS row FROM ${qualifiedName(schema, table)} ${options.where ?? ''}`,
      );
      return rows.map(({ row }) => {
        const values = parseExact(row) as Record<string, unknown>;
        return Object.fromEntries(present.map((property, i) => [property, values[`c${i}`] ?? null]));
      });
    },
    { readOnly: true },
  );
}

export async function count(path: string, stream: string, where = ''): Promise<number> {
  return withDatabase(path, async (db) => {
    const [row] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName('main', identifierFor(stream, 255))} ${where}`);
    return Number(row!.n);
  }, { readOnly: true });
}

/** Run a bin with a config object and stdin text. */
export async function runWithConfig(bin: string, config: Record<string, unknown>, options: { text?: string; file?: string; args?: string[] } = {}): Promise<ProgramRun> {
  const dir = await tempDir('config');
  try {
    const configPath = dir.file('config.json');
    await writeFile(configPath, JSON.stringify(config));
    return await runProgram(bin, {
      args: ['--config', configPath, ...(options.args ?? [])],
      ...(options.file === undefined ? { stdinText: options.text ?? '' } : { stdinFile: options.file }),
      timeoutMs: 120_000,
    });
  } finally {
    await dir.cleanup();
  }
}

/** Singer lines from message objects (a bigint is written as its digits: an integer beyond 2^53). */
export function lines(...messages: unknown[]): string {
  return `${messages.map((m) => stringifyExact(m)).join('\n')}\n`;
}
