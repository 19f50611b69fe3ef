/** Shared by target-postgres's tests: a fresh schema per case, a config pointing at it, rows read back as JSON. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresConnectionConfig, postgresTestUrl, runProgram, type ProgramRun } from '@tapline/conformance';
import { parseExact } from '@tapline/protocol';
import { identifierFor } from '@tapline/target-sql-base';

export const bin = fileURLToPath(new URL('../bin/target-postgres.js', import.meta.url));
export const url = postgresTestUrl();

/** The connection settings tap-postgres and target-postgres take, from the test URL. */
export const connectionConfig = (text = url!): Record<string, unknown> => postgresConnectionConfig(text);

export async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A schema no other test (or engineer) uses. */
export function uniqueSchema(prefix: string): string {
  return `tt_${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

export async function dropSchema(schema: string): Promise<void> {
  await withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

/**
 * A table's rows as plain JSON values keyed by property name: numerics as their exact text, timestamps as
 * ISO text, jsonb as objects.
 */
export async function readRows(schema: string, stream: string, properties: string[], where = ''): Promise<Record<string, unknown>[]> {
  const table = identifierFor(stream, 63);
  return withClient(async (client) => {
    const { rows: columns } = await client.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [schema, table],
    );
    if (columns.length === 0) return [];
    const types = new Map(columns.map((c) => [c.column_name, c.data_type]));
    const present = properties.filter((property) => types.has(identifierFor(property, 63)));
    const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const select = present.map((property, i) => {
      const column = q(identifierFor(property, 63));
      return types.get(identifierFor(property, 63)) === 'numeric' ? `${column}::text AS c${i}` : `to_json(${column})::text AS c${i}`;
    });
    const { rows } = await client.query<Record<string, string | null>>(
      `SELECT ${select.length > 0 ? select.join(', ') : '1 AS none'} FROM ${q(schema)}.${q(table)} ${where}`,
    );
    return rows.map((row) => {
      const out: Record<string, unknown> = {};
      present.forEach((property, i) => {
        const text = row[`c${i}`] ?? null;
        const numeric = types.get(identifierFor(property, 63)) === 'numeric';
        out[property] = text === null ? null : numeric ? text : parseExact(text);
      });
      return out;
    });
  });
}

export async function count(schema: string, stream: string, where = ''): Promise<number> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}"."${identifierFor(stream, 63).replace(/"/g, '""')}" ${where}`);
    return Number(rows[0]!.n);
  });
}

/** Run target-postgres with a config and stdin text (or file). */
export async function runTargetPostgres(config: Record<string, unknown>, input: { text?: string; file?: string }, env: NodeJS.ProcessEnv = {}): Promise<ProgramRun> {
  const dir = await mkdtemp(join(tmpdir(), 'target-postgres-'));
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

/** Singer lines from message objects. */
export function lines(...messages: unknown[]): string {
  return `${messages.map((m) => JSON.stringify(m)).join('\n')}\n`;
}
