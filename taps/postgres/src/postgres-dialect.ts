/**
 * The PostgreSQL side of the SQL tap: introspection from pg_catalog, one REPEATABLE READ snapshot per
 * stream, and rows read with `COPY (SELECT ...) TO STDOUT`: the server renders only the values whose JSON
 * is not their text (dates, arrays...) and the tap builds each record's JSON from the COPY text as bytes
 * (see postgres-copy.ts; less than half the server's CPU of `row_to_json`, see README).
 */
import { to as copyTo } from 'pg-copy-streams';
import type { PostgresConnection } from '@tapline/postgres-client';
import { classifyPostgresError, qualifiedName, quoteIdentifier, quoteLiteral } from '@tapline/postgres-client';
import { parsePositionValue, tableId, tablesFromColumns, type ByteRowBatch, type ColumnType, type ReadRequest, type SqlColumn, type SqlDialect, type SqlTable } from '@tapline/tap-sql-base';
import { CopyTextRecords } from './postgres-copy.js';
import { columnRead, literalFor, postgresColumnType, renderColumn, type PostgresTypeInfo } from './postgres-types.js';

/** Columns of every user table, view and materialized view, domains resolved to their base types. */
const COLUMNS_SQL = `
SELECT n.nspname AS schema, c.relname AS table, c.relkind AS kind,
       CASE WHEN c.relkind IN ('r', 'p', 'm') AND c.reltuples >= 0 THEN c.reltuples::bigint END AS estimate,
       a.attname AS column, format_type(a.atttypid, a.atttypmod) AS sql_type, NOT a.attnotnull AS nullable,
       b.typname AS type_name, b.typcategory AS category,
       CASE WHEN b.typtype = 'e' THEN (SELECT array_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = b.oid) END AS enum_labels,
       CASE WHEN b.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 END AS max_length,
       e.typname AS element_name, e.typcategory AS element_category,
       CASE WHEN e.typtype = 'e' THEN (SELECT array_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = e.oid) END AS element_enum_labels
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_type e ON b.typcategory = 'A' AND e.oid = b.typelem
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
ORDER BY n.nspname, c.relname, a.attnum`;

const PRIMARY_KEYS_SQL = `
SELECT n.nspname AS schema, c.relname AS table, array_agg(a.attname ORDER BY k.ord) AS columns
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE i.indisprimary
GROUP BY n.nspname, c.relname`;

interface ColumnRow {
  schema: string;
  table: string;
  kind: string;
  estimate: string | null;
  column: string;
  sql_type: string;
  nullable: string;
  type_name: string;
  category: string;
  enum_labels: string | null;
  max_length: string | null;
  element_name: string | null;
  element_category: string | null;
  element_enum_labels: string | null;
}

/** A PostgreSQL text array (`{a,"b c"}`) as strings; enough for enum labels. */
function parseTextArray(text: string | null): string[] | undefined {
  if (text === null) return undefined;
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  const items: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|([^,]+)/g;
  for (let m = pattern.exec(inner); m !== null; m = pattern.exec(inner)) {
    items.push(m[1] === undefined ? (m[2] ?? '') : m[1].replace(/\\(.)/g, '$1'));
  }
  return items;
}

export class PostgresDialect implements SqlDialect {
  constructor(
    private readonly connection: PostgresConnection,
    readonly databaseName: string,
  ) {}

  private async query<Row>(sql: string, where: { stream?: string } = {}): Promise<Row[]> {
    try {
      return (await this.connection.client.query(sql)).rows as Row[];
    } catch (error) {
      throw classifyPostgresError(error, where);
    }
  }

