/**
 * The DuckDB side of the SQL tap: introspection from duckdb_columns(), one transaction (a snapshot) per
 * stream, and rows rendered to JSON by DuckDB and streamed chunk by chunk (2,048 rows at a time), so the
 * tap never holds more than a chunk of a table.
 */
import type { DuckDBConnection } from '@tapline/duckdb-client';
import { classifyDuckDBError, qualifiedName, quoteIdentifier, quoteLiteral } from '@tapline/duckdb-client';
import { SyncError } from '@tapline/protocol';
import { parsePositionValue, tableId, tablesFromColumns, type ColumnType, type ReadRequest, type RowBatch, type SqlColumn, type SqlDialect, type SqlTable } from '@tapline/tap-sql-base';
import { duckdbColumnType, literalFor, parseDuckDBType, renderColumn } from './duckdb-types.js';

/**
 * Rows per range of a large read. An ordered range is sorted by DuckDB in memory, so this bounds that sort;
 * each range is one more query (pruned by zone maps to the row groups that hold its keys).
 */
const RANGE_ROWS = 50_000;
/** Sampled keys per range: more make the ranges' sizes closer to RANGE_ROWS. */
const SAMPLES_PER_RANGE = 20;

/** Part of a read: keys above `above` (exclusive) up to `upTo` (inclusive), as DuckDB's text; or rowids from `rowidFrom` below `rowidTo`. */
interface ReadRange {
  above?: string[];
  upTo?: string[];
  rowidFrom?: number;
  rowidTo?: number;
}

const COLUMNS_SQL = `
SELECT c.schema_name AS schema, c.table_name AS "table", c.column_name AS "column", c.data_type AS sql_type, c.is_nullable AS nullable,
       v.view_name IS NOT NULL AS is_view, t.estimated_size AS estimate
FROM duckdb_columns() c
LEFT JOIN duckdb_tables() t ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name
LEFT JOIN duckdb_views() v ON v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name
WHERE c.database_name = current_database() AND NOT c.internal
  AND c.schema_name NOT IN ('information_schema', 'pg_catalog')
  AND (t.table_name IS NOT NULL OR (v.view_name IS NOT NULL AND NOT v.internal AND NOT v.temporary))
ORDER BY c.schema_name, c.table_name, c.column_index`;

const PRIMARY_KEYS_SQL = `
SELECT schema_name AS schema, table_name AS "table", constraint_column_names AS columns
FROM duckdb_constraints()
WHERE database_name = current_database() AND constraint_type = 'PRIMARY KEY'`;

interface ColumnRow {
  schema: string;
  table: string;
  column: string;
  sql_type: string;
  nullable: boolean;
  is_view: boolean;
  estimate: string | null;
}

export class DuckDBDialect implements SqlDialect {
  constructor(
    private readonly db: DuckDBConnection,
    readonly databaseName: string,
  ) {}

  async introspect(): Promise<SqlTable[]> {
    const columns = await this.db.query<ColumnRow>(COLUMNS_SQL);
    const keys = await this.db.query<{ schema: string; table: string; columns: string[] }>(PRIMARY_KEYS_SQL);
    const primaryKeys = new Map(keys.map((row) => [tableId(row.schema, row.table), row.columns]));
    return tablesFromColumns(columns, primaryKeys, {
      table: (row) => ({ isView: row.is_view, ...(row.estimate === null ? {} : { rowEstimate: Number(row.estimate) }) }),
      column: (row) => ({ name: row.column, sqlType: row.sql_type, nullable: row.nullable, detail: parseDuckDBType(row.sql_type) }),
    });
  }

  columnType(column: SqlColumn): ColumnType | undefined {
    return duckdbColumnType(column);
  }

