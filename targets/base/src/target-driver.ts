import type { SchemaMessage } from '@tapline/protocol';

/** One record waiting to be loaded, with the Singer metadata a target may store beside it. */
export interface PendingRecord {
  record: Record<string, unknown>;
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
}
