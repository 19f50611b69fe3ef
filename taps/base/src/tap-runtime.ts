/**
 * The loop every tap runs. Given a TapSource it resolves the catalog, echoes the incoming state, and for
 * each selected stream writes SCHEMA, the records, and STATE every N records or seconds and at the end of
 * the stream, whether or not the stream had rows (a stream that emits no STATE loses its bookmark in the
 * orchestrator's store).
 */
import {
  BookmarkStore,

  ProgressReporter,
  applySelection,
  keyProperties,
  replicationKey,
  replicationMethod,
  schemaMessage,
  selectedProperties,
  selectedSchema,
  selectedStreams,
  serializeMessage,
  stateMessage,
  activateVersionMessage,
  type Bookmark,
  type Catalog,
  type CatalogStream,
  type Logger,
  type MessageWriter,
  type ProgramContext,
  type ReplicationMethod,
} from '@tapline/protocol';
import type { BaseTapConfig } from './tap-config.js';
import type { StreamSync, TapSource } from './tap-source.js';

export interface TapRunSummary {
  /** Records written per stream id. */
  records: Map<string, number>;
  states: number;
}

/** Open the source, discover, close: what `--discover` runs. */
export async function discoverTap(open: () => Promise<TapSource>): Promise<Catalog> {
  const source = await open();
  try {
    return await source.discover();
  } finally {
    await source.close();
  }
}

/**
 * The streams to sync. With --catalog, the streams it selects; without one, the discovered catalog's
 * default selection (Meltano SDK behaviour: SQL taps discover every table as `selected-by-default: false`,
 * so nothing is synced until the user selects something). The `select` setting, when given, overrides
 * either with glob patterns on tap_stream_id.
 */
export async function resolveStreams(context: ProgramContext<BaseTapConfig>, source: TapSource): Promise<CatalogStream[]> {
  let catalog = context.catalog ?? (await source.discover());
  const patterns = context.config.select;
  if (patterns !== undefined && patterns.length > 0) catalog = applySelection(catalog, patterns);
  return selectedStreams(catalog);
}

/** Resume where an interrupted run was: its currently_syncing stream goes first (singer-io convention). */
function orderForResume(streams: CatalogStream[], currentlySyncing: string | null): CatalogStream[] {
  const index = streams.findIndex((stream) => stream.tap_stream_id === currentlySyncing);
  return index <= 0 ? streams : [...streams.slice(index), ...streams.slice(0, index)];
}

class RuntimeStreamSync implements StreamSync {
  readonly streamId: string;
  readonly method: ReplicationMethod;
  readonly replicationKey: string | undefined;
  readonly properties: readonly string[];
  readonly keyProperties: readonly string[];
  readonly bookmark: Bookmark;
  recordCount = 0;
  private versionValue: number | undefined;
  private prefix: string;
  private suffix = '}';
  /** The same as bytes, for `recordLineAffixes` (the suffix with its newline, rebuilt when it changes). */
  private readonly prefixBytes: Buffer;
  private suffixBytes: Buffer | undefined;
  private rowsSinceState = 0;
  private lastStateAt = performance.now();
  private clockTicks = 0;
  private extractedAt = '';

  constructor(
    readonly stream: CatalogStream,
    private readonly store: BookmarkStore,
    private readonly output: MessageWriter,
    private readonly progress: ProgressReporter,
    private readonly everyRows: number,
    private readonly everyMs: number,
    private readonly onState: () => void,
    readonly signal: AbortSignal,
    readonly logger: Logger,
  ) {
    this.streamId = stream.tap_stream_id;
    this.method = replicationMethod(stream);
    this.replicationKey = this.method === 'INCREMENTAL' ? replicationKey(stream) : undefined;
    this.properties = selectedProperties(stream);
    this.keyProperties = keyProperties(stream);
    // A changed method or replication key starts the stream over (BookmarkStore drops the old bookmark).
    this.bookmark = store.update(this.streamId, {
      last_replication_method: this.method,
      ...(this.replicationKey === undefined ? {} : { replication_key: this.replicationKey }),
    });
    this.prefix = `{"type":"RECORD","stream":${JSON.stringify(stream.stream)},"record":`;
    this.prefixBytes = Buffer.from(this.prefix);
    this.refreshSuffix();
  }

  get version(): number | undefined {
    return this.versionValue;
  }

  set version(value: number | undefined) {
    this.versionValue = value;
    this.refreshSuffix();
  }

  /** The part of each RECORD line after the record: version and time_extracted, rebuilt once a second. */
  private refreshSuffix(): void {
    this.extractedAt = new Date().toISOString();
    const version = this.versionValue === undefined ? '' : `,"version":${this.versionValue}`;
    this.suffix = `${version},"time_extracted":"${this.extractedAt}"}`;
    this.suffixBytes = undefined;
  }

