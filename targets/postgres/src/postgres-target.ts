import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger, ProgramDefinition } from '@tapline/protocol';
import { classifyPostgresError, connectPostgres, qualifiedName, quoteIdentifier, type PostgresConnection } from '@tapline/postgres-client';
import { runTarget, type PendingRecord } from '@tapline/target-base';
import {
  SQL_TARGET_CAPABILITIES,
  SqlTargetDriver,
  rowRejected,
  type BatchLoad,
  type DialectBatches,
  type ExistingTable,
  type PlannedColumn,
  type PreparedTable,
  type RetireMode,
  type SqlDialect,
  type TableChanges,
  type TableRef,
} from '@tapline/target-sql-base';
import { postgresTargetConfigSchema, type PostgresTargetConfig } from './postgres-config.js';
import { CopyBatch, BatchHistory, copyRowsOf, type CopyLayout, type CopyRows } from './postgres-copy-batch.js';
import { neutralType, postgresType, widenUsing } from './postgres-types.js';

const STAGING = 'tapline_staging';

export class PostgresDialect implements SqlDialect {
  readonly maxIdentifierBytes = 63;
  readonly nonFiniteFloats = true;
  readonly scansRecords = true;
  private connection: PostgresConnection | undefined;
  /**
   * Upserted tables where no key loaded this run existed before (the table was empty when the run first
   * loaded it, and every COPY straight into it has succeeded): for them a batch is COPYed into the table
   * itself, which costs half of staging plus INSERT ... ON CONFLICT. The first conflict turns it off.
   */
  private readonly insertOnly = new Map<string, boolean>();

  constructor(
    private readonly config: PostgresTargetConfig,
    private readonly logger: Logger,
  ) {}

  private get client() {
    if (this.connection === undefined) throw new Error('target-postgres is not connected');
    return this.connection.client;
  }

  async open(): Promise<void> {
    this.connection = await connectPostgres(this.config, this.logger, { applicationName: 'target-postgres' });
    this.logger.info(`loading into ${this.connection.describe}`);
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }

