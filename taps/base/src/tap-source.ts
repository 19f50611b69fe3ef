import type { Bookmark, Catalog, CatalogStream, Logger, ReplicationMethod } from '@tapline/protocol';

/**
 * What a tap supplies: a description of its source and a way to read one stream. Everything else
 * (catalog and selection, bookmarks, SCHEMA / STATE / ACTIVATE_VERSION messages, STATE cadence, metrics,
 * progress, backpressure, abort) is the runtime's, so a CSV or MongoDB tap is as small as a SQL one.
 */
export interface TapSource {
  discover(): Promise<Catalog>;
  /**
   * Called once with every stream about to be synced, before the first is read, so that a missing table
   * or an unknown replication key fails the run before any message is written.
   */
  prepare?(streams: readonly CatalogStream[]): Promise<void>;
  /** Read one stream through `sync`; resolve when the stream is done. */
  syncStream(sync: StreamSync): Promise<void>;
  /** Release connections; safe to call twice. */
  close(): Promise<void>;
}

/** One stream being synced: what to read, where the last run stopped, and where to write. */
export interface StreamSync {
  readonly stream: CatalogStream;
  readonly streamId: string;
  readonly method: ReplicationMethod;
  readonly replicationKey: string | undefined;
  /** The selected top-level properties, in schema order (keys and the replication key included). */
  readonly properties: readonly string[];
  readonly keyProperties: readonly string[];
  /** The stream's bookmark as this run found it (after a reset for a changed method or key). */
  readonly bookmark: Bookmark;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** The table version RECORD messages carry from now on (FULL_TABLE), or undefined for none. */
  version: number | undefined;
  /** Queue a RECORD. Returns false when the caller should `await drain()` before writing more. */
  writeRecord(record: Record<string, unknown>): boolean;
  /** Queue a RECORD whose record object is already JSON text (a server-rendered row, say). */
  writeRecordJson(json: string): boolean;
  /**
   * For a source that builds RECORD lines as bytes (no string per row): what goes before the record object
   * (`{"type":"RECORD","stream":...,"record":`) and after it (version, time_extracted, `}` and the newline).
   * The suffix changes (time_extracted is refreshed every second): ask again for each block of rows.
   */
  recordLineAffixes(): { prefix: Buffer; suffix: Buffer };
  /** Queue the complete RECORD lines [offsets[from], offsets[to]) of `lines` (rows from..to-1). */
  writeRecordLines(lines: Buffer, offsets: Int32Array, from: number, to: number): boolean;
  /** Queue an ACTIVATE_VERSION. */
  activateVersion(version: number): boolean;
  /** Wait until the output has room again; throws when the run was aborted. */
  drain(): Promise<void>;
  /** True when a STATE is due (`state_every_rows` records or `state_every_seconds` since the last one). */
  /** `pendingRows`: rows counted in, not yet written (a block being cut at the row where a STATE is due). */
  stateDue(pendingRows?: number): boolean;
  /** Merge `partial` into the bookmark (a key set to undefined is removed) and emit a STATE. */
  checkpoint(partial: Partial<Bookmark>): boolean;
  /** Merge into the bookmark without emitting (the runtime emits one at the end of the stream). */
  updateBookmark(partial: Partial<Bookmark>): void;
  /** Records written so far for this stream in this run. */
  readonly recordCount: number;
}