  writeRecord(record: Record<string, unknown>): boolean {
    return this.writeRecordJson(JSON.stringify(record));
  }

  writeRecordJson(json: string): boolean {
    this.recordCount += 1;
    this.rowsSinceState += 1;
    this.progress.count(this.streamId);
    return this.output.writeLine(this.prefix + json + this.suffix);
  }

  recordLineAffixes(): { prefix: Buffer; suffix: Buffer } {
    this.suffixBytes ??= Buffer.from(`${this.suffix}\n`);
    return { prefix: this.prefixBytes, suffix: this.suffixBytes };
  }

  writeRecordLines(lines: Buffer, offsets: Int32Array, from: number, to: number): boolean {
    if (to <= from) return true;
    const count = to - from;
    this.recordCount += count;
    this.rowsSinceState += count;
    this.progress.count(this.streamId, count);
    return this.output.writeBytes(lines.subarray(offsets[from], offsets[to]), count);
  }

  activateVersion(version: number): boolean {
    return this.output.writeLine(serializeMessage(activateVersionMessage(this.stream.stream, version)));
  }

  async drain(): Promise<void> {
    if (this.signal.aborted) throw this.signal.reason;
    await this.output.drain();
    if (this.signal.aborted) throw this.signal.reason;
  }

  stateDue(pendingRows = 0): boolean {
    if (this.rowsSinceState + pendingRows >= this.everyRows) return true;
    // Read the clock every 256 calls: cheap enough to call once per record.
    if ((++this.clockTicks & 255) !== 0) return false;
    const now = performance.now();
    if (now - this.lastStateAt >= 1000) this.refreshSuffix();
    return now - this.lastStateAt >= this.everyMs;
  }

  updateBookmark(partial: Partial<Bookmark>): void {
    this.store.update(this.streamId, partial);
  }

  checkpoint(partial: Partial<Bookmark>): boolean {
    this.updateBookmark(partial);
    this.rowsSinceState = 0;
    this.lastStateAt = performance.now();
    this.onState();
    return this.output.writeLine(serializeMessage(stateMessage(this.store.toState())));
  }
}

/**
 * Sync every selected stream of the source, then close it. Streams run one after another; a failure stops
 * the run (after the STATE lines already written, which stay valid for a resume).
 */
export async function runTap(context: ProgramContext<BaseTapConfig>, open: () => Promise<TapSource>): Promise<TapRunSummary> {
  const { config, logger, output, signal } = context;
  const store = new BookmarkStore(context.state);
  const summary: TapRunSummary = { records: new Map(), states: 0 };
  // Downstream stages (transforms with fitted parameters, targets that merge state) see the saved state
  // before any record, even when this run turns out to have nothing to sync.
  if (!store.isEmpty()) {
    output.write(stateMessage(store.toState()));
    summary.states += 1;
  }

  const source = await open();
  try {
    const streams = orderForResume(await resolveStreams(context, source), store.currentlySyncing);
    if (streams.length === 0) {
      logger.warn('no stream is selected, so nothing was synced', {
        hint: 'pass --catalog with "selected": true on the streams to sync, or set `select` patterns in the config',
      });
      return summary;
    }
    if (source.prepare) await source.prepare(streams);
    const progress = new ProgressReporter(logger);
    const everyRows = config.state_every_rows ?? 10000;
    const everyMs = (config.state_every_seconds ?? 60) * 1000;
    for (const stream of streams) {
      if (signal.aborted) throw signal.reason;
      const id = stream.tap_stream_id;
      store.currentlySyncing = id;
      const sync = new RuntimeStreamSync(stream, store, output, progress, everyRows, everyMs, () => {
        summary.states += 1;
      }, signal, logger);
      logger.info(`syncing ${id} (${sync.method}${sync.replicationKey === undefined ? '' : ` by ${sync.replicationKey}`})`);
      output.write(schemaMessage(stream.stream, selectedSchema(stream), [...sync.keyProperties],
        sync.replicationKey === undefined ? undefined : [sync.replicationKey]));
      await source.syncStream(sync);
      store.currentlySyncing = null;
      // Always, even for a stream without rows: the bookmark must reach the orchestrator's stored state.
      sync.checkpoint({});
      summary.records.set(id, sync.recordCount);
      if (sync.recordCount === 0) logger.metric('counter', 'record_count', 0, { stream: id });
      await sync.drain();
    }
    progress.report(true);
    return summary;
  } finally {
    await source.close();
  }
}


