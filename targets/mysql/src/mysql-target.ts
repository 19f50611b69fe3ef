import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { ConfigurationError, DataError, type Logger, type ProgramDefinition } from '@tapline/protocol';
import { classifyMysqlError, connectMysql, DATA_ERRNOS, qualifiedName, quoteIdentifier, rejectedPosition, type MysqlConnection } from '@tapline/mysql-client';
import { runTarget } from '@tapline/target-base';
import {
  SQL_TARGET_CAPABILITIES,
  SqlTargetDriver,
  rowRejected,
  type BatchLoad,
  type ExistingTable,
  type PlannedColumn,
  type RetireMode,
  type SqlDialect,
  type TableChanges,
  type TableRef,
} from '@tapline/target-sql-base';
import { mysqlTargetConfigSchema, type MysqlTargetConfig } from './mysql-config.js';
import { mysqlType, neutralType, widenStatements } from './mysql-types.js';
import { ValueRejected, insertValueLists, loadDataChunks, type RejectedAt } from './mysql-values.js';

const STAGING = 'tapline_staging';
/** ER_NOT_ALLOWED_COMMAND (MariaDB, MySQL 5.x) and ER_CLIENT_LOCAL_FILES_DISABLED / ER_LOAD_INFILE_CAPABILITY_DISABLED (MySQL 8). */
const INFILE_REFUSED = new Set([1148, 2068, 3948]);
const DUPLICATE_KEY = 1062;

/** A warning or note the server raised while loading: in strict mode any of them means a value did not fit as sent. */
interface ServerWarning {
  Level: string;
  Code: number;
  Message: string;
}

export class MysqlDialect implements SqlDialect {
  readonly maxIdentifierBytes = 64;
  private connection: MysqlConnection | undefined;
  /** LOAD DATA LOCAL INFILE is allowed (config and server); turned off for good the first time the server refuses it. */
  private useInfile = false;
  private maxStatementChars = 4 << 20;
  /** Upserted tables that were empty when this run first loaded them and have seen no conflict: loaded directly. */
  private readonly insertOnly = new Map<string, boolean>();

  constructor(
    private readonly config: MysqlTargetConfig,
    private readonly logger: Logger,
  ) {}

  private get db(): MysqlConnection {
    if (this.connection === undefined) throw new Error('target-mysql is not connected');
    return this.connection;
  }

  async open(): Promise<void> {
    const wantInfile = this.config.local_infile ?? true;
    this.connection = await connectMysql(this.config, this.logger, { local_infile: wantInfile });
    const { rows } = await this.run<{ local_infile: number | string; packet: number | string }>('SELECT @@GLOBAL.local_infile AS local_infile, @@max_allowed_packet AS packet');
    const serverInfile = Number(rows[0]?.local_infile ?? 0) === 1;
    this.useInfile = wantInfile && serverInfile;
    this.maxStatementChars = Math.max(64 << 10, Math.min(8 << 20, Math.floor(Number(rows[0]?.packet ?? 4 << 20) / 4)));
    const how = this.useInfile ? 'LOAD DATA LOCAL INFILE' : `multi-row INSERT${wantInfile ? ' (the server has local_infile=OFF)' : ''}`;
    this.logger.info(`loading into ${this.db.describe} with ${how}`);
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }

