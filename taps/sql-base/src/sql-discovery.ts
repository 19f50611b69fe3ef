/**
 * From introspected tables to a Singer catalog with the metadata PipelineWise and Meltano SQL taps write,
 * and back: from a catalog stream to the table it names.
 */
import {
  DiscoveryError,
  matchesStreamPattern,
  setMetadata,
  standardMetadata,
  streamMetadata,
  type Catalog,
  type CatalogStream,
  type JsonSchema,
} from '@tapline/protocol';
import type { SqlTapConfig } from './sql-config.js';
import type { SqlColumn, SqlDialect, SqlTable } from './sql-dialect.js';

export function streamIdOf(table: { schema: string; name: string }): string {
  return `${table.schema}-${table.name}`;
}

/** True when the table passes `filter_schemas` and `filter_tables` (no filter: every table passes). */
export function tableMatchesFilters(table: { schema: string; name: string }, config: SqlTapConfig): boolean {
  const schemas = config.filter_schemas ?? [];
  const tables = config.filter_tables ?? [];
  if (schemas.length > 0 && !schemas.some((pattern) => matchesStreamPattern(table.schema, pattern))) return false;
  const qualified = `${table.schema}.${table.name}`;
  if (tables.length > 0 && !tables.some((pattern) => matchesStreamPattern(pattern.includes('.') ? qualified : table.name, pattern))) return false;
  return true;
}

/** One catalog stream for a table: every column typed by the dialect, unrepresentable ones `unsupported`. */
export function streamForTable(table: SqlTable, dialect: SqlDialect): CatalogStream {
  const properties: Record<string, JsonSchema> = {};
  const sqlDatatypes: Record<string, string> = {};
  const unsupported: string[] = [];
  const replicationKeys: string[] = [];
  for (const column of table.columns) {
    const type = dialect.columnType(column);
    sqlDatatypes[column.name] = column.sqlType;
    if (type === undefined) {
      properties[column.name] = { description: `unsupported type ${column.sqlType}` };
      unsupported.push(column.name);
      continue;
    }
    properties[column.name] = type.schema;
    if (type.orderable) replicationKeys.push(column.name);
  }
  const schema: JsonSchema = { type: 'object', properties };
  const id = streamIdOf(table);
  const stream: CatalogStream = {
    tap_stream_id: id,
    stream: id,
    table_name: table.name,
    schema,
    key_properties: [...table.primaryKey],
    metadata: standardMetadata({
      schema,
      keyProperties: table.primaryKey,
      schemaName: table.schema,
      databaseName: table.database ?? dialect.databaseName,
      isView: table.isView,
      ...(table.rowEstimate === undefined ? {} : { rowCount: table.rowEstimate }),
      selectedByDefault: false,
      sqlDatatypes,
    }),
  };
  // Not through standardMetadata: it marks every valid replication key `automatic`, which would stop users
  // from deselecting any timestamp column of a table.
  setMetadata(stream, [], { 'valid-replication-keys': replicationKeys });
  for (const name of unsupported) setMetadata(stream, ['properties', name], { inclusion: 'unsupported' });
  return stream;
}

export async function discoverCatalog(dialect: SqlDialect, config: SqlTapConfig): Promise<Catalog> {
  const tables = (await dialect.introspect()).filter((table) => tableMatchesFilters(table, config));
  tables.sort((a, b) => (a.schema === b.schema ? (a.name < b.name ? -1 : 1) : a.schema < b.schema ? -1 : 1));
  return { streams: tables.map((table) => streamForTable(table, dialect)) };
}

/** The schema and table a catalog stream reads: `schema-name` and `table_name`, else the `<schema>-<table>` id. */
export function tableNameOf(stream: CatalogStream): { schema: string; name: string } {
  const md = streamMetadata(stream);
  const id = stream.tap_stream_id;
  const dash = id.indexOf('-');
  const schema = typeof md['schema-name'] === 'string' ? md['schema-name'] : dash > 0 ? id.slice(0, dash) : undefined;
  const name = stream.table_name ?? (dash > 0 && schema !== undefined && id.startsWith(`${schema}-`) ? id.slice(schema.length + 1) : stream.stream);
  if (schema === undefined) {
    throw new DiscoveryError('the stream names no schema (no "schema-name" metadata, and its id is not <schema>-<table>)', {
      stream: id,
      hint: 'Regenerate the catalog with --discover',
    });
  }
  return { schema, name };
}

/** The key of a table in the maps introspection builds. */
export function tableId(schema: string, table: string): string {
  return `${schema}\u0000${table}`;
}

/**
 * Tables from introspection's rows, one per column in table and column order: what every dialect's
 * `introspect` returns once it has read its catalog. The dialect says what a row's table is (view,
 * estimate, database) and what its column is.
 */
export function tablesFromColumns<Row extends { schema: string; table: string }>(
  rows: Row[],
  primaryKeys: Map<string, string[]>,
  describe: { table(row: Row): Pick<SqlTable, 'isView' | 'rowEstimate' | 'database'>; column(row: Row, id: string): SqlColumn },
): SqlTable[] {
  const tables = new Map<string, SqlTable>();
  for (const row of rows) {
    const id = tableId(row.schema, row.table);
    let table = tables.get(id);
    if (table === undefined) {
      table = { schema: row.schema, name: row.table, columns: [], primaryKey: primaryKeys.get(id) ?? [], ...describe.table(row) };
      tables.set(id, table);
    }
    table.columns.push(describe.column(row, id));
  }
  return [...tables.values()];
}
