/**
 * The SQL tap: a TapSource over any SqlDialect. FULL_TABLE reads in primary key order inside one snapshot
 * and checkpoints the last key emitted, so an interrupted run resumes after it with the same table
 * version; INCREMENTAL reads `>=` the bookmark up to a signpost captured when the stream starts.
 */
import {
  ConfigurationError,
  DiscoveryError,
  keyProperties,
  replicationKey,
  replicationMethod,
  selectedProperties,
  type Catalog,
  type CatalogStream,
} from '@tapline/protocol';
import type { StreamSync, TapSource } from '@tapline/tap-base';
import type { SqlTapConfig } from './sql-config.js';
import type { ByteRowBatch, RowBatch, SqlColumn, SqlDialect, SqlTable } from './sql-dialect.js';
import { discoverCatalog, tableNameOf } from './sql-discovery.js';

/** What a checkpoint stores for a FULL_TABLE resume: the last primary key emitted, column by column. */
export type FullTableResume = Record<string, string>;

/** A position's first value. Integers beyond 2^53 stay exact text, so a bookmark never loses digits. */
export function parsePositionValue(text: string): unknown {
  const value = (JSON.parse(text) as unknown[])[0];
  if (typeof value === 'number' && !Number.isSafeInteger(value) && /^\[-?\d+\]$/.test(text)) return text.slice(1, -1);
  return value ?? null;
}

interface ResolvedStream {
  table: SqlTable;
  columns: SqlColumn[];
  keys: SqlColumn[];
  replicationKey: SqlColumn | undefined;
}

/** The table, columns and keys a catalog stream reads, checked against the database. */
function resolveStream(stream: CatalogStream, tables: Map<string, SqlTable>): ResolvedStream {
  const id = stream.tap_stream_id;
  const { schema, name } = tableNameOf(stream);
  const table = tables.get(`${schema}\u0000${name}`);
  if (table === undefined) {
    throw new DiscoveryError(`table ${schema}.${name} does not exist, or the configured user cannot see it`, {
      stream: id,
      hint: 'Run --discover again and select streams from the new catalog',
    });
  }
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  const column = (columnName: string, role: string): SqlColumn => {
    const found = byName.get(columnName);
    if (found === undefined) {
      throw new DiscoveryError(`${role} "${columnName}" is not a column of ${schema}.${name}`, {
        stream: id,
        column: columnName,
        hint: 'Fix the catalog (or run --discover again) so that it names existing columns',
      });
    }
    return found;
  };
  const method = replicationMethod(stream);
  if (method === 'LOG_BASED') {
    throw new ConfigurationError('LOG_BASED replication is not supported yet', { stream: id, hint: 'Use FULL_TABLE or INCREMENTAL for this stream' });
  }
  let key: SqlColumn | undefined;
  if (method === 'INCREMENTAL') {
    const keyName = replicationKey(stream);
    if (keyName === undefined) {
      throw new ConfigurationError('INCREMENTAL replication needs a replication key', {
        stream: id,
        hint: 'Set "replication-key" in the stream metadata to one of its valid-replication-keys',
      });
    }
    key = column(keyName, 'replication key');
  }
  return {
    table,
    columns: selectedProperties(stream).map((property) => column(property, 'selected column')),
    keys: keyProperties(stream).map((property) => column(property, 'key property')),
    replicationKey: key,
  };
}

export class SqlTap implements TapSource {
  private readonly resolved = new Map<string, ResolvedStream>();

  constructor(
    readonly dialect: SqlDialect,
    private readonly config: SqlTapConfig,
  ) {}

  discover(): Promise<Catalog> {
    return discoverCatalog(this.dialect, this.config);
  }

  /** Check every stream against the database before reading any: tables, columns, keys, replication keys. */
  async prepare(streams: readonly CatalogStream[]): Promise<void> {
    const tables = new Map((await this.dialect.introspect()).map((table) => [`${table.schema}\u0000${table.name}`, table]));
    for (const stream of streams) this.resolved.set(stream.tap_stream_id, resolveStream(stream, tables));
  }

  async syncStream(sync: StreamSync): Promise<void> {
    const stream = this.resolved.get(sync.streamId);
    if (stream === undefined) throw new Error(`stream ${sync.streamId} was not prepared`);
    if (sync.method === 'INCREMENTAL') await this.syncIncremental(sync, stream);
    else await this.syncFullTable(sync, stream);
  }