  async ensureNamespace(namespace: string): Promise<void> {
    // CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists: look first.
    let found;
    try {
      found = await this.client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [namespace]);
    } catch (error) {
      throw classifyPostgresError(error);
    }
    if (found.rowCount === 0) await this.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(namespace)}`);
  }

  async describeTable(ref: TableRef): Promise<ExistingTable | undefined> {
    const { rows } = await this.client
      .query<{ name: string; type: string; nullable: string; unique_keys: string | null }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              (SELECT json_agg(keys) FROM (
                 SELECT json_agg(k.attname) AS keys FROM pg_index i
                 JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                 GROUP BY i.indexrelid) u)::text AS unique_keys
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
       ORDER BY a.attnum`,
        [ref.schema, ref.table],
      )
      .catch((error: unknown) => {
        throw classifyPostgresError(error, { table: ref.table });
      });
    if (rows.length === 0) return undefined;
    return {
      columns: new Map(rows.map((row) => [row.name, { name: row.name, type: neutralType(row.type), nullable: row.nullable === 't' || row.nullable === 'true' }])),
      uniqueKeys: JSON.parse(rows[0]!.unique_keys ?? '[]') as string[][],
    };
  }

  async applyChanges(ref: TableRef, changes: TableChanges, stream: string): Promise<void> {
    const table = qualifiedName(ref.schema, ref.table);
    const statements: string[] = [];
    const definition = (column: PlannedColumn) =>
      `${quoteIdentifier(column.name)} ${postgresType(column.type)}${column.nullable ? '' : ' NOT NULL'}`;
    if (changes.create) {
      const parts = changes.create.columns.map(definition);
      if (changes.create.primaryKey.length > 0) parts.push(`PRIMARY KEY (${changes.create.primaryKey.map(quoteIdentifier).join(', ')})`);
      statements.push(`CREATE TABLE IF NOT EXISTS ${table} (${parts.join(', ')})`);
    }
    for (const column of changes.add) statements.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${definition(column)}`);
    for (const { column, from, to } of changes.widen) {
      const name = quoteIdentifier(column.name);
      statements.push(`ALTER TABLE ${table} ALTER COLUMN ${name} TYPE ${postgresType(to)} USING ${widenUsing(name, from, to)}`);
    }
    await this.transaction(statements.join(';\n'), { stream });
  }

  /** Each sink's records are kept as COPY text from the moment they are scanned (see postgres-copy-batch.ts). */
  batches(table: PreparedTable): DialectBatches {
    const layout = copyLayout(table);
    const history = new BatchHistory();
    return {
      create: () => new CopyBatch(layout, history),
      release: (records) => {
        for (const record of records) if (record instanceof CopyBatch) record.release();
      },
    };
  }

  async load(batch: BatchLoad): Promise<void> {
    if (batch.columns.length === 0 || batch.rows.length === 0) return;
    const rows = copyRowsOf(batch);
    const load = { ...batch, columns: rows.columns };
    const table = qualifiedName(load.table.schema, load.table.table);
    const columns = load.columns.map((column) => quoteIdentifier(column.name)).join(', ');
    const client = this.client;
    await client.query('BEGIN');
    try {
      if (load.truncateFirst) await client.query(`TRUNCATE ${table}`);
      if (load.mode === 'append') {
        // Nothing to merge: COPY straight into the table.
        await this.copy(rows, `COPY ${table} (${columns}) FROM STDIN`, load.table.table);
      } else if (await this.tryInsertOnly(load, rows, table, columns)) {
        // Every key was new: the rows are in.
      } else {
        // The staging table has the destination's column types, so COPY itself rejects a bad value and
        // names its line and column (an INSERT ... SELECT would only say which statement failed).
        await client.query(`CREATE TEMP TABLE ${STAGING} ON COMMIT DROP AS SELECT ${columns} FROM ${table} WITH NO DATA`);
        await this.copy(rows, `COPY ${STAGING} (${columns}) FROM STDIN`, STAGING);
        await client.query(this.mergeStatement(load, table, columns));
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.loadError(load, rows, error);
    }
  }

  /** COPY straight into the table under a savepoint; false (rolled back) when a key already exists. */
  private async tryInsertOnly(load: BatchLoad, rows: CopyRows, table: string, columns: string): Promise<boolean> {
    if (!load.keysUnique) return false;
    const client = this.client;
    let insertOnly = load.truncateFirst || this.insertOnly.get(table);
    if (insertOnly === undefined) {
      const { rows } = await client.query<{ empty: string }>(`SELECT NOT EXISTS (SELECT 1 FROM ${table}) AS empty`);
      insertOnly = rows[0]?.empty === 't' || rows[0]?.empty === 'true';
    }
    this.insertOnly.set(table, insertOnly);
    if (!insertOnly) return false;
    await client.query('SAVEPOINT tapline_insert_only');
    try {
      await this.copy(rows, `COPY ${table} (${columns}) FROM STDIN`, load.table.table);
      await client.query('RELEASE SAVEPOINT tapline_insert_only');
      return true;
    } catch (error) {
      if ((error as { copyError?: { code?: string } }).copyError?.code !== '23505') throw error;
      await client.query('ROLLBACK TO SAVEPOINT tapline_insert_only');
      this.insertOnly.set(table, false);
      return false;
    }
  }

  private async copy(rows: CopyRows, statement: string, relation: string): Promise<void> {
    const stream = this.client.query(copyFrom(statement));
    try {
      await pipeline(Readable.from(rows.chunks()), stream);
    } catch (error) {
      throw Object.assign(new Error('COPY failed'), { copyError: error, relation });
    }
  }

  private mergeStatement(load: BatchLoad, table: string, columns: string): string {
    const keys = load.keys.map(quoteIdentifier);
    const others = load.columns.map((column) => quoteIdentifier(column.name)).filter((name) => !keys.includes(name));
    if (load.keysUnique) {
      const action = others.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${others.map((name) => `${name} = EXCLUDED.${name}`).join(', ')}`;
      return `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${STAGING} ON CONFLICT (${keys.join(', ')}) ${action}`;
    }
    // A table someone else created without a unique key on the key columns: match rows by hand.
    const match = keys.map((key) => `t.${key} = s.${key}`).join(' AND ');
    const update = others.length === 0 ? '' : `UPDATE ${table} t SET ${others.map((name) => `${name} = s.${name}`).join(', ')} FROM ${STAGING} s WHERE ${match};\n`;
    return `${update}INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${STAGING} s WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${match})`;
  }

  /** A rejected value names its stream, column and input line; anything else is classified as usual. */
  private loadError(load: BatchLoad, rows: CopyRows, error: unknown): unknown {
    const copy = error as { copyError?: unknown; relation?: string };
    const cause = copy.copyError ?? error;
    const pgError = cause as { code?: string; message?: string; where?: string; column?: string };
    const code = pgError.code ?? '';
    if (code.startsWith('22') || code.startsWith('23')) {
      const where = copy.relation === undefined ? undefined : copyPosition(pgError.where ?? '', copy.relation, load.columns.map((c) => c.name));
      const line = rows.lineOf(where?.line ?? (rows.count === 1 ? 1 : 0));
      // rowRejected names the record by its line: give it the one row in question.
      const rejected = { ...load, rows: line === undefined ? [] : [{ line } as PendingRecord] };
      return rowRejected(rejected, line === undefined ? undefined : 1, where?.column ?? pgError.column, `PostgreSQL rejected a value: ${pgError.message ?? String(cause)}`, cause);
    }
    return classifyPostgresError(cause, { stream: load.stream });
  }

  async retireVersions(ref: TableRef, version: number, mode: RetireMode): Promise<void> {
    const table = qualifiedName(ref.schema, ref.table);
    const older = '(_sdc_table_version IS NULL OR _sdc_table_version < $1)';
    const statement =
      mode === 'hard'
        ? `DELETE FROM ${table} WHERE ${older}`
        : `UPDATE ${table} SET _sdc_deleted_at = now() WHERE ${older} AND _sdc_deleted_at IS NULL`;
    try {
      await this.client.query(statement, [String(version)]);
    } catch (error) {
      throw classifyPostgresError(error, { table: ref.table });
    }
  }

  async truncate(ref: TableRef): Promise<void> {
    await this.run(`TRUNCATE ${qualifiedName(ref.schema, ref.table)}`);
  }

  private async run(statement: string, where: { stream?: string } = {}): Promise<void> {
    try {
      await this.client.query(statement);
    } catch (error) {
      throw classifyPostgresError(error, where);
    }
  }

  private async transaction(statements: string, where: { stream?: string }): Promise<void> {
    try {
      await this.client.query(`BEGIN;\n${statements};\nCOMMIT`);
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw classifyPostgresError(error, where);
    }
  }
}

