/**
 * The MySQL side of the SQL tap: introspection from information_schema, one consistent-snapshot
 * transaction per stream, and rows streamed with the driver's row stream (the connection pauses while
 * the tap's stdout is full, so memory stays flat whatever the table size).
 */
import type mysql from 'mysql2';
import { classifyMysqlError, qualifiedName, quoteIdentifier, quoteLiteral, type MysqlConnection } from '@tapline/mysql-client';
import { parsePositionValue, tableId, tablesFromColumns, type ColumnType, type ReadRequest, type RowBatch, type SqlColumn, type SqlDialect, type SqlTable } from '@tapline/tap-sql-base';
import { literalFor, mysqlColumnType, mysqlMappedType, positionText, typeInfoOf, type MysqlTypeInfo, type Render } from './mysql-types.js';

const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];
const BATCH_ROWS = 1000;

interface ColumnRow {
  schema: string;
  table: string;
  kind: string;
  estimate: string | number | null;
  column: string;
  column_type: string;
  data_type: string;
  nullable: string;
  max_length: string | number | null;
}

export interface MysqlDialectOptions {
  /** Discover only this database (unless filter_schemas names others). */
  database?: string;
  filterSchemas?: string[];
  tinyint1AsBoolean: boolean;
}

export class MysqlDialect implements SqlDialect {
  readonly databaseName: string;
  /** A row stream the tap stopped reading: the connection must be destroyed, since ending it would wait for the rows. */
  private abandoned = false;

  constructor(
    private readonly connection: MysqlConnection,
    private readonly options: MysqlDialectOptions,
  ) {
    this.databaseName = options.database ?? '';
  }

  private async query<Row>(sql: string, values: unknown[] = [], where: { stream?: string } = {}): Promise<Row[]> {
    try {
      return (await this.connection.query<Row>(sql, values)).rows;
    } catch (error) {
      throw classifyMysqlError(error, where);
    }
  }

