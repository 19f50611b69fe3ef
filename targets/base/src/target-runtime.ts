/**
 * The loop every target runs: read messages, keep each stream's schema and validator, batch records by
 * rows, bytes and age, commit batches through the driver, and print each STATE once everything before it
 * is committed. A destination only supplies a TargetDriver.
 */
import {
  DataError,
  SyncError,
  createRecordValidator,
  formatErrorLine,
  isTaplineError,
  decodeLine,
  LineSplitter,
  recordLineStream,
  OTHER_STREAM,
  RecordCodec,
  ProgressReporter,
  stateMessage,
  type Logger,
  type Message,
  type ProgramContext,
  type RecordValidator,
  type SchemaMessage,
} from '@tapline/protocol';
import type { BaseTargetConfig } from './target-config.js';
import type { PendingRecord, StreamSink, TargetDriver } from './target-driver.js';
import { RecordList, countThrough, type PendingBatch } from './pending-batch.js';
import { StateTracker } from './state-tracker.js';

interface StreamEntry {
  name: string;
  schema: SchemaMessage;
  schemaText: string;
  validate: RecordValidator | undefined;
  /** Locates and checks this stream's RECORD lines without parsing them, when the driver scans records. */
  codec: RecordCodec | undefined;
  keys: string[];
  /** Indexes of the key properties in `codec.properties`. */
  keyIndexes: number[];
  sink: StreamSink;
  records: PendingBatch;
  bytes: number;
  /** Records added since the state tracker and the progress line last counted them. */
  unreported: number;
  /** When the oldest pending record arrived (ms), or 0 when nothing is pending. */
  oldest: number;
  failure: unknown;
}

export interface TargetSummary {
  records: Map<string, number>;
  states: number;
  failedStreams: string[];
}

export class TargetRuntime {
  private readonly streams = new Map<string, StreamEntry>();
  private readonly tracker = new StateTracker();
  private readonly logger: Logger;
  private readonly progress: ProgressReporter;
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly validateRecords: boolean;
  private readonly continueOnStreamFailure: boolean;
  private sequence = 0;
  /** The batch commit running while input is read, if any. */
  private inflight: Promise<void> | undefined;
  /** The record sequence number when the last STATE arrived: what that STATE covers. */
  private sequenceAtLastState = 0;
  /** The record sequence at each STATE received (a recent tail), so salvage can stop at an earlier one. */
  private readonly stateSequences: number[] = [];
  private statesEmitted = 0;
  /** The stream of the last RECORD line scanned: the next line is most likely of the same one. */
  private recent: StreamEntry | undefined;
  private firstStreamFailure: unknown;

  constructor(
    private readonly context: ProgramContext<BaseTargetConfig>,
    private readonly driver: TargetDriver,
  ) {
    const config = context.config;
    this.logger = context.logger;
    this.progress = new ProgressReporter(context.logger);
    this.maxRows = config.batch_size_rows ?? 50_000;
    this.maxBytes = config.batch_size_bytes ?? 32 * 1024 * 1024;
    this.maxAgeMs = (config.batch_max_age_seconds ?? 30) * 1000;
    this.validateRecords = config.validate_records ?? true;
    this.continueOnStreamFailure = config.continue_on_stream_failure ?? true;
  }

  async run(): Promise<TargetSummary> {
    try {
      await this.driver.open?.();
      try {
        await this.consume();
        await this.flushAll();
      } catch (error) {
        // Bad input, whether the reader, the validator or the database found it (a value too long for
        // its column is only known when the batch is loaded).
        if (isTaplineError(error) && error.kind === 'data') await this.salvage(error);
        throw error;
      }
      for (const entry of this.streams.values()) {
        if (entry.failure === undefined) await entry.sink.close?.();
      }
      await this.emitSafeStates();
      this.progress.report(true);
      if (this.firstStreamFailure !== undefined) throw this.firstStreamFailure;
      return {
        records: new Map(this.progress.streams()),
        states: this.statesEmitted,
        failedStreams: [...this.streams.values()].filter((s) => s.failure !== undefined).map((s) => s.name),
      };
    } finally {
      await this.driver.close?.();
    }
  }

