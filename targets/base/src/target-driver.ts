import type { RecordCodec, ScannedRecord, SchemaMessage } from '@tapline/protocol';
import type { PendingBatch } from './pending-batch.js';

/** One record waiting to be loaded, with the Singer metadata a target may store beside it. */
export interface PendingRecord {
  record: Record<string, unknown>;
  /**
   * For a driver that `scansRecords`: the line's bytes and where each property's value lies, checked
   * against the schema by `codec` (then `record` is decoded only if something reads it).
   */
  scanned?: ScannedRecord;
  codec?: RecordCodec;
  /** The table version of the RECORD message, when the tap sent one. */
  version: number | undefined;
  timeExtracted: string | undefined;
  /** When the target read it (ms since epoch). */
  receivedAt: number;
  /** Input line number, for error messages that must say where. */
  line: number;
  /** Increases with every record of the run; `_sdc_sequence` in SQL targets. */
  sequence: number;
}

export interface RecordBatch {
  stream: string;
  schema: SchemaMessage;
  records: PendingRecord[];
}

/**
 * What a destination supplies for one stream. `write` must resolve only once the batch is durably
 * committed: the runtime prints the STATE that covers these records as soon as it resolves.
 */
export interface StreamSink {
  write(batch: RecordBatch): Promise<void>;
  /** ACTIVATE_VERSION: rows of older versions are retired (deleted or marked deleted). */
  activateVersion?(version: number): Promise<void>;
  /** The stream has no more records in this run (end of input or a new SCHEMA replaces this sink). */
  close?(): Promise<void>;
  /** An empty batch for this sink's records, when it keeps them its own way (the default is a RecordList). */
  newBatch?(): PendingBatch;
}

/** What a destination supplies for the whole run. */
export interface TargetDriver {
  /** Connect, check credentials. Called before the first message is read. */
  open?(): Promise<void>;
  /**
   * A SCHEMA arrived: create or evolve the destination for it, and return the sink for its records.
   * `previous` is the sink of the stream's earlier SCHEMA in this run, already flushed and closed.
   */
  openStream(schema: SchemaMessage, previous: StreamSink | undefined): Promise<StreamSink>;
  /** Release everything; safe to call twice, and called on failure too. */
  close?(): Promise<void>;
  /** Whether ACTIVATE_VERSION is honoured; when false the runtime logs once and ignores it. */
  readonly supportsActivateVersion?: boolean;
  /**
   * The driver loads records from their bytes (`PendingRecord.scanned`) when it can: the runtime then
   * locates and checks RECORD lines with a RecordCodec instead of parsing them.
   */
  readonly scansRecords?: boolean;
}

/** A scanned record: its object is decoded from the line only if a driver reads `record`. */
export class ScannedPendingRecord implements PendingRecord, ScannedRecord {
  private decoded: Record<string, unknown> | undefined;
  readonly spans: Int32Array;
  readonly base: number;
  readonly version: number | undefined;
  readonly timeExtracted: string | undefined;

  constructor(
    readonly codec: RecordCodec,
    base: number,
    /** The buffer holding the line, and the line's place in it. */
    readonly bytes: Buffer,
    readonly start: number,
    readonly end: number,
    readonly receivedAt: number,
    readonly line: number,
    readonly sequence: number,
  ) {
    // What the codec read from this line; it moves on to the next line after this.
    this.spans = codec.spans;
    this.base = base;
    this.version = codec.version;
    this.timeExtracted = codec.timeExtracted;
  }

  get scanned(): ScannedRecord {
    return this;
  }

  get record(): Record<string, unknown> {
    this.decoded ??= (JSON.parse(this.bytes.toString('utf8', this.start, this.end)) as { record: Record<string, unknown> }).record;
    return this.decoded;
  }
}

/** One property of a pending record, decoding only that value when the record was scanned. */
export function readProperty(pending: PendingRecord, name: string): unknown {
  const { scanned, codec } = pending;
  if (scanned === undefined || codec === undefined) return pending.record[name];
  const index = codec.indexOf(name);
  return index < 0 ? undefined : codec.value(scanned, index);
}
