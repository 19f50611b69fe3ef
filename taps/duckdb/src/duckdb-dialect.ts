/**
 * The DuckDB side of the SQL tap: introspection from duckdb_columns(), one transaction (a snapshot) per
 * stream, and rows rendered to JSON by DuckDB and streamed chunk by chunk (2,048 rows at a time), so the
 * tap never holds more than a chunk of a table.
 */
import type { DuckDBConnection } from '@tapline/duckdb-client';
import { classifyDuckDBError, qualifiedName, quoteIdentifier, quoteLiteral } from '@tapline/duckdb-client';
import { parsePositionValue, type ColumnType, type ReadRequest, type RowBatch, type SqlColumn, type SqlDialect, type SqlTable } from '@tapline/tap-sql-base';
import { duckdbColumnType, literalFor, parseDuckDBType, renderColumn } from './duckdb-types.js';

/**
 * Rows per page of an ordered read: bounds the top-N DuckDB keeps in memory. Each page scans the table
 * again (pruned by zone maps when rows lie in key order), so pages must not be too small either.
 */
const PAGE_ROWS = 200_000;

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
    const primaryKeys = new Map(keys.map((row) => [`${row.schema}\u0000${row.table}`, row.columns]));
    const tables = new Map<string, SqlTable>();
    for (const row of columns) {
      const id = `${row.schema}\u0000${row.table}`;
      let table = tables.get(id);
      if (table === undefined) {
        table = {
          schema: row.schema,
          name: row.table,
          columns: [],
          primaryKey: primaryKeys.get(id) ?? [],
          isView: row.is_view,
          ...(row.estimate === null ? {} : { rowEstimate: Number(row.estimate) }),
        };
        tables.set(id, table);
      }
      table.columns.push({ name: row.column, sqlType: row.sql_type, nullable: row.nullable, detail: parseDuckDBType(row.sql_type) });
    }
    return [...tables.values()];
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

  /**
   * The query of one page of a read: each record as JSON text, the row's position as a JSON array text,
   * and the page key (the order-by columns as text, and `rowid` when they may repeat) to start the next
   * page after. Ordered reads go page by page, each a bounded top-N over the raw columns (`LIMIT` inside,
   * rendering outside), because one `ORDER BY` over the whole table would sort all of it in memory.
   */
  selectStatement(request: ReadRequest, page?: { after: string[]; size: number; rowid: boolean }): string {
    const { table, columns, orderBy } = request;
    const quoted = (column: SqlColumn) => quoteIdentifier(column.name);
    const fields = columns.map((column) => `${quoteLiteral(column.name)}: ${renderColumn(column, quoted(column))}`);
    const record = fields.length === 0 ? `'{}'` : `CAST(to_json({${fields.join(', ')}}) AS VARCHAR)`;
    const conditions: string[] = [];
    if (request.after !== undefined) {
      const after = request.after;
      conditions.push(`(${orderBy.map(quoted).join(', ')}) > (${orderBy.map((column, i) => literalFor(column, after[i])).join(', ')})`);
    }
    const first = orderBy[0];
    if (first !== undefined && request.from !== undefined) conditions.push(`${quoted(first)} >= ${literalFor(first, request.from)}`);
    if (first !== undefined && request.to !== undefined) conditions.push(`${quoted(first)} <= ${literalFor(first, request.to)}`);
    const keys = [...orderBy.map(quoted), ...(page?.rowid ? ['rowid'] : [])];
    if (page !== undefined && page.after.length > 0) {
      const values = orderBy.map((column, i) => literalFor(column, page.after[i]));
      if (page.rowid) values.push(String(Number(page.after[orderBy.length])));
      conditions.push(`(${keys.join(', ')}) > (${values.join(', ')})`);
    }
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    const order = orderBy.length === 0 ? '' : ` ORDER BY ${keys.join(', ')}`;
    // `text`: the keys as DuckDB prints them (exact, and what CAST reads back); `json`: as the record holds them.
    const position =
      orderBy.length === 0
        ? `'[]'`
        : `CAST(to_json([${orderBy.map((column) => (request.position === 'text' ? `CAST(${quoted(column)} AS VARCHAR)` : renderColumn(column, quoted(column)))).join(', ')}]) AS VARCHAR)`;
    const pageKey = page === undefined ? '' : `, ${[...orderBy.map((column) => `CAST(${quoted(column)} AS VARCHAR)`), ...(page.rowid ? ['CAST(rowid AS VARCHAR)'] : [])].join(', ')}`;
    const source = qualifiedName(table.schema, table.name);
    if (page === undefined) return `SELECT ${record} AS record, ${position} AS position FROM ${source}${where}${order}`;
    const inner = `SELECT *${page.rowid ? ', rowid' : ''} FROM ${source}${where}${order} LIMIT ${page.size}`;
    return `SELECT ${record} AS record, ${position} AS position${pageKey} FROM (${inner})${order}`;
  }

  async *readRows(request: ReadRequest, signal: AbortSignal): AsyncIterable<RowBatch> {
    // Views have no rowid: an ordered read of a view whose order may repeat is one sorted query.
    const rowid = request.orderBy.length > 0 && request.position === 'json';
    const paged = request.orderBy.length > 0 && !(rowid && request.table.isView);
    let after: string[] = [];
    try {
      for (;;) {
        const sql = paged ? this.selectStatement(request, { after, size: PAGE_ROWS, rowid }) : this.selectStatement(request);
        const result = await this.db.connection.stream(sql);
        let rows = 0;
        let last: string[] | undefined;
        for (;;) {
          if (signal.aborted) throw signal.reason;
          const chunk = await result.fetchChunk();
          if (chunk === null || chunk.rowCount === 0) break;
          rows += chunk.rowCount;
          if (paged) {
            const row = chunk.rowCount - 1;
            last = [];
            for (let column = 2; column < chunk.columnCount; column += 1) last.push(chunk.getColumnVector(column).getItem(row) as string);
          }
          yield { records: chunk.getColumnValues(0) as string[], positions: chunk.getColumnValues(1) as string[] };
        }
        if (!paged || rows < PAGE_ROWS || last === undefined) break;
        after = last;
      }
    } catch (error) {
      throw classifyDuckDBError(error, { stream: request.streamId });
    }
    // Stopping early needs nothing more: the next statement on the connection closes the open stream.
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
