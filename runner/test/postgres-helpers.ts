/** For the runner's PostgreSQL tests: schemas of their own, pipelines of tap-postgres | target-postgres. */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresConnectionConfig, postgresGate } from '@tapline/conformance';

export const gate = postgresGate();
export const url = gate.url;
export const TAP_POSTGRES = fileURLToPath(new URL('../../taps/postgres/bin/tap-postgres.js', import.meta.url));
export const TARGET_POSTGRES = fileURLToPath(new URL('../../targets/postgres/bin/target-postgres.js', import.meta.url));

/** The connection settings tap-postgres and target-postgres take, from the test URL. */
export const connectionConfig = (text = url!): Record<string, unknown> => postgresConnectionConfig(text);

export async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function sql(text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  return withClient(async (client) => (await client.query(text, values)).rows as Record<string, unknown>[]);
}

/** A schema name no other test uses. */
export function uniqueSchema(prefix: string): string {
  return `tr_${prefix}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchemas(...schemas: string[]): Promise<void> {
  await withClient(async (client) => {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
}

/**
 * The source: `<schema>.orders` with `rows` rows, `updated_at` one second apart from 2024-01-01 (row id
 * seconds after midnight), so a row's id says where its timestamp sits.
 */
export async function createOrders(schema: string, rows: number): Promise<void> {
  await withClient(async (client) => {
    await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(
      `CREATE TABLE "${schema}".orders (id integer PRIMARY KEY, name text NOT NULL, amount numeric(12,2), updated_at timestamptz NOT NULL)`,
    );
    await client.query(
      `INSERT INTO "${schema}".orders SELECT g, 'order ' || g, g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
       FROM generate_series(1, $1::int) g`,
      [rows],
    );
  });
}

export interface OrderRow {
  id: number;
  name: string;
  amount: string;
  updated_at: string;
}

/** Rows of an orders table ordered by id, with numerics as text and timestamps as ISO text in UTC. */
export async function readOrders(schema: string, table: string): Promise<OrderRow[]> {
  const rows = await sql(
    `SELECT id::int AS id, name, amount::text AS amount, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') AS updated_at
     FROM "${schema}"."${table}" ORDER BY id`,
  );
  return rows as unknown as OrderRow[];
}

export interface PostgresPipelineOptions {
  name: string;
  source: string;
  destination: string;
  /** Stream-level metadata for the orders stream (replication-method, replication-key). */
  metadata?: Record<string, unknown>;
  tapOptions?: Record<string, unknown>;
  targetOptions?: Record<string, unknown>;
  transforms?: unknown[];
}

/**
 * A pipeline tap-postgres (the source schema's orders) | [transforms] | target-postgres (the destination
 * schema), with its state in the PostgreSQL backend, in a table of the destination schema.
 */
export async function writePostgresPipeline(dir: string, options: PostgresPipelineOptions): Promise<string> {
  const stream = `${options.source}-orders`;
  const pipeline = {
    name: options.name,
    tap: {
      command: TAP_POSTGRES,
      options: { ...connectionConfig(), filter_schemas: [options.source], state_every_rows: 1000, ...options.tapOptions },
      select: [stream],
      ...(options.metadata ? { metadata: { [stream]: options.metadata } } : {}),
    },
    ...(options.transforms ? { transforms: options.transforms } : {}),
    target: {
      command: TARGET_POSTGRES,
      options: { ...connectionConfig(), default_target_schema: options.destination, batch_size_rows: 1000, ...options.targetOptions },
    },
    state: { backend: 'postgres', url, schema: options.destination, table: 'tapline_state' },
    stop_grace_seconds: 2,
  };
  const path = join(dir, `${options.name}.yml`);
  await writeFile(path, JSON.stringify(pipeline, null, 2));
  return path;
}

/** The state the PostgreSQL backend holds for a pipeline, or undefined. */
export async function storedState(schema: string, pipeline: string): Promise<{ bookmarks: Record<string, Record<string, unknown>> } | undefined> {
  try {
    const rows = await sql(`SELECT state FROM "${schema}".tapline_state WHERE pipeline = $1`, [pipeline]);
    return rows[0]?.state as { bookmarks: Record<string, Record<string, unknown>> } | undefined;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return undefined; // no table yet
    throw error;
  }
}