  /** Read input, racing each read against the age limit so an idle tap does not keep data uncommitted. */
  private async consume(): Promise<void> {
    const iterator = (this.context.input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    const splitter = new LineSplitter();
    // The next read starts while this chunk is processed; mark its rejection handled so that a failed
    // read is reported by the `await` below (after the lines before it) rather than as an unhandled rejection.
    const read = () => {
      const promise = iterator.next();
      promise.catch(() => undefined);
      return promise;
    };
    let next = read();
    let line = 1;
    for (;;) {
      const wait = this.nextAgeDeadline();
      let result: IteratorResult<Buffer | string> | 'timeout';
      if (wait === undefined) {
        result = await next;
      } else {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), wait);
        });
        result = await Promise.race([next, timeout]);
        clearTimeout(timer);
      }
      if (result === 'timeout') {
        await this.flushAged();
        continue;
      }
      const runs = result.done ? [splitter.rest()] : splitter.split(result.value, line);
      if (!result.done) next = read();
      // When these lines were read: one clock reading per chunk of input is precise enough.
      const receivedAt = Date.now();
      for (const run of runs) {
        if (run === undefined) continue;
        const after = await this.consumeLines(run, line, receivedAt);
        if (after === undefined) return;
        line = after;
      }
      this.reportReceived();
      if (result.done) return;
    }
  }

  /**
   * Handle the whole lines of `buffer`, the first numbered `line`: the number of the line after them, or
   * undefined when the run was interrupted. Between two awaits nothing can interrupt it, so that is when
   * the signal is looked at.
   */
  private async consumeLines(buffer: Buffer, first: number, receivedAt: number): Promise<number | undefined> {
    const signal = this.context.signal;
    if (signal.aborted) return undefined;
    let line = first;
    for (let start = 0; start < buffer.length; line += 1) {
      let end = buffer.indexOf(10, start);
      if (end < 0) end = buffer.length;
      // The fast path: a RECORD of a stream with a codec, proven well-formed and valid from its bytes.
      // The stream of the previous line is tried first; its codec says when the line is another's.
      if (this.scanning) {
        let entry = this.recent;
        let base = entry?.codec === undefined || entry.failure !== undefined ? OTHER_STREAM : entry.codec.scan(buffer, start, end);
        if (base === OTHER_STREAM) {
          entry = this.entryOfRecordLine(buffer, start, end);
          this.recent = entry;
          base = entry?.codec === undefined ? -1 : entry.codec.scan(buffer, start, end);
        }
        const codec = entry?.codec;
        if (entry !== undefined && codec !== undefined && base >= 0 && this.hasKeys(entry, codec.spans, base, buffer)) {
          entry.records.addScanned(codec, base, buffer, start, end, receivedAt, line, this.sequence + 1);
          const bytes = end - start + 1;
          start = end + 1;
          if (this.counted(entry, receivedAt, bytes)) {
            await this.flushInBackground(entry);
            if (signal.aborted) return undefined;
          }
          continue;
        }
      }
      const message = decodeLine(buffer, start, end, line);
      const bytes = end - start + 1;
      start = end + 1;
      if (message !== undefined) {
        await this.handle(message, line, bytes);
        if (signal.aborted) return undefined;
      }
    }
    return line;
  }

  private get scanning(): boolean {
    return this.driver.scansRecords === true;
  }

  /** The live stream a RECORD line belongs to, if it has a codec. */
  private entryOfRecordLine(bytes: Buffer, start: number, end: number): StreamEntry | undefined {
    const name = recordLineStream(bytes, start, end);
    if (name === undefined) return undefined;
    const entry = this.streams.get(name);
    return entry === undefined || entry.failure !== undefined || entry.codec === undefined ? undefined : entry;
  }

  /** Every key property present and not null (else the slow path reports the record). */
  private hasKeys(entry: StreamEntry, spans: Int32Array, base: number, bytes: Buffer): boolean {
    for (const index of entry.keyIndexes) {
      const start = spans[base + 2 * index] as number;
      if (start < 0 || bytes[start] === 110 /* null */) return false;
    }
    return true;
  }

  private nextAgeDeadline(): number | undefined {
    let oldest = Infinity;
    for (const entry of this.streams.values()) {
      if (entry.records.length > 0 && entry.oldest < oldest) oldest = entry.oldest;
    }
    return oldest === Infinity ? undefined : Math.max(0, oldest + this.maxAgeMs - Date.now());
  }

  private async handle(message: Message, line: number, bytes: number): Promise<void> {
    this.reportReceived();
    switch (message.type) {
      case 'RECORD':
        return this.handleRecord(message as Extract<Message, { type: 'RECORD' }>, line, bytes);
      case 'SCHEMA':
        return this.handleSchema(message as SchemaMessage, line);
      case 'STATE':
        this.sequenceAtLastState = this.sequence;
        this.stateSequences.push(this.sequence);
        // Only the STATEs of the batches still buffered matter to salvage; keep a bounded tail.
        if (this.stateSequences.length > 4096) this.stateSequences.splice(0, 2048);
        this.tracker.addState((message as { value: unknown }).value, line);
        return this.emitSafeStates();
      case 'ACTIVATE_VERSION':
        return this.handleActivateVersion(message as Extract<Message, { type: 'ACTIVATE_VERSION' }>, line);
      case 'BATCH':
        throw new DataError('BATCH messages are not loaded by this target', {
          line,
          stream: (message as { stream: string }).stream,
          hint: 'Run the tap without batch mode so that it sends RECORD messages',
        });
      default:
        this.logger.warnOnce(`type:${message.type}`, `ignoring messages of unknown type "${message.type}" (first at line ${line})`);
    }
  }

  private async handleSchema(message: SchemaMessage, line: number): Promise<void> {
    const name = message.stream;
    const schemaText = JSON.stringify([message.schema, message.key_properties]);
    const existing = this.streams.get(name);
    if (existing && existing.schemaText === schemaText) return; // taps repeat SCHEMA; nothing changed
    if (existing?.failure !== undefined) return;
    const properties = message.schema.properties ?? {};
    for (const key of message.key_properties) {
      if (!(key in properties)) {
        throw new DataError(`key property "${key}" is not in the schema's properties`, {
          stream: name,
          line,
          hint: 'Fix the SCHEMA message: every key property must be a property',
        });
      }
    }
    // Compile first: an invalid schema must fail before anything is created for it.
    // Even when records go unvalidated, a schema must be one ajv accepts.
    const checked = createRecordValidator(name, message.schema, line);
    const validate = this.validateRecords ? checked : undefined;
    const codec = this.scanning ? RecordCodec.compile(name, message.schema, this.validateRecords) : undefined;
    const keyIndexes = codec === undefined ? [] : message.key_properties.map((key) => codec.properties.indexOf(key));
    let previous: StreamSink | undefined;
    this.recent = undefined;
    if (existing) {
      // Records already received were validated against the old schema: load them under it first.
      await this.flushStream(existing);
      if (existing.failure !== undefined) return;
      await existing.sink.close?.();
      previous = existing.sink;
    }
    let sink: StreamSink;
    try {
      sink = await this.driver.openStream(message, previous);
    } catch (error) {
      throw withLocation(error, name, line);
    }
    this.streams.set(name, {
      name,
      schema: message,
      schemaText,
      validate,
      codec: codec !== undefined && keyIndexes.every((index) => index >= 0) ? codec : undefined,
      keys: message.key_properties,
      keyIndexes,
      sink,
      records: newBatch(sink),
      bytes: 0,
      unreported: 0,
      oldest: 0,
      failure: undefined,
    });
  }

  private async handleRecord(message: Extract<Message, { type: 'RECORD' }>, line: number, bytes: number): Promise<void> {
    const entry = this.streams.get(message.stream);
    if (entry === undefined) {
      throw new DataError('RECORD arrived before any SCHEMA for its stream', {
        stream: message.stream,
        line,
        hint: 'The tap must send a SCHEMA message for a stream before its first RECORD',
      });
    }
    if (entry.failure !== undefined) return; // the stream already failed; the error is reported at the end
    const record = message.record;
    entry.validate?.(record, line);
    for (const key of entry.keys) {
      const value = record[key];
      if (value === undefined || value === null) {
        throw new DataError(`record has no value for key property "${key}"`, {
          stream: message.stream,
          line,
          column: key,
          hint: 'Every record of a stream with key properties must carry all of them',
        });
      }
    }
    const pending: PendingRecord = {
      record,
      version: message.version,
      timeExtracted: message.time_extracted,
      receivedAt: Date.now(),
      line,
      sequence: this.sequence + 1,
    };
    entry.records.add(pending);
    if (this.counted(entry, pending.receivedAt, bytes)) await this.flushInBackground(entry);
  }

  /** Account for the record just added to the stream's batch; true when the batch is full and must be flushed. */
  private counted(entry: StreamEntry, receivedAt: number, bytes: number): boolean {
    this.sequence += 1;
    if (entry.records.length === 1) entry.oldest = receivedAt;
    entry.bytes += bytes;
    entry.unreported += 1;
    return entry.records.length >= this.maxRows || entry.bytes >= this.maxBytes;
  }

  /**
   * Count the records received since the last call, for the state tracker and the progress line: once
   * per chunk of input and before anything that reads the counts (a STATE, a commit), not per record.
   */
  private reportReceived(): void {
    for (const entry of this.streams.values()) {
      if (entry.unreported === 0) continue;
      this.tracker.noteReceived(entry.name, entry.unreported);
      this.progress.count(entry.name, entry.unreported);
      entry.unreported = 0;
    }
  }

  private async handleActivateVersion(message: Extract<Message, { type: 'ACTIVATE_VERSION' }>, line: number): Promise<void> {
    const entry = this.streams.get(message.stream);
    if (entry === undefined) {
      throw new DataError('ACTIVATE_VERSION arrived before any SCHEMA for its stream', { stream: message.stream, line });
    }
    if (entry.failure !== undefined) return;
    if (!this.driver.supportsActivateVersion || !entry.sink.activateVersion) {
      this.logger.warnOnce(`activate:${message.stream}`, `ACTIVATE_VERSION is not supported by this target; rows of older versions of "${message.stream}" are kept`);
      return;
    }
    await this.flushStream(entry);
    if (entry.failure !== undefined) return;
    this.tracker.noteReceived(message.stream);
    try {
      await entry.sink.activateVersion(message.version);
      this.tracker.noteCommitted(message.stream, 1);
    } catch (error) {
      await this.streamFailed(entry, withLocation(error, message.stream, line));
    }
  }

  /**
   * Commit a full batch while the loop goes on reading, parsing and validating the next one. One commit
   * at a time, across all streams: drivers share one connection, and commits must stay in input order.
   */
  private async flushInBackground(entry: StreamEntry): Promise<void> {
    await this.settle();
    const flush = this.flushStream(entry, true).then(() => this.emitSafeStates());
    // Observed by the next settle(); until then it must not count as an unhandled rejection.
    flush.catch(() => undefined);
    this.inflight = flush;
  }

  /** Wait for the commit in flight, if any, and surface its failure. */
  private async settle(): Promise<void> {
    const inflight = this.inflight;
    if (inflight === undefined) return;
    this.inflight = undefined;
    await inflight;
  }

  private async flushStream(entry: StreamEntry, settled = false): Promise<void> {
    this.reportReceived();
    if (!settled) await this.settle();
    if (entry.records.length === 0 || entry.failure !== undefined) return;
    const records = entry.records;
    entry.records = newBatch(entry.sink);
    entry.bytes = 0;
    entry.oldest = 0;
    try {
      await entry.sink.write({ stream: entry.name, schema: entry.schema, records: records.records() });
      this.tracker.noteCommitted(entry.name, records.length);
      this.logger.debug(`committed ${records.length} records`, { stream: entry.name });
    } catch (error) {
      const located = withLocation(error, entry.name, records.lineAt(0));
      // A rejected value: put the batch back so that salvage can commit what the last STATE covers.
      if (isTaplineError(located) && located.kind === 'data') {
        records.append(entry.records);
        entry.records = records;
      }
      await this.streamFailed(entry, located);
    }
  }

  private async streamFailed(entry: StreamEntry, error: unknown): Promise<void> {
    // Bad data is the input's fault, not the stream's: stop at once, as for any malformed line.
    if (!this.continueOnStreamFailure || (isTaplineError(error) && error.kind === 'data')) throw error;
    entry.failure = error;
    this.firstStreamFailure ??= error;
    this.tracker.freeze(entry.name);
    this.logger.error(`${formatErrorLine(error)}; continuing with the other streams, this one's bookmark stays where it was`);
  }

  /**
   * The input went bad. Commit exactly the records the last good STATE covers and print that STATE, so
   * the next run resumes right there; records after it are dropped, never committed without a STATE.
   */
  private async salvage(failure: unknown): Promise<void> {
    try {
      await this.settle();
    } catch {
      // Already reported: it is the failure being salvaged, or a later one of the same batch.
    }
    for (const entry of this.streams.values()) {
      const covered = entry.records;
      covered.truncate(entry.failure === undefined ? countThrough(covered, this.sequenceAtLastState) : 0);
      if (covered.length === 0) continue;
      try {
        await this.flushStream(entry);
      } catch (error) {
        // The rejected value is itself covered by the last STATE, so that STATE can never be confirmed.
        // When the destination named the rejected record's line, the records before it still go in, and
        // an earlier STATE that covers only them is printed.
        const badLine = isTaplineError(error) ? error.where.line : undefined;
        const bad = badLine === undefined ? -1 : indexOfLine(covered, badLine);
        // The last STATE that arrived before the rejected record: commit exactly what it covers, no more.
        const badSequence = bad < 0 ? undefined : covered.sequenceAt(bad);
        const limit = badSequence === undefined ? 0 : this.stateSequences.filter((sequence) => sequence < badSequence).at(-1) ?? 0;
        covered.truncate(countThrough(covered, limit));
        entry.records = covered;
        if (covered.length > 0) {
          try {
            await this.flushStream(entry);
          } catch {
            entry.records.truncate(0);
          }
        }
        // The rejection that ended the run is reported once, by the program's error line; another one
        // found while committing what the last STATE covers is news, and moves the STATE printed back.
        if (formatErrorLine(error) !== formatErrorLine(failure)) {
          this.logger.warn(`also rejected while committing the records the last STATE covers: ${formatErrorLine(error)}`);
        }
      }
    }
    await this.emitSafeStates();
  }

  private async flushAged(): Promise<void> {
    const now = Date.now();
    for (const entry of this.streams.values()) {
      if (entry.records.length > 0 && now - entry.oldest >= this.maxAgeMs) await this.flushStream(entry);
    }
    await this.emitSafeStates();
  }

  private async flushAll(): Promise<void> {
    await this.settle();
    for (const entry of this.streams.values()) await this.flushStream(entry);
  }

  private async emitSafeStates(): Promise<void> {
    const states = this.tracker.takeEmittable();
    if (states.length === 0) return;
    for (const value of states) this.context.output.write(stateMessage(value));
    this.statesEmitted += states.length;
    // A confirmed STATE must reach the reader now, not when the next batch of output fills up.
    await this.context.output.drain();
  }
}

function newBatch(sink: StreamSink): PendingBatch {
  return sink.newBatch?.() ?? new RecordList();
}

function indexOfLine(batch: PendingBatch, line: number): number {
  for (let index = 0; index < batch.length; index += 1) if (batch.lineAt(index) === line) return index;
  return -1;
}

function withLocation(error: unknown, stream: string, line: number | undefined): unknown {
  if (isTaplineError(error)) {
    if (error.where.stream === undefined) error.where.stream = stream;
    if (error.where.line === undefined && line !== undefined) error.where.line = line;
    return error;
  }
  return new SyncError(error instanceof Error ? error.message : String(error), {
    stream,
    ...(line === undefined ? {} : { line }),
    cause: error,
    hint: 'The destination rejected the load; see the cause',
  });
}

/** Run a target with a driver: the whole body of a target's `run`. */
export async function runTarget(context: ProgramContext<BaseTargetConfig>, driver: TargetDriver): Promise<TargetSummary> {
  return new TargetRuntime(context, driver).run();
}