  /** DuckDB transactions are snapshots (MVCC): every statement in one sees the same data. */
  async inSnapshot<T>(work: () => Promise<T>): Promise<T> {
    await this.db.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.db.run('COMMIT');
      return result;
    } catch (error) {
      await this.db.connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async max(table: SqlTable, column: SqlColumn): Promise<unknown> {
    const sql = `SELECT CAST(to_json([${renderColumn(column, `max(${quoteIdentifier(column.name)})`)}]) AS VARCHAR) AS position FROM ${qualifiedName(table.schema, table.name)}`;
    const [row] = await this.db.query<{ position: string }>(sql, { stream: table.name });
    return row === undefined ? undefined : parsePositionValue(row.position) ?? undefined;
  }

  /** The WHERE conditions of a read (resume point, bookmark, signpost), without a range. */
  private conditions(request: ReadRequest): string[] {
    const { orderBy } = request;
    const quoted = (column: SqlColumn) => quoteIdentifier(column.name);
    const conditions: string[] = [];
    if (request.after !== undefined) {
      const after = request.after;
      conditions.push(`(${orderBy.map(quoted).join(', ')}) > (${orderBy.map((column, i) => literalFor(column, after[i])).join(', ')})`);
    }
    const first = orderBy[0];
    if (first !== undefined && request.from !== undefined) conditions.push(`${quoted(first)} >= ${literalFor(first, request.from)}`);
    if (first !== undefined && request.to !== undefined) conditions.push(`${quoted(first)} <= ${literalFor(first, request.to)}`);
    return conditions;
  }

  /** The conditions of one range; the first key's own bounds are repeated so that zone maps can prune. */
  private rangeConditions(request: ReadRequest, range: ReadRange): string[] {
    const { orderBy } = request;
    const keys = orderBy.map((column) => quoteIdentifier(column.name)).join(', ');
    const literals = (values: string[]) => orderBy.map((column, i) => literalFor(column, values[i])).join(', ');
    const first = orderBy[0];
    const conditions: string[] = [];
    if (range.above !== undefined && first !== undefined) {
      conditions.push(`(${keys}) > (${literals(range.above)})`);
      if (orderBy.length > 1) conditions.push(`${quoteIdentifier(first.name)} >= ${literalFor(first, range.above[0])}`);
    }
    if (range.upTo !== undefined && first !== undefined) {
      conditions.push(`(${keys}) <= (${literals(range.upTo)})`);
      if (orderBy.length > 1) conditions.push(`${quoteIdentifier(first.name)} <= ${literalFor(first, range.upTo[0])}`);
    }
    if (range.rowidFrom !== undefined) conditions.push(`rowid >= ${String(range.rowidFrom)}`);
    if (range.rowidTo !== undefined) conditions.push(`rowid < ${String(range.rowidTo)}`);
    return conditions;
  }

  /**
   * The query of a read, or of one range of it: each record as JSON text, and the row's position as a JSON
   * array text. An ordered read sorts only its range (see readRows).
   */
  selectStatement(request: ReadRequest, range: ReadRange = {}): string {
    const { table, columns, orderBy } = request;
    const quoted = (column: SqlColumn) => quoteIdentifier(column.name);
    const fields = columns.map((column) => `${quoteLiteral(column.name)}: ${renderColumn(column, quoted(column))}`);
    const record = fields.length === 0 ? `'{}'` : `CAST(to_json({${fields.join(', ')}}) AS VARCHAR)`;
    const conditions = [...this.conditions(request), ...this.rangeConditions(request, range)];
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    const order = orderBy.length === 0 ? '' : ` ORDER BY ${orderBy.map(quoted).join(', ')}`;
    // `text`: the keys as DuckDB prints them (exact, and what CAST reads back); `json`: as the record holds them.
    const position =
      orderBy.length === 0
        ? `'[]'`
        : `CAST(to_json([${orderBy.map((column) => (request.position === 'text' ? `CAST(${quoted(column)} AS VARCHAR)` : renderColumn(column, quoted(column)))).join(', ')}]) AS VARCHAR)`;
    return `SELECT ${record} AS record, ${position} AS position FROM ${qualifiedName(table.schema, table.name)}${where}${order}`;
  }

  /**
   * How a read is split. A small read is one query. A large ordered read goes in ranges of about RANGE_ROWS
   * keys, bounded by a sample of the keys, each range one sorted query: one ORDER BY over the whole table
   * would sort all of it in memory, and `ORDER BY ... LIMIT n` pages sort all the remaining rows too (DuckDB
   * turns a LIMIT above 5,000 into a full sort). Rows with equal keys always fall in one range. A large
   * unordered read of a table goes in rowid ranges; of a view, it is one query.
   */
  private async plan(request: ReadRequest): Promise<{ total: number; ranges: ReadRange[] }> {
    const { table, orderBy } = request;
    const source = qualifiedName(table.schema, table.name);
    const conditions = this.conditions(request);
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    const rowids = orderBy.length === 0 && !table.isView;
    const [counted] = await this.db.query<{ total: string; first: string | null; last: string | null }>(
      `SELECT count(*) AS total${rowids ? ', min(rowid) AS first, max(rowid) AS last' : ''} FROM ${source}${where}`,
      { stream: request.streamId },
    );
    const total = Number(counted?.total ?? 0);
    if (total <= RANGE_ROWS * 2) return { total, ranges: [{}] };
    if (rowids) {
      const ranges: ReadRange[] = [];
      const last = Number(counted?.last ?? 0);
      for (let from = Number(counted?.first ?? 0); from <= last; from += RANGE_ROWS) ranges.push({ rowidFrom: from, rowidTo: from + RANGE_ROWS });
      return { total, ranges };
    }
    if (orderBy.length === 0) return { total, ranges: [{}] };
    const keys = orderBy.map((column) => quoteIdentifier(column.name));
    const texts = keys.map((key, i) => `CAST(${key} AS VARCHAR) AS k${i}`);
    const size = Math.ceil(total / RANGE_ROWS) * SAMPLES_PER_RANGE;
    const sample = await this.db.query<Record<string, string>>(
      `SELECT ${texts.join(', ')} FROM (SELECT ${keys.join(', ')} FROM ${source}${where}) USING SAMPLE reservoir(${String(size)} ROWS) REPEATABLE (1) ORDER BY ${keys.join(', ')}`,
      { stream: request.streamId },
    );
    const ranges: ReadRange[] = [];
    let above: string[] | undefined;
    for (let i = SAMPLES_PER_RANGE; i < sample.length; i += SAMPLES_PER_RANGE) {
      const row = sample[i] as Record<string, string>;
      const upTo = keys.map((_, k) => row[`k${k}`] as string);
      // Equal keys sampled twice would make an empty range.
      if (above !== undefined && upTo.every((value, k) => value === above?.[k])) continue;
      ranges.push({ ...(above === undefined ? {} : { above }), upTo });
      above = upTo;
    }
    ranges.push(above === undefined ? {} : { above });
    return { total, ranges };
  }

  async *readRows(request: ReadRequest, signal: AbortSignal): AsyncIterable<RowBatch> {
    let rows = 0;
    let total: number;
    try {
      const plan = await this.plan(request);
      total = plan.total;
      for (const [i, range] of plan.ranges.entries()) {
        const result = await this.db.connection.stream(this.selectStatement(request, range));
        for (;;) {
          if (signal.aborted) throw signal.reason;
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          rows += chunk.rowCount;
          yield { records: chunk.getColumnValues(0) as string[], positions: chunk.getColumnValues(1) as string[] };
        }
        // The blocks of this range are not read again: let them go, or DuckDB keeps the whole table cached.
        if (i < plan.ranges.length - 1) await this.db.releaseMemory();
      }
    } catch (error) {
      throw classifyDuckDBError(error, { stream: request.streamId });
    }
    // Stopping early needs nothing more: the next statement on the connection closes the open stream.
    if (rows !== total) {
      // The driver ends a stream that fails while rows flow (out of memory, say) as if it had ended: only the count tells.
      throw new SyncError(`DuckDB stopped the read of ${request.streamId} after ${rows} of ${total} rows without saying why`, {
        stream: request.streamId,
        hint: 'The usual cause is memory: raise memory_limit (or lower threads) and run again; a FULL_TABLE stream resumes after its last key',
      });
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