  /**
   * Without a key there is no resume point: an interrupted scan starts over with a new version. With one,
   * checkpoints carry the last key emitted and the version, and the next run continues after that key.
   * ACTIVATE_VERSION goes out at the end of every completed scan, and at the start only of a stream's first
   * scan: at the start of a later one it would make the target retire every row before the new ones land.
   */
  private async syncFullTable(sync: StreamSync, stream: ResolvedStream): Promise<void> {
    const resumable = stream.keys.length > 0;
    const previous = sync.bookmark;
    const resume = previous.full_table_resume as FullTableResume | undefined;
    let version: number;
    let after: string[] | undefined;
    if (resumable && typeof previous.version === 'number' && resume !== undefined && stream.keys.every((key) => typeof resume[key.name] === 'string')) {
      version = previous.version;
      after = stream.keys.map((key) => resume[key.name] as string);
      sync.logger.info(`resuming ${sync.streamId} after ${stream.keys.map((key, i) => `${key.name}=${after?.[i] ?? ''}`).join(', ')} (version ${version})`);
      sync.version = version;
    } else {
      version = Math.max(Date.now(), typeof previous.version === 'number' ? previous.version + 1 : 0);
      sync.version = version;
      if (previous.version === undefined) sync.activateVersion(version);
    }
    sync.updateBookmark({ version, full_table_resume: resume === undefined || after === undefined ? undefined : resume });
    const keyNames = stream.keys.map((key) => key.name);
    const checkpoint = (position: string): void => {
      const values = JSON.parse(position) as string[];
      sync.checkpoint({ version, full_table_resume: Object.fromEntries(keyNames.map((name, i) => [name, values[i] ?? ''])) });
    };
    await this.dialect.inSnapshot(async () => {
      await this.pump(sync, this.dialect.readRows({
        table: stream.table,
        streamId: sync.streamId,
        columns: stream.columns,
        orderBy: stream.keys,
        ...(after === undefined ? {} : { after }),
        position: 'text',
        lineAffixes: () => sync.recordLineAffixes(),
      }, sync.signal), resumable ? checkpoint : undefined);
    });
    sync.activateVersion(version);
    sync.updateBookmark({ version, full_table_resume: undefined });
  }

  /**
   * Rows `>=` the bookmark (a row with the bookmark's own value may have been joined by others after the
   * last run read it), in key order, up to the signpost: the key's maximum when the stream starts, so a
   * busy table cannot keep the sync running forever. Rows whose key is NULL are never read.
   */
  private async syncIncremental(sync: StreamSync, stream: ResolvedStream): Promise<void> {
    const key = stream.replicationKey;
    if (key === undefined) throw new Error('unreachable: INCREMENTAL without a replication key');
    const from = sync.bookmark.replication_key === key.name ? sync.bookmark.replication_key_value : undefined;
    let last: string | undefined;
    await this.dialect.inSnapshot(async () => {
      const signpost = await this.dialect.max(stream.table, key);
      if (signpost === undefined || signpost === null) {
        sync.logger.info(`${sync.streamId}: ${key.name} has no values, nothing to read`);
        return;
      }
      sync.logger.info(`${sync.streamId}: reading ${key.name} from ${from === undefined ? 'the start' : JSON.stringify(from)} to ${JSON.stringify(signpost)}`);
      last = await this.pump(sync, this.dialect.readRows({
        table: stream.table,
        streamId: sync.streamId,
        columns: stream.columns,
        orderBy: [key],
        ...(from === undefined || from === null ? {} : { from }),
        to: signpost,
        position: 'json',
        lineAffixes: () => sync.recordLineAffixes(),
      }, sync.signal), (position) => {
        sync.checkpoint({ replication_key: key.name, replication_key_value: parsePositionValue(position) });
      });
    });
    if (last !== undefined) sync.updateBookmark({ replication_key: key.name, replication_key_value: parsePositionValue(last) });
  }

  /** Write every row, checkpointing when a STATE is due; returns the last row's position. */
  private async pump(sync: StreamSync, batches: AsyncIterable<RowBatch | ByteRowBatch>, checkpoint: ((position: string) => void) | undefined): Promise<string | undefined> {
    let last: string | undefined;
    for await (const batch of batches) {
      let room = true;
      if ('lines' in batch) {
        // Rows go out in runs between checkpoints, each run as one block of bytes.
        let from = 0;
        for (let i = 0; i < batch.count; i += 1) {
          if (checkpoint !== undefined && sync.stateDue(i + 1 - from)) {
            if (!sync.writeRecordLines(batch.lines, batch.offsets, from, i + 1)) room = false;
            from = i + 1;
            checkpoint(batch.position(i));
          }
        }
        if (!sync.writeRecordLines(batch.lines, batch.offsets, from, batch.count)) room = false;
        if (batch.count > 0) last = batch.position(batch.count - 1);
      } else {
        const { records, positions } = batch;
        for (let i = 0; i < records.length; i += 1) {
          if (!sync.writeRecordJson(records[i] as string)) room = false;
          if (checkpoint !== undefined && sync.stateDue()) checkpoint(positions[i] as string);
        }
        if (positions.length > 0) last = positions[positions.length - 1];
      }
      if (!room || sync.signal.aborted) await sync.drain();
    }
    return last;
  }

  close(): Promise<void> {
    return this.dialect.close();
  }
}