/**
 * The row and column of a COPY error. PostgreSQL says `COPY <relation>, line <n>, column <name>: "<value>"`;
 * the column is matched against the names we sent, since a name may itself contain commas or colons.
 */
export function copyPosition(where: string, relation: string, columns: string[]): { line: number; column?: string } | undefined {
  const first = where.split('\n').find((text) => text.startsWith(`COPY ${relation}, line `));
  if (first === undefined) return undefined;
  const rest = first.slice(`COPY ${relation}, line `.length);
  const line = Number(/^\d+/.exec(rest)?.[0]);
  if (!Number.isInteger(line)) return undefined;
  const afterLine = rest.replace(/^\d+/, '');
  const column = columns
    .filter((name) => afterLine.startsWith(`, column ${name}:`) || afterLine === `, column ${name}`)
    .sort((a, b) => b.length - a.length)[0];
  return column === undefined ? { line } : { line, column };
}

/**
 * The property columns a batch fills, as the shared sink will load them: every planned property the table
 * has, with the table's type (its metadata columns are added at load time, when their values are known).
 */
function copyLayout({ plan, table, method }: PreparedTable): CopyLayout {
  const columns: CopyLayout['columns'] = [];
  for (const column of plan.columns) {
    const existing = table.columns.get(column.name);
    if (existing !== undefined && column.property !== undefined) columns.push({ name: column.name, property: column.property, type: existing.type });
  }
  const upsert = method !== 'append' && plan.keys.length > 0;
  const keys = upsert ? plan.keys.map((key) => columns.find((column) => column.name === key)?.property ?? key) : [];
  return { columns, keys };
}

export const postgresTarget: ProgramDefinition<PostgresTargetConfig> = {
  name: 'target-postgres',
  version: '0.1.0',
  kind: 'target',
  description: 'Loads Singer streams into PostgreSQL: COPY into a staging table, then one set-based upsert or insert per batch.',
  configSchema: postgresTargetConfigSchema,
  capabilities: SQL_TARGET_CAPABILITIES,
  async run(context) {
    const config = context.config;
    const dialect = new PostgresDialect(config, context.logger);
    await runTarget(context, new SqlTargetDriver(dialect, config, context.logger, config.default_target_schema ?? 'public'));
  },
};