  async ensureNamespace(namespace: string): Promise<void> {
    // CREATE DATABASE IF NOT EXISTS needs the CREATE privilege even when the database exists: look first.
    const { rows } = await this.run<{ n: number }>('SELECT 1 AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [namespace]);
    if (rows.length === 0) await this.run(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(namespace)} CHARACTER SET utf8mb4`);
  }

  async describeTable(ref: TableRef): Promise<ExistingTable | undefined> {
    const { rows } = await this.run<{ name: string; type: string; nullable: string }>(
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [ref.schema, ref.table],
    );
    if (rows.length === 0) return undefined;
    // MariaDB's JSON is LONGTEXT guarded by CHECK (json_valid(`column`)).
    const checks = await this.run<{ clause: string }>(
      'SELECT CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?',
      [ref.schema, ref.table],
    ).catch(() => ({ rows: [] as { clause: string }[] }));
    const jsonColumns = new Set<string>();
    for (const { clause } of checks.rows) {
      const match = /^json_valid\(`((?:[^`]|``)*)`\)$/i.exec(clause.trim());
      if (match?.[1] !== undefined) jsonColumns.add(match[1].replace(/``/g, '`'));
    }
    const { rows: indexes } = await this.run<{ name: string; column: string }>(
      `SELECT INDEX_NAME AS name, COLUMN_NAME AS \`column\` FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [ref.schema, ref.table],
    );
    const unique = new Map<string, string[]>();
    for (const index of indexes) unique.set(index.name, [...(unique.get(index.name) ?? []), index.column]);
    return {
      columns: new Map(rows.map((row) => [row.name, { name: row.name, type: neutralType(row.type, jsonColumns.has(row.name)), nullable: row.nullable === 'YES' }])),
      uniqueKeys: [...unique.values()],
    };
  }

  /** DDL commits implicitly in MySQL: each statement stands alone, and a failure names the stream. */
  async applyChanges(ref: TableRef, changes: TableChanges, stream: string): Promise<void> {
    const table = qualifiedName(ref.schema, ref.table);
    const keys = new Set(changes.create?.primaryKey ?? []);
    const definition = (column: PlannedColumn) =>
      `${quoteIdentifier(column.name)} ${mysqlType(column.type, keys.has(column.name))}${column.nullable ? '' : ' NOT NULL'}`;
    const statements: string[] = [];
    if (changes.create) {
      const parts = changes.create.columns.map(definition);
      if (changes.create.primaryKey.length > 0) parts.push(`PRIMARY KEY (${changes.create.primaryKey.map(quoteIdentifier).join(', ')})`);
      statements.push(`CREATE TABLE IF NOT EXISTS ${table} (${parts.join(', ')}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
    }
    for (const column of changes.add) statements.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${definition(column)}`);
    for (const { column, from, to } of changes.widen) {
      const name = quoteIdentifier(column.name);
      statements.push(...widenStatements(table, name, `${mysqlType(to)}${column.nullable ? '' : ' NOT NULL'}`, from, to));
    }
    for (const statement of statements) {
      try {
        await this.db.query(statement);
      } catch (error) {
        throw classifyMysqlError(error, { stream });
      }
    }
  }

  async load(load: BatchLoad): Promise<void> {
    if (load.columns.length === 0 || load.rows.length === 0) return;
    const table = qualifiedName(load.table.schema, load.table.table);
    const columns = load.columns.map((column) => quoteIdentifier(column.name)).join(', ');
    const db = this.db;
    await db.query('START TRANSACTION');
    try {
      // DELETE, not TRUNCATE: TRUNCATE commits on its own, and an overwrite must not empty the table before its rows are in.
      if (load.truncateFirst) await db.query(`DELETE FROM ${table}`);
      if (load.mode === 'append') {
        await this.loadInto(load, table, columns, false);
      } else if (await this.tryInsertOnly(load, table, columns)) {
        // Every key was new: the rows are in.
      } else {
        // The staging table is LIKE the destination (types, NOT NULL, JSON checks), so loading it rejects a
        // bad value with its row and column; the merge is then one set-based statement.
        await db.query(`DROP TEMPORARY TABLE IF EXISTS ${STAGING}`);
        await db.query(`CREATE TEMPORARY TABLE ${STAGING} LIKE ${table}`);
        await this.loadInto(load, STAGING, columns, false);
        for (const statement of this.mergeStatements(load, table, columns)) await db.query(statement);
        await db.query(`DROP TEMPORARY TABLE ${STAGING}`);
      }
      await db.query('COMMIT');
    } catch (error) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw this.loadError(load, error);
    }
  }

  /** Load straight into the table under a savepoint; false (rolled back) when a key already exists. */
  private async tryInsertOnly(load: BatchLoad, table: string, columns: string): Promise<boolean> {
    if (!load.keysUnique) return false;
    let insertOnly = load.truncateFirst || this.insertOnly.get(table);
    if (insertOnly === undefined) {
      const { rows } = await this.db.query<{ n: number }>(`SELECT 1 AS n FROM ${table} LIMIT 1`);
      insertOnly = rows.length === 0;
    }
    this.insertOnly.set(table, insertOnly);
    if (!insertOnly) return false;
    await this.db.query('SAVEPOINT tapline_insert_only');
    try {
      await this.loadInto(load, table, columns, true);
      return true;
    } catch (error) {
      if (!(error instanceof DuplicateKey)) throw error;
      await this.db.query('ROLLBACK TO SAVEPOINT tapline_insert_only');
      this.insertOnly.set(table, false);
      return false;
    }
  }

  /** Rows into `relation` with LOAD DATA LOCAL INFILE, or multi-row INSERTs when the server refuses it. */
  private async loadInto(load: BatchLoad, relation: string, columns: string, duplicatesExpected: boolean): Promise<void> {
    if (this.useInfile) {
      try {
        await this.loadData(load, relation, columns, duplicatesExpected);
        return;
      } catch (error) {
        if (!INFILE_REFUSED.has((error as { errno?: number }).errno ?? 0)) throw error;
        this.useInfile = false;
        this.logger.warn('the server refused LOAD DATA LOCAL INFILE; loading with multi-row INSERTs from now on (set local_infile=ON on the server for faster loads)');
      }
    }
    let offset = 0;
    for (const { chunk, rows } of insertValueLists(load.columns, load.rows, this.maxStatementChars)) {
      try {
        const result = await this.db.query(`INSERT INTO ${relation} (${columns}) VALUES ${chunk}`);
        if (result.warningStatus > 0) await this.rejectOnWarnings(offset, duplicatesExpected);
      } catch (error) {
        const e = error as { errno?: number; sqlMessage?: string };
        if (e.errno === DUPLICATE_KEY && duplicatesExpected) throw new DuplicateKey();
        if (e.errno !== undefined && DATA_ERRNOS.has(e.errno)) {
          const at = rejectedPosition(e.sqlMessage ?? '');
          throw Object.assign(error as object, { rejectedAt: { row: at.row === undefined ? undefined : at.row + offset, column: at.column, message: e.sqlMessage } });
        }
        throw error;
      }
      offset += rows;
    }
  }

  /**
   * LOAD DATA LOCAL turns every rejected value into a warning (the server cannot stop the client's
   * stream), even in strict mode. So any warning fails the batch, and the transaction rolls back: a
   * value is never stored truncated or rounded.
   */
  private async loadData(load: BatchLoad, relation: string, columns: string, duplicatesExpected: boolean): Promise<void> {
    const chunks = loadDataChunks(load.columns, load.rows);
    const sql = `LOAD DATA LOCAL INFILE 'tapline.tsv' INTO TABLE ${relation} CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${columns})`;
    // mysql2 writes every chunk it is given straight to the socket; waiting for the socket to drain keeps
    // one batch's text from piling up in memory ahead of the server.
    const socket = (this.db.connection as unknown as { stream: Writable }).stream;
    const result = await this.db.query({
      sql,
      infileStreamFactory: () => Readable.from((async function* () {
        for (const chunk of chunks) {
          if (socket.writableNeedDrain) await once(socket, 'drain');
          yield Buffer.from(chunk, 'utf8');
        }
      })()),
    } as never);
    if (result.warningStatus > 0) await this.rejectOnWarnings(0, duplicatesExpected);
  }

  private async rejectOnWarnings(offset: number, duplicatesExpected: boolean): Promise<void> {
    const { rows } = await this.db.query<ServerWarning>('SHOW WARNINGS LIMIT 10');
    const warning = rows.find((row) => row.Level !== 'Note') ?? rows[0];
    if (warning === undefined) return;
    if (warning.Code === DUPLICATE_KEY && duplicatesExpected) throw new DuplicateKey();
    const at = rejectedPosition(warning.Message);
    throw Object.assign(new Error(warning.Message), {
      errno: warning.Code,
      rejectedAt: { row: at.row === undefined ? undefined : at.row + offset, column: at.column, message: warning.Message },
    });
  }

  private mergeStatements(load: BatchLoad, table: string, columns: string): string[] {
    const keys = load.keys.map(quoteIdentifier);
    const others = load.columns.map((column) => quoteIdentifier(column.name)).filter((name) => !keys.includes(name));
    if (load.keysUnique) {
      const update = (others.length === 0 ? [keys[0]!] : others).map((name) => `${name} = VALUES(${name})`).join(', ');
      return [`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${STAGING} ON DUPLICATE KEY UPDATE ${update}`];
    }
    // A table someone else created without a unique key on the key columns: match rows by hand.
    const match = keys.map((key) => `t.${key} <=> s.${key}`).join(' AND ');
    const statements: string[] = [];
    if (others.length > 0) statements.push(`UPDATE ${table} t JOIN ${STAGING} s ON ${match} SET ${others.map((name) => `t.${name} = s.${name}`).join(', ')}`);
    statements.push(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${STAGING} s WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE ${match})`);
    return statements;
  }

  /** A rejected value names its stream, column and input line; anything else is classified as usual. */
  private loadError(load: BatchLoad, error: unknown): unknown {
    if (error instanceof DataError) return error;
    const rejected = (error as { rejectedAt?: Partial<RejectedAt> }).rejectedAt;
    if (rejected !== undefined) {
      const valueProblem = error instanceof ValueRejected;
      const row = rejected.row ?? (load.rows.length === 1 ? 1 : undefined);
      const message = valueProblem ? `${rejected.message ?? ''}` : `MySQL rejected a value: ${rejected.message ?? String(error)}`;
      return rowRejected(load, row, rejected.column, message, error);
    }
    return classifyMysqlError(error, { stream: load.stream });
  }

  async retireVersions(ref: TableRef, version: number, mode: RetireMode): Promise<void> {
    const table = qualifiedName(ref.schema, ref.table);
    const older = '(_sdc_table_version IS NULL OR _sdc_table_version < ?)';
    const statement =
      mode === 'hard'
        ? `DELETE FROM ${table} WHERE ${older}`
        : `UPDATE ${table} SET _sdc_deleted_at = UTC_TIMESTAMP(6) WHERE ${older} AND _sdc_deleted_at IS NULL`;
    await this.run(statement, [String(version)]);
  }

  async truncate(ref: TableRef): Promise<void> {
    await this.run(`TRUNCATE TABLE ${qualifiedName(ref.schema, ref.table)}`);
  }

  private async run<Row>(statement: string, values: unknown[] = []) {
    try {
      return await this.db.query<Row>(statement, values);
    } catch (error) {
      throw classifyMysqlError(error);
    }
  }
}

/** A key already in the table while loading it directly: fall back to staging and merging. */
class DuplicateKey extends Error {}

export const mysqlTarget: ProgramDefinition<MysqlTargetConfig> = {
  name: 'target-mysql',
  version: '0.1.0',
  kind: 'target',
  description: 'Loads Singer streams into MySQL or MariaDB: LOAD DATA LOCAL INFILE (or multi-row INSERTs) into a staging table, then one INSERT ... ON DUPLICATE KEY UPDATE per batch.',
  configSchema: mysqlTargetConfigSchema,
  capabilities: SQL_TARGET_CAPABILITIES,
  async run(context) {
    const config = context.config;
    const namespace = config.default_target_schema ?? config.database;
    if (namespace === undefined) {
      throw new ConfigurationError('target-mysql needs a database for its tables', { path: 'default_target_schema', hint: 'Set `database` or `default_target_schema`' });
    }
    const dialect = new MysqlDialect(config, context.logger);
    await runTarget(context, new SqlTargetDriver(dialect, config, context.logger, namespace));
  },
};