  async introspect(): Promise<SqlTable[]> {
    const [columns, keys] = [await this.query<ColumnRow>(COLUMNS_SQL), await this.query<{ schema: string; table: string; columns: string }>(PRIMARY_KEYS_SQL)];
    const primaryKeys = new Map(keys.map((row) => [tableId(row.schema, row.table), parseTextArray(row.columns) ?? []]));
    return tablesFromColumns(columns, primaryKeys, {
      table: (row) => ({ isView: row.kind === 'v' || row.kind === 'm', ...(row.estimate === null ? {} : { rowEstimate: Number(row.estimate) }) }),
      column: (row) => {
        const enumLabels = parseTextArray(row.enum_labels);
        const elementLabels = parseTextArray(row.element_enum_labels);
        const info: PostgresTypeInfo = {
          name: row.type_name,
          category: row.category,
          ...(enumLabels === undefined ? {} : { enumLabels }),
          ...(row.max_length === null ? {} : { maxLength: Number(row.max_length) }),
          ...(row.element_name === null
            ? {}
            : { element: { name: row.element_name, category: row.element_category ?? '', ...(elementLabels === undefined ? {} : { enumLabels: elementLabels }) } }),
        };
        return { name: row.column, sqlType: row.sql_type, nullable: row.nullable === 't' || row.nullable === 'true', detail: info };
      },
    });
  }

  columnType(column: SqlColumn): ColumnType | undefined {
    return postgresColumnType(column);
  }

  async inSnapshot<T>(work: () => Promise<T>): Promise<T> {
    await this.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const result = await work();
      await this.query('COMMIT');
      return result;
    } catch (error) {
      await this.connection.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  async max(table: SqlTable, column: SqlColumn): Promise<unknown> {
    const sql = `SELECT json_build_array(${renderColumn(column, `max(${quoteIdentifier(column.name)})`)})::text AS position FROM ${qualifiedName(table.schema, table.name)}`;
    const [row] = await this.query<{ position: string }>(sql, { stream: table.name });
    return row === undefined ? undefined : parsePositionValue(row.position) ?? undefined;
  }

  /**
   * The COPY statement of a read: the record's columns (see `columnRead`), then the position of the row:
   * each `orderBy` column as database text (`text`) or as its JSON (`json`).
   */
  copyStatement(request: ReadRequest): string {
    const { table, columns, orderBy } = request;
    const select = columns.map((column) => columnRead(column).sql);
    const conditions: string[] = [];
    const quoted = (column: SqlColumn) => quoteIdentifier(column.name);
    if (request.after !== undefined) {
      const after = request.after;
      conditions.push(`(${orderBy.map(quoted).join(', ')}) > (${orderBy.map((column, i) => literalFor(column, after[i], quoteLiteral)).join(', ')})`);
    }
    const first = orderBy[0];
    if (first !== undefined && request.from !== undefined) conditions.push(`${quoted(first)} >= ${literalFor(first, request.from, quoteLiteral)}`);
    if (first !== undefined && request.to !== undefined) conditions.push(`${quoted(first)} <= ${literalFor(first, request.to, quoteLiteral)}`);
    // The rendered key is what the record holds (bytea as base64...); `::text` of it is what literalFor reads back.
    for (const column of orderBy) select.push(request.position === 'text' ? `(${renderColumn(column)})::text` : `to_json(${renderColumn(column)})`);
    const where = conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
    // Qualified: a bare name in ORDER BY would mean the output column, which may be the rendered text.
    const order = orderBy.length === 0 ? '' : ` ORDER BY ${orderBy.map((column) => `tapline_source.${quoted(column)}`).join(', ')}`;
    // COPY needs at least one column; a table whose columns are all deselected still has rows.
    const list = select.length === 0 ? 'NULL' : select.join(', ');
    return `COPY (SELECT ${list} FROM ${qualifiedName(table.schema, table.name)} AS tapline_source${where}${order}) TO STDOUT`;
  }

  async *readRows(request: ReadRequest, signal: AbortSignal): AsyncIterable<ByteRowBatch> {
    const sql = this.copyStatement(request);
    const stream = this.connection.client.query(copyTo(sql));
    const reads = request.columns.map(columnRead);
    const records = new CopyTextRecords(request.columns.map((column) => column.name), reads.map((read) => read.mode), request.orderBy.length, request.position, request.lineAffixes);
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (signal.aborted) throw signal.reason;
        yield* records.push(chunk);
      }
    } catch (error) {
      throw classifyPostgresError(error, { stream: request.streamId });
    } finally {
      if (!stream.destroyed) stream.destroy();
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