  async introspect(): Promise<SqlTable[]> {
    const only = this.options.filterSchemas === undefined && this.options.database !== undefined ? [this.options.database] : undefined;
    const schemaFilter = only === undefined ? `NOT IN (${SYSTEM_SCHEMAS.map(() => '?').join(', ')})` : 'IN (?)';
    const schemaValues = only ?? SYSTEM_SCHEMAS;
    const columns = await this.query<ColumnRow>(
      `SELECT c.TABLE_SCHEMA AS \`schema\`, c.TABLE_NAME AS \`table\`, t.TABLE_TYPE AS kind, t.TABLE_ROWS AS estimate,
              c.COLUMN_NAME AS \`column\`, c.COLUMN_TYPE AS column_type, c.DATA_TYPE AS data_type, c.IS_NULLABLE AS nullable,
              c.CHARACTER_MAXIMUM_LENGTH AS max_length
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
       WHERE c.TABLE_SCHEMA ${schemaFilter}
       ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION`,
      schemaValues,
    );
    const keys = await this.query<{ schema: string; table: string; column: string }>(
      `SELECT TABLE_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, COLUMN_NAME AS \`column\` FROM information_schema.KEY_COLUMN_USAGE
       WHERE CONSTRAINT_NAME = 'PRIMARY' AND TABLE_SCHEMA ${schemaFilter} ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION`,
      schemaValues,
    );
    // MariaDB's JSON is LONGTEXT with CHECK (json_valid(`column`)); MySQL has no such table before 8.0.16, hence the catch.
    const checks = await this.query<{ schema: string; table: string; clause: string }>(
      `SELECT CONSTRAINT_SCHEMA AS \`schema\`, TABLE_NAME AS \`table\`, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
       WHERE CONSTRAINT_SCHEMA ${schemaFilter}`,
      schemaValues,
    ).catch(() => []);
    const jsonColumns = new Set<string>();
    for (const check of checks) {
      const match = /^json_valid\(`((?:[^`]|``)*)`\)$/i.exec(String(check.clause).trim());
      if (match?.[1] !== undefined) jsonColumns.add(`${tableId(check.schema, check.table)}\u0000${match[1].replace(/``/g, '`')}`);
    }
    const primaryKeys = new Map<string, string[]>();
    for (const key of keys) {
      const id = tableId(key.schema, key.table);
      primaryKeys.set(id, [...(primaryKeys.get(id) ?? []), key.column]);
    }
    return tablesFromColumns(columns, primaryKeys, {
      table: (row) => {
        const isView = row.kind === 'VIEW';
        return { isView, database: row.schema, ...(row.estimate === null || isView ? {} : { rowEstimate: Number(row.estimate) }) };
      },
      column: (row, id) => {
        const info: MysqlTypeInfo = {
          dataType: row.data_type,
          columnType: row.column_type,
          ...(row.max_length === null ? {} : { maxLength: Number(row.max_length) }),
          json: jsonColumns.has(`${id}\u0000${row.column}`),
          tinyint1AsBoolean: this.options.tinyint1AsBoolean,
        };
        return { name: row.column, sqlType: row.column_type, nullable: row.nullable === 'YES', detail: info };
      },
    });
  }

  columnType(column: SqlColumn): ColumnType | undefined {
    return mysqlColumnType(column);
  }

  async inSnapshot<T>(work: () => Promise<T>): Promise<T> {
    await this.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await this.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    try {
      const result = await work();
      await this.query('COMMIT');
      return result;
    } catch (error) {
      await this.connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private renderOf(column: SqlColumn): Render {
    const mapped = mysqlMappedType(typeInfoOf(column));
    if (mapped === undefined) throw new Error(`column ${column.name} has an unsupported type ${column.sqlType}`);
    return mapped.render;
  }

  async max(table: SqlTable, column: SqlColumn): Promise<unknown> {
    const rows = await this.query<{ m: unknown }>(`SELECT MAX(${quoteIdentifier(column.name)}) AS m FROM ${qualifiedName(table.schema, table.name)}`, [], { stream: table.name });
    const value = rows[0]?.m;
    if (value === null || value === undefined) return undefined;
    // Through parsePositionValue: a BIGINT beyond 2^53 stays exact text, so the signpost does not round down past rows.
    return parsePositionValue(`[${this.renderOf(column)(value)}]`);
  }

  /** The SELECT of a read: the emitted columns, then the ordering columns again for the row's position. */
  selectStatement(request: ReadRequest): string {
    const { table, columns, orderBy } = request;
    const quoted = (column: SqlColumn) => quoteIdentifier(column.name);
    const conditions: string[] = [];
    if (request.after !== undefined) {
      // (a, b) > (x, y) spelt out, so the optimizer uses the primary key as a range on every server version.
      const after = request.after;
      const literals = orderBy.map((column, i) => literalFor(column, after[i], quoteLiteral));
      const alternatives = orderBy.map((column, i) =>
        [...orderBy.slice(0, i).map((earlier, j) => `${quoted(earlier)} = ${literals[j]!}`), `${quoted(column)} > ${literals[i]!}`].join(' AND '),
      );
      conditions.push(`(${alternatives.map((a) => `(${a})`).join(' OR ')})`);
    }
    const first = orderBy[0];
    if (first !== undefined && request.from !== undefined) conditions.push(`${quoted(first)} >= ${literalFor(first, request.from, quoteLiteral)}`);
    if (first !== undefined && request.to !== undefined) conditions.push(`${quoted(first)} <= ${literalFor(first, request.to, quoteLiteral)}`);
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    const order = orderBy.length === 0 ? '' : ` ORDER BY ${orderBy.map(quoted).join(', ')}`;
    const select = [...columns, ...orderBy].map(quoted).join(', ');
    return `SELECT ${select.length === 0 ? '1' : select} FROM ${qualifiedName(table.schema, table.name)}${where}${order}`;
  }

  async *readRows(request: ReadRequest, signal: AbortSignal): AsyncIterable<RowBatch> {
    const sql = this.selectStatement(request);
    const count = request.columns.length;
    // Each record is its fields' JSON behind precomputed `"name":` prefixes: no object per row, one string.
    const prefixes = request.columns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`);
    const renders = request.columns.map((column) => this.renderOf(column));
    const keyRenders = request.orderBy.map((column) => this.renderOf(column));
    const keyCount = request.orderBy.length;
    const textPositions = request.position === 'text';
    // Rows are rendered as the driver parses them ('result' events, no promise per row) into batches; the
    // connection pauses while two batches wait for stdout, so memory stays flat whatever the table size.
    const connection = this.connection.connection;
    const ready: RowBatch[] = [];
    let records: string[] = [];
    let positions: string[] = [];
    let paused = false;
    let finished = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      const resolve = wake;
      wake = undefined;
      resolve?.();
    };
    const query = connection.query({ sql, rowsAsArray: true } as mysql.QueryOptions);
    query.on('result', (result) => {
      const row = result as unknown as unknown[];
      try {
        let record = count === 0 ? '{' : '';
        for (let i = 0; i < count; i += 1) {
          const value = row[i];
          record += prefixes[i]! + (value === null ? 'null' : renders[i]!(value));
        }
        records.push(`${record}}`);
        let position = '[';
        for (let k = 0; k < keyCount; k += 1) {
          const value = row[count + k];
          if (k > 0) position += ',';
          position += value === null ? 'null' : textPositions ? JSON.stringify(positionText(value)) : keyRenders[k]!(value);
        }
        positions.push(`${position}]`);
      } catch (error) {
        failure ??= error;
        notify();
        return;
      }
      if (records.length >= BATCH_ROWS) {
        ready.push({ records, positions });
        records = [];
        positions = [];
        if (ready.length >= 2 && !paused) {
          paused = true;
          connection.pause();
        }
        notify();
      }
    });
    query.on('error', (error) => {
      failure ??= error;
      notify();
    });
    query.on('end', () => {
      if (records.length > 0) ready.push({ records, positions });
      finished = true;
      notify();
    });
    let completed = false;
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        if (failure !== undefined) throw failure;
        const next = ready.shift();
        if (next !== undefined) {
          if (paused && ready.length < 2) {
            paused = false;
            connection.resume();
          }
          yield next;
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      completed = true;
    } catch (error) {
      throw classifyMysqlError(error, { stream: request.streamId });
    } finally {
      // Stopped before the end (an error, or the consumer returned): the rest of the rows are still coming,
      // so the connection is destroyed on close rather than ended.
      if (!completed) this.abandoned = true;
    }
  }

  async close(): Promise<void> {
    await this.connection.close({ force: this.abandoned });
  }
}
