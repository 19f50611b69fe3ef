/**
 * What a SQL connector supplies to the shared SQL tap: introspection, a type map, a snapshot, and a row
 * reader. Everything dialect-neutral (catalog building, filters, selection, FULL_TABLE resume, INCREMENTAL
 * bookmarks and signposts, STATE) lives in this package, so a connector is its SQL and its fast path.
 */
import type { JsonSchema } from '@tapline/protocol';

export interface SqlColumn {
  name: string;
  /** The type as the database names it (`numeric(12,2)`, `timestamp with time zone`, `integer[]`). */
  sqlType: string;
  nullable: boolean;
  /** Anything else the dialect needs to read the column (element type, enum labels, ...). */
  detail?: unknown;
}

export interface SqlTable {
  schema: string;
  name: string;
  columns: SqlColumn[];
  primaryKey: string[];
  isView: boolean;
  /** The planner's estimate, not a count: counting a large table would make discovery slow. */
  rowEstimate?: number;
  /** `database-name` of this table when it is not the dialect's `databaseName` (MySQL: the schema is the database). */
  database?: string;
}

export interface ColumnType {
  /** The JSON Schema of the values the dialect emits for this column. */
  schema: JsonSchema;
  /** Values are totally ordered and comparable with `>=`: the column can be a replication key. */
  orderable: boolean;
}

/** One read: which rows, which columns, in which order. Values are what `RowBatch.positions` carried. */
export interface ReadRequest {
  table: SqlTable;
  streamId: string;
  /** The columns to emit, in this order. */
  columns: SqlColumn[];
  /** Order the rows by these columns (the primary key, or the replication key). Empty: any order. */
  orderBy: SqlColumn[];
  /** FULL_TABLE resume: rows whose `orderBy` tuple is greater than these values (database text). */
  after?: string[];
  /** INCREMENTAL: rows whose `orderBy[0]` is at least this value (as emitted in a record). */
  from?: unknown;
  /** INCREMENTAL signpost: rows whose `orderBy[0]` is at most this value. */
  to?: unknown;
  /**
   * What each row's position holds: `text`, the `orderBy` values as the database's text (exact, for a
   * resume point); `json`, the `orderBy` values as emitted in records (for a replication key bookmark).
   */
  position: 'text' | 'json';
  /** For a dialect that builds RECORD lines as bytes: what goes around each record object, asked per block. */
  lineAffixes: () => { prefix: Buffer; suffix: Buffer };
}

/** Rows of one read, in order: each record as JSON object text, and its position as a JSON array text. */
export interface RowBatch {
  records: string[];
  positions: string[];
}

/**
 * Rows of one read as complete RECORD lines in bytes (see `ReadRequest.lineAffixes`): row i is the line at
 * [offsets[i], offsets[i + 1]) of `lines`. Positions are made only when asked for (at a checkpoint, and
 * for the last row), not per row.
 */
export interface ByteRowBatch {
  lines: Buffer;
  offsets: Int32Array;
  count: number;
  /** Row i's position, as `RowBatch.positions` would carry it. */
  position(index: number): string;
}

export interface SqlDialect {
  /** The database (catalog) the connection reads, for `database-name`. */
  readonly databaseName: string;
  /** Every user table and view, system schemas excluded. */
  introspect(): Promise<SqlTable[]>;
  /** The JSON Schema of a column, or undefined when the dialect cannot represent it (`unsupported`). */
  columnType(column: SqlColumn): ColumnType | undefined;
  /**
   * Run `work` inside one consistent snapshot (REPEATABLE READ, read only), so that everything one stream
   * reads (its signpost and all its rows) sees the same data.
   */
  inSnapshot<T>(work: () => Promise<T>): Promise<T>;
  /** The largest value of the column as a record would carry it, or undefined when the table has none. */
  max(table: SqlTable, column: SqlColumn): Promise<unknown>;
  /** Stream the rows; the iterator's `return()` must stop the query. */
  readRows(request: ReadRequest, signal: AbortSignal): AsyncIterable<RowBatch | ByteRowBatch>;
  close(): Promise<void>;
}
