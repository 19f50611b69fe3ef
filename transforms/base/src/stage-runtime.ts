/**
 * The runtime every transform stage shares. A stage says, per stream, what it does with a SCHEMA and its
 * records (a StreamPlan); this module does the rest: reading and writing messages in order, passing
 * untouched streams and unknown message types on byte for byte, fitting on whole streams in bounded
 * memory, saving and restoring fitted parameters, warnings and the end-of-run report.
 *
 * Order. Output keeps the input's order exactly. While a stream is being fitted its records cannot be
 * written yet, so from its first record on, every message (of any stream) goes to a spool in arrival
 * order; the spool is replayed once the plans its head waits for are fitted. A STATE therefore never
 * overtakes a record before it, whichever stream that record belongs to.
 *
 * Bytes. Lines are read, spooled and written as bytes. A RECORD line in the usual compact shape has only
 * the columns its plan names located and decoded (RecordScanner), and is written as it came, or with just
 * its changed values (or renamed keys) replaced; any other line is parsed in full, with the usual errors.
 *
 * Memory. The spool is in memory up to 8 MB, then on disk (`spill_dir`); the plans' statistics are
 * bounded accumulators. So a stream of any length is fitted exactly on all of its records with memory
 * that does not grow, at the cost of writing it to disk once. `fit_max_rows: N` fits on the first N
 * records of each stream instead and streams the rest without spooling.
 */
import {
  DataError,
  ProgressReporter,
  decodeLine,
  readLineChunks,
  stringifyExact,
  type JsonSchema,
  type Logger,
  type Message,
  type ProgramContext,
  type ProgramDefinition,
  type RecordMessage,
  type SchemaMessage,
  type StateMessage,
} from '@tapline/protocol';
import { paramsFromState, paramsPlace, readParamsFile, savedParamsText, stateLineWithParams, writeParamsFile } from './fitted-params.js';
import { LineOutput } from './line-output.js';
import { RecordEnvelope, RecordScanner } from './record-scanner.js';
import { LazyRow, type RowValues } from './row-values.js';
import { SPOOL_MEMORY_LIMIT, Spool } from './spool.js';
import { namedColumns, streamOptionsFor, type BaseStageConfig, type BaseStreamOptions } from './stage-config.js';

/** What a stage does with one stream under one SCHEMA. */
export interface StreamPlan<Params = unknown> {
  /** The SCHEMA to write in place of the incoming one (types must stay true; key_properties preserved). */
  outputSchema: SchemaMessage;
  /** First pass: see one record, for whole-stream statistics. Omit when nothing needs fitting. */
  observe?(record: Record<string, unknown>, line: number): void;
  /** Finish fitting (possibly on no records at all) and return JSON-serializable parameters. */
  fit?(): Params;
  /**
   * Asked before `fit`, once the records to fit on are all observed: true to be shown those same records
   * once more, in the same order and the same way (observeRow, observeValues or observe), and then asked
   * again. For a fit that decides from cheap facts of a first pass whether a costlier second one is needed
   * at all. The records are held in the spool anyway, so a second pass reads them back, not the input.
   */
  observeAgain?(): boolean;
  /** Use parameters fitted earlier instead of fitting (from params_file, a STATE, or an earlier SCHEMA of the stream). */
  restore?(params: Params): void;
  /**
   * Fast path: the only columns `observe` and `transform` read or write. The runtime then hands them a
   * record holding just these columns (decoded from the line without parsing the rest), and writes the
   * line with only the changed values re-encoded; a column missing from the line but set by transform is
   * appended to the record. Lines the scanner cannot read are parsed in full as usual.
   */
  columns?: readonly string[];
  /**
   * With `columns`: observe the values of those columns by position (`values[i]` is columns[i]'s value,
   * undefined when the record lacks it) instead of a record object. Saves building an object and looking
   * each column up by name, per record. Called instead of `observe` whenever the line can be scanned;
   * must do exactly what `observe` would with the same values. The array is reused: do not keep it.
   */
  observeValues?(values: readonly unknown[], line: number): void;
  /**
   * With observeValues / transformValues: per position of `columns`, true where the plan does with a string
   * holding a plain decimal exactly what it does with the number Number() reads from it (a `singer.decimal`
   * column read as numbers). There such a string (`"12.50"`) may be handed over as that number, decoded
   * from its digits without making the string. A plan that sets such a column writes its own new value;
   * one that leaves it leaves the line's text as it came.
   */
  numbersOnly?: readonly boolean[];
  /**
   * With `columns` and `transformValues`: once fitted (or restored), the columns `transformValues` needs,
   * when they are fewer than `columns` (which `observeValues` needs all of); `transformValues` then gets
   * `values[i]` = the value of emitColumns()[i]. Saves decoding values only the fit looks at.
   */
  emitColumns?(): readonly string[];
  /**
   * With `columns`: `transform` by position. Change `values` in place (a value set where the record had
   * none is added to it); return false to drop the record. Called instead of `transform` whenever the
   * line can be scanned; must do exactly what `transform` would. The array is reused: do not keep it.
   */
  transformValues?(values: unknown[], line: number): boolean;
  /**
   * With `columns`: observeValues with the values decoded only when asked for (see RowValues): for plans
   * that read some values of a row only, such as whether each is missing. Called instead of
   * observeValues. `row` is reused: do not keep it.
   */
  observeRow?(row: RowValues, line: number): void;
  /**
   * With `columns`: transformValues on a RowValues (positions as for transformValues, emitColumns
   * included); `row.set` what changes, return false to drop the record. Called instead of transformValues.
   */
  transformRow?(row: RowValues, line: number): boolean;
  /**
   * With `columns`, for plans that rename keys: the runtime replaces the keys in the line's bytes. A record
   * holding a key that is not in `columns` (or an escaped one) goes through `transform` instead.
   */
  renameKeys?: KeyRenames;
  /** The record to write, or null to drop it. May modify and return `record`. */
  transform(record: Record<string, unknown>, line: number): Record<string, unknown> | null;
  /** End-of-run lines for stderr: per column what was done, with counts. */
  report(): string[];
}

/** Keys a plan renames in place (see StreamPlan.renameKeys). */
export interface KeyRenames {
  /** Per column (in `columns` order) the JSON text of its new key, quotes included; undefined keeps it. */
  keys: readonly (string | undefined)[];
  /** Counted by the runtime: records whose keys it renamed in place. */
  records: number;
}

export interface PlanContext {
  stream: string;
  logger: Logger;
  /** Line number of the SCHEMA message, for errors. */
  line: number;
  /** True when the runtime will use saved parameters for this stream if the plan accepts them. */
  hasSavedParams: boolean;
}

export interface StageDefinition<Options extends BaseStreamOptions = BaseStreamOptions, Params = unknown> {
  /** The program name (`transform-normalize`); also the key of the stage's params in STATE. */
  name: string;
  /**
   * Plan a stream from its SCHEMA and the options in force for it (top level overlaid by streams.<name>).
   * Return undefined to pass the stream through untouched (its lines are not even parsed). Throw a
   * ConfigurationError naming stream and column when an option cannot apply.
   */
  planStream(schema: SchemaMessage, options: Options, context: PlanContext): StreamPlan<Params> | undefined;
}

/** Spool and emit tags: the kind in the low two bits, the plan id above them. */
const PASS = 0;
const SCHEMA = 1;
const STATE = 2;
const RECORD = 3;

interface PlanState {
  id: number;
  stream: string;
  plan: StreamPlan;
  status: 'undecided' | 'fitting' | 'ready';
  observed: number;
  written: number;
  dropped: number;
  paramsSource: 'fitted' | 'restored' | 'none';
  /** For plans that name their columns: the record scanner and a scratch array of decoded values. */
  scanner: RecordScanner | undefined;
  before: unknown[];
  /** The values handed to observeValues and transformValues (reused). */
  values: unknown[];
  /** With plan.emitColumns: the scanner of those columns, and each one's index in `scanner.columns`. */
  emitScanner: RecordScanner | undefined;
  emitMap: Int32Array | undefined;
}

/** JSON text of one value; numbers (the common case when rescaling) without JSON.stringify's overhead. */
function encodeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  return value === undefined ? 'null' : stringifyExact(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Replacements in one line, collected and then written in text order: [start, end) of the line becomes
 * `texts[i]`. Reused from line to line.
 */
class LineEdits {
  starts: number[] = [];
  ends: number[] = [];
  texts: string[] = [];
  ascii: boolean[] = [];
  count = 0;

  add(start: number, end: number, text: string, ascii: boolean): void {
    // Insertion in order of start: a line has a handful of edits at most.
    let k = this.count;
    while (k > 0 && (this.starts[k - 1] as number) > start) {
      this.starts[k] = this.starts[k - 1] as number;
      this.ends[k] = this.ends[k - 1] as number;
      this.texts[k] = this.texts[k - 1] as string;
      this.ascii[k] = this.ascii[k - 1] as boolean;
      k -= 1;
    }
    this.starts[k] = start;
    this.ends[k] = end;
    this.texts[k] = text;
    this.ascii[k] = ascii;
    this.count += 1;
  }

  /** Write the line [start, end) of `bytes` with the edits applied, then clear them. */
  writeLine(out: LineOutput, bytes: Buffer, start: number, end: number): void {
    let position = start;
    for (let k = 0; k < this.count; k += 1) {
      out.bytes(bytes, position, this.starts[k] as number);
      out.write(this.texts[k] as string, this.ascii[k] as boolean);
      position = this.ends[k] as number;
    }
    out.bytes(bytes, position, end);
    out.endLine();
    this.count = 0;
  }
}

export class StageRuntime<Options extends BaseStreamOptions, Params> {
  private readonly config: BaseStageConfig & Record<string, unknown>;
  private readonly logger: Logger;
  private readonly writer: ProgramContext['output'];
  private readonly out: LineOutput;
  private readonly plans: PlanState[] = [];
  /** Current plan per stream at intake; null = passed through. */
  private readonly intakePlan = new Map<string, PlanState | null>();
  private readonly lastSchema = new Map<string, string>();
  /** Params from params_file (win) or an incoming STATE, per stream, available until its first record. */
  private readonly savedParams = new Map<string, unknown>();
  private readonly fromFile = new Set<string>();
  /** Params to carry in STATE and params_file: saved ones, replaced by those in use this run. */
  private readonly currentParams = new Map<string, unknown>();
  /** savedParamsText of currentParams, made at the first STATE after they last changed. */
  private paramsText: string | undefined;
  private readonly seenStreams = new Set<string>();
  private readonly seenColumns = new Map<string, Set<string>>();
  private spool: Spool;
  /** Bytes the spool holds in memory before it moves to files. */
  private readonly spoolMemory: number;
  private readonly progress: ProgressReporter;
  private readonly fitMaxRows: number | undefined;
  /** RECORD envelopes at intake and at emit (which interleave while the spool is replayed). */
  private readonly intakeEnvelope = new RecordEnvelope();
  private readonly emitEnvelope = new RecordEnvelope(false);
  /** The stream of the last fast-path RECORD at intake, and its plan (the Map lookup skipped line to line). */
  private cachedStream = '';
  private cachedPlan: PlanState | null | undefined;
  private readonly edits = new LineEdits();
  /** The row handed to observeRow and transformRow (reused). */
  private readonly row = new LazyRow();
  /** Scratch space for a record's saved scan on its way to the spool. */
  private scan = new Int32Array(64);

  constructor(
    context: ProgramContext<BaseStageConfig & Record<string, unknown>>,
    private readonly stage: StageDefinition<Options, Params>,
  ) {
    this.config = context.config;
    this.spoolMemory = this.config.spool_memory_mb === undefined ? SPOOL_MEMORY_LIMIT : Math.round(this.config.spool_memory_mb * 1024 * 1024);
    this.logger = context.logger;
    this.writer = context.output;
    this.out = new LineOutput(context.output);
    this.spool = new Spool(this.config.spill_dir, this.spoolMemory);
    this.progress = new ProgressReporter(this.logger, { unit: 'records' });
    this.fitMaxRows = this.config.fit_max_rows;
  }

  async run(input: NodeJS.ReadableStream, initialState: unknown, signal?: AbortSignal): Promise<void> {
    try {
      if (this.config.params_file !== undefined && !this.config.refit) {
        const saved = await readParamsFile(this.config.params_file, this.stage.name);
        for (const [stream, params] of Object.entries(saved ?? {})) {
          this.savedParams.set(stream, params);
          this.setParams(stream, params);
          this.fromFile.add(stream);
        }
      }
      if (initialState !== undefined) this.harvestParams(initialState);
      for await (const { buffer, firstLine } of readLineChunks(input as AsyncIterable<Buffer>)) {
        let ready = false;
        let line = firstLine;
        for (let start = 0; start < buffer.length; line += 1) {
          const newline = buffer.indexOf(10, start);
          const stop = newline < 0 ? buffer.length : newline;
          const end = stop > start && buffer[stop - 1] === 13 ? stop - 1 : stop;
          const next = newline < 0 ? stop : stop + 1;
          if (this.intake(buffer, start, end, next, line)) ready = true;
          start = next;
        }
        if (ready) await this.replaySpool();
        await this.handOutput();
        if (signal?.aborted) return;
      }
      for (const state of this.plans) if (state.status === 'fitting') this.fitPlan(state);
      await this.replaySpool();
      await this.handOutput();
      await this.writer.drain();
      if (this.config.params_file !== undefined && this.currentParams.size > 0) {
        await writeParamsFile(this.config.params_file, this.stage.name, Object.fromEntries(this.currentParams));
      }
      this.finalReport();
    } finally {
      this.spool.dispose();
    }
  }

  /** Give the written lines to the writer, and wait when it is full. */
  private async handOutput(): Promise<void> {
    this.out.hand();
    if (this.out.blocked) {
      await this.writer.drain();
      this.out.blocked = false;
    }
  }

  private setParams(stream: string, params: unknown): void {
    this.currentParams.set(stream, params);
    this.paramsText = undefined;
  }

  private harvestParams(stateValue: unknown): void {
    if (this.config.refit) return;
    const streams = paramsFromState(stateValue, this.stage.name);
    if (streams === undefined) return;
    for (const [stream, params] of Object.entries(streams)) {
      if (this.fromFile.has(stream)) continue;
      // Only before the stream's first record: parameters must not change in the middle of a stream.
      const plan = this.intakePlan.get(stream);
      if (plan && plan.status !== 'undecided') continue;
      this.savedParams.set(stream, params);
      if (!this.currentParams.has(stream) || !plan) this.setParams(stream, params);
    }
  }

  /**
   * Take the line at [start, end) of `bytes` (its newline ends at `next`); returns true when a plan just
   * became ready (replay the spool).
   */
  private intake(bytes: Buffer, start: number, end: number, next: number, line: number): boolean {
    const envelope = this.intakeEnvelope;
    if (envelope.read(bytes, start, end)) {
      if (envelope.stream !== this.cachedStream) {
        this.cachedStream = envelope.stream;
        this.cachedPlan = this.intakePlan.get(envelope.stream);
      }
      return this.intakeRecord(this.cachedPlan, envelope.stream, bytes, start, end, next, envelope.open, line, undefined);
    }
    const message = decodeLine(bytes, start, end, line);
    if (message === undefined) return false; // a blank line
    switch (message.type) {
      case 'RECORD': {
        const stream = (message as RecordMessage).stream;
        return this.intakeRecord(this.intakePlan.get(stream), stream, bytes, start, end, next, -1, line, message as RecordMessage);
      }
      case 'SCHEMA':
        this.intakeSchema(message as SchemaMessage, bytes, start, end, next, line);
        return false;
      case 'STATE':
        this.harvestParams((message as StateMessage).value);
        this.route(STATE, line, bytes, start, end, next, message);
        return false;
      default:
        // ACTIVATE_VERSION, BATCH and types we do not know pass on exactly as they came.
        this.route(PASS, line, bytes, start, end, next, undefined);
        return false;
    }
  }

  /**
   * One RECORD: observed when its plan is fitting, then routed. `open` is the record object's `{` for a
   * line in the usual shape (-1 otherwise); `message` is the parsed line when it had to be parsed.
   */
  private intakeRecord(
    state: PlanState | null | undefined,
    stream: string,
    bytes: Buffer,
    start: number,
    end: number,
    next: number,
    open: number,
    line: number,
    message: RecordMessage | undefined,
  ): boolean {
    this.progress.count(stream);
    if (state === undefined) {
      throw new DataError('RECORD before any SCHEMA of its stream', {
        stream,
        line,
        hint: 'The program before this stage must send a SCHEMA message before the records of a stream',
      });
    }
    if (state === null) {
      this.route(PASS, line, bytes, start, end, next, undefined);
      return false;
    }
    if (state.status === 'undecided') this.decide(state);
    const tag = state.id * 4 + RECORD;
    if (state.status === 'fitting') {
      const scanner = state.scanner;
      const scanned = this.observe(state, bytes, start, end, open, line, message);
      state.observed += 1;
      // The record goes to the spool with its scan: the replay will not scan it again.
      let scanSize = 0;
      if (scanned && scanner !== undefined) {
        scanSize = scanner.savedSize;
        if (this.scan.length < scanSize) this.scan = new Int32Array(scanSize);
        scanner.save(this.scan, 0, start);
      }
      if (this.fitMaxRows !== undefined && state.observed >= this.fitMaxRows) {
        // Spool this record first: it is before the ones that will now stream through.
        this.route(tag, line, bytes, start, end, next, undefined, this.scan, 0, scanSize);
        this.fitPlan(state);
        return true;
      }
      this.route(tag, line, bytes, start, end, next, undefined, this.scan, 0, scanSize);
      return false;
    }
    this.route(tag, line, bytes, start, end, next, undefined);
    return false;
  }

  /**
   * Show one record to a fitting plan: its values by position when the line can be scanned, else the
   * record. True when the line was scanned (the plan's scanner holds where its values are).
   */
  private observe(state: PlanState, bytes: Buffer, start: number, end: number, open: number, line: number, message: RecordMessage | undefined): boolean {
    const scanner = state.scanner;
    if (scanner !== undefined && open >= 0 && scanner.scan(bytes, open, end)) {
      this.observeScanned(state, scanner, bytes, line);
      return true;
    }
    const plan = state.plan;
    if (plan.observe !== undefined) plan.observe((message ?? (decodeLine(bytes, start, end, line) as RecordMessage)).record, line);
    return false;
  }

  /** Show a fitting plan the record whose columns `scanner` has found in `bytes`. */
  private observeScanned(state: PlanState, scanner: RecordScanner, bytes: Buffer, line: number): void {
    const plan = state.plan;
    if (plan.observeRow) {
      this.row.reset(scanner, bytes);
      plan.observeRow(this.row, line);
      return;
    }
    const values = state.values;
    const count = scanner.columns.length;
    const numbers = plan.numbersOnly;
    for (let i = 0; i < count; i += 1) values[i] = numbers !== undefined && numbers[i] === true ? scanner.numberOrValue(bytes, i) : scanner.value(bytes, i);
    if (plan.observeValues) {
      plan.observeValues(values, line);
      return;
    }
    // A record of just the plan's columns.
    const record: Record<string, unknown> = {};
    for (let i = 0; i < count; i += 1) if (values[i] !== undefined) record[scanner.columns[i] as string] = values[i];
    plan.observe?.(record, line);
  }

  /**
   * Show a fitting plan its records once more (see StreamPlan.observeAgain). They are all in the spool, in
   * order, with the scan of each line that was scanned, so that such a line is not scanned again (a line
   * that had to be parsed in full, such as json.dumps-spaced ones, is parsed again).
   */
  private observeHeld(state: PlanState): void {
    const tag = state.id * 4 + RECORD;
    const scanner = state.scanner;
    for (const entry of this.spool.reread()) {
      if (entry.tag !== tag) continue;
      if (scanner !== undefined && entry.numbers > 0) {
        scanner.load(entry.index, entry.numbersAt, entry.start);
        this.observeScanned(state, scanner, entry.bytes, entry.line);
      } else this.observe(state, entry.bytes, entry.start, entry.end, -1, entry.line, undefined);
    }
  }

  private intakeSchema(schema: SchemaMessage, bytes: Buffer, start: number, end: number, next: number, line: number): void {
    const stream = schema.stream;
    const identity = JSON.stringify(schema);
    const previous = this.intakePlan.get(stream);
    // Taps often repeat an unchanged SCHEMA; keep the plan (and its fit) rather than start another.
    if (previous !== undefined && this.lastSchema.get(stream) === identity) {
      this.route(previous === null ? PASS : previous.id * 4 + SCHEMA, line, bytes, start, end, next, undefined);
      return;
    }
    this.lastSchema.set(stream, identity);
    if (previous) this.logger.info(`stream "${stream}": SCHEMA changed at line ${line}; its records from here on get a plan of their own`);
    this.seenStreams.add(stream);
    const columns = this.seenColumns.get(stream) ?? new Set<string>();
    for (const name of Object.keys(schema.schema.properties ?? {})) columns.add(name);
    this.seenColumns.set(stream, columns);
    const options = streamOptionsFor<Options>(this.config, stream);
    const plan =
      options.enabled === false
        ? undefined
        : this.stage.planStream(schema, options, {
            stream,
            logger: this.logger,
            line,
            hasSavedParams: this.savedParams.has(stream),
          });
    this.cachedStream = '';
    if (plan === undefined) {
      this.intakePlan.set(stream, null);
      this.route(PASS, line, bytes, start, end, next, undefined);
      return;
    }
    const state: PlanState = {
      id: this.plans.length,
      stream,
      plan: plan as StreamPlan,
      status: typeof plan.fit === 'function' ? 'undecided' : 'ready',
      observed: 0,
      written: 0,
      dropped: 0,
      paramsSource: 'none',
      // Renaming keys needs every key of the line; otherwise the scan may stop at the last wanted column.
      scanner: plan.columns ? new RecordScanner(plan.columns, plan.renameKeys === undefined) : undefined,
      before: [],
      values: [],
      emitScanner: undefined,
      emitMap: undefined,
    };
    this.plans.push(state);
    this.intakePlan.set(stream, state);
    this.route(state.id * 4 + SCHEMA, line, bytes, start, end, next, undefined);
  }

  /**
   * At a plan's first record: the parameters an earlier run saved for the stream (params_file, or a STATE
   * before the stream's first record), else fit afresh. A plan for a changed SCHEMA of the stream is
   * fitted on its own records, as the first plan was on its: the earlier plan's parameters may not cover
   * its columns, and the last plan's are those saved for the next run, whose records come under it.
   */
  private decide(state: PlanState): void {
    const params = this.savedParams.get(state.stream);
    if (params !== undefined && state.plan.restore) {
      state.plan.restore(params);
      state.status = 'ready';
      state.paramsSource = 'restored';
      this.setParams(state.stream, params);
      return;
    }
    state.status = 'fitting';
  }

  private fitPlan(state: PlanState): void {
    while (state.plan.observeAgain?.() === true) this.observeHeld(state);
    const params = (state.plan.fit as () => unknown)();
    state.status = 'ready';
    state.paramsSource = 'fitted';
    this.setParams(state.stream, params);
    const scope = this.fitMaxRows !== undefined && state.observed >= this.fitMaxRows ? ` (first ${this.fitMaxRows} records)` : '';
    this.logger.info(`fitted stream "${state.stream}" on ${state.observed.toLocaleString('en-US')} records${scope}`);
  }

  /**
   * Write the line now, or spool it when something before it (or its own plan) is still waiting. A
   * RECORD line may come with its scan saved (`scan` int32s at `scanAt`, see RecordScanner.save), so
   * that it is not scanned again.
   */
  private route(tag: number, line: number, bytes: Buffer, start: number, end: number, next: number, message: Message | undefined, scan?: Int32Array, scanAt = 0, scanSize = 0): void {
    if (this.spool.length > 0 || ((tag & 3) === RECORD && (this.plans[tag >> 2] as PlanState).status !== 'ready')) {
      this.spool.append(tag, line, bytes, start, end, next, scan, scanAt, scanSize);
      return;
    }
    if ((tag & 3) === RECORD) this.emitRecord(this.plans[tag >> 2] as PlanState, bytes, start, end, line, scanSize > 0 ? (scan as Int32Array) : undefined, scanAt);
    else this.emit(tag, line, bytes, start, end, message);
  }

  /** Replay the spool through route(): what can be written is, the rest goes to a fresh spool in order. */
  private async replaySpool(): Promise<void> {
    if (this.spool.length === 0) return;
    const old = this.spool;
    this.spool = new Spool(this.config.spill_dir, this.spoolMemory);
    let sinceHand = 0;
    for (const entry of old.drain()) {
      this.route(entry.tag, entry.line, entry.bytes, entry.start, entry.end, entry.next, undefined, entry.index, entry.numbersAt, entry.numbers);
      if (++sinceHand === 4096) {
        sinceHand = 0;
        await this.handOutput();
      }
    }
  }

  private emit(tag: number, line: number, bytes: Buffer, start: number, end: number, message: Message | undefined): void {
    switch (tag & 3) {
      case PASS:
        this.out.line(bytes, start, end);
        return;
      case SCHEMA:
        this.out.text(JSON.stringify((this.plans[tag >> 2] as PlanState).plan.outputSchema));
        return;
      case STATE: {
        if (this.currentParams.size === 0) {
          this.out.line(bytes, start, end);
          return;
        }
        this.paramsText ??= savedParamsText(Object.fromEntries(this.currentParams));
        const place = paramsPlace(bytes, start, end, this.stage.name);
        if (place !== undefined) {
          this.out.bytes(bytes, start, place.from);
          this.out.write(place.before);
          this.out.write(this.paramsText);
          this.out.bytes(bytes, place.to, end);
          this.out.endLine();
          return;
        }
        const state = (message ?? decodeLine(bytes, start, end, line)) as StateMessage;
        if (!isObject(state.value)) {
          this.out.line(bytes, start, end);
          return;
        }
        this.out.text(stateLineWithParams(state as unknown as Record<string, unknown>, this.stage.name, this.paramsText));
        return;
      }
      default:
        this.emitRecord(this.plans[tag >> 2] as PlanState, bytes, start, end, line, undefined, 0);
    }
  }

  /** The scanner of the columns a ready plan transforms: its own, or the fewer ones of plan.emitColumns. */
  private emitScannerOf(state: PlanState, scanner: RecordScanner): RecordScanner {
    if (state.emitScanner !== undefined) return state.emitScanner;
    const names = state.plan.emitColumns?.();
    if (names === undefined || names.length >= scanner.columns.length) {
      state.emitScanner = scanner;
      return scanner;
    }
    const map = Int32Array.from(names, (name) => scanner.columns.indexOf(name));
    if (map.some((index) => index < 0)) throw new Error(`transform-base: emitColumns of stream "${state.stream}" are not all in its columns`);
    state.emitScanner = new RecordScanner(names, true);
    state.emitMap = map;
    return state.emitScanner;
  }

  /**
   * The scanner holding where the record's columns are: from its saved scan, or by scanning it now; or
   * undefined when the line cannot be scanned.
   */
  private located(state: PlanState, scanner: RecordScanner, bytes: Buffer, start: number, end: number, scan: Int32Array | undefined, scanAt: number): RecordScanner | undefined {
    const emitScanner = (state.plan.transformValues !== undefined || state.plan.transformRow !== undefined) && state.plan.renameKeys === undefined ? this.emitScannerOf(state, scanner) : scanner;
    if (scan !== undefined) {
      scanner.load(scan, scanAt, start);
      if (emitScanner !== scanner) emitScanner.copyFrom(scanner, state.emitMap as Int32Array);
      return emitScanner;
    }
    return this.emitEnvelope.read(bytes, start, end) && emitScanner.scan(bytes, this.emitEnvelope.open, end) ? emitScanner : undefined;
  }

  private emitRecord(state: PlanState, bytes: Buffer, start: number, end: number, line: number, scan: Int32Array | undefined, scanAt: number): void {
    const located = state.scanner === undefined ? undefined : this.located(state, state.scanner, bytes, start, end, scan, scanAt);
    if (located !== undefined) {
      const plan = state.plan;
      if (plan.renameKeys !== undefined) {
        if (located.unknownKeys === 0) {
          this.emitRenamed(located, state, plan.renameKeys, bytes, start, end);
          return;
        }
      } else if (plan.transformRow !== undefined) {
        this.emitRow(located, state, plan.transformRow, bytes, start, end, line);
        return;
      } else if (plan.transformValues !== undefined) {
        this.emitValues(located, state, plan.transformValues, bytes, start, end, line);
        return;
      } else {
        this.emitColumns(located, state, bytes, start, end, line);
        return;
      }
    }
    const message = decodeLine(bytes, start, end, line) as RecordMessage;
    const result = state.plan.transform(message.record, line);
    if (result === null) {
      state.dropped += 1;
      return;
    }
    message.record = result;
    state.written += 1;
    this.out.text(stringifyExact(message));
  }

  /** The line with its keys renamed in place. */
  private emitRenamed(scanner: RecordScanner, state: PlanState, renames: KeyRenames, bytes: Buffer, start: number, end: number): void {
    const edits = this.edits;
    const keys = renames.keys;
    for (let i = 0; i < keys.length; i += 1) {
      const rename = keys[i];
      const at = scanner.keyStarts[i] as number;
      if (rename === undefined || at === -1) continue;
      edits.add(at, at + scanner.keyLength(i), rename, false);
    }
    state.written += 1;
    if (edits.count === 0) this.out.line(bytes, start, end);
    else {
      renames.records += 1;
      edits.writeLine(this.out, bytes, start, end);
    }
  }

  /** transformValues on the scanned values; the line is written as it came, or with its changed values replaced. */
  private emitValues(scanner: RecordScanner, state: PlanState, transform: NonNullable<StreamPlan['transformValues']>, bytes: Buffer, start: number, end: number, line: number): void {
    const count = scanner.columns.length;
    const values = state.values;
    const before = state.before;
    // numbersOnly is by position of the plan's columns, which are the scanner's unless emitColumns chose fewer.
    const numbers = state.emitMap === undefined ? state.plan.numbersOnly : undefined;
    for (let i = 0; i < count; i += 1) before[i] = values[i] = numbers !== undefined && numbers[i] === true ? scanner.numberOrValue(bytes, i) : scanner.value(bytes, i);
    if (!transform(values, line)) {
      state.dropped += 1;
      return;
    }
    state.written += 1;
    this.writeChanged(scanner, values, before, bytes, start, end);
  }

  /** transformRow on the scanned line, decoding only what it asks for; written as for emitValues. */
  private emitRow(scanner: RecordScanner, state: PlanState, transform: NonNullable<StreamPlan['transformRow']>, bytes: Buffer, start: number, end: number, line: number): void {
    const row = this.row;
    row.reset(scanner, bytes);
    if (!transform(row, line)) {
      state.dropped += 1;
      return;
    }
    state.written += 1;
    this.writeChanged(scanner, row.values, row.before, bytes, start, end);
  }

  /** `transform` on a record of just the plan's columns, decoded from the line. */
  private emitColumns(scanner: RecordScanner, state: PlanState, bytes: Buffer, start: number, end: number, line: number): void {
    const columns = scanner.columns;
    const record: Record<string, unknown> = {};
    const before = state.before;
    for (let i = 0; i < columns.length; i += 1) {
      const value = scanner.value(bytes, i);
      before[i] = value;
      if (value !== undefined) record[columns[i] as string] = value;
    }
    const result = state.plan.transform(record, line);
    if (result === null) {
      state.dropped += 1;
      return;
    }
    state.written += 1;
    const values = state.values;
    for (let i = 0; i < columns.length; i += 1) values[i] = result[columns[i] as string];
    this.writeChanged(scanner, values, before, bytes, start, end);
  }

  /**
   * The line with the values that differ from `before` re-encoded in place; values for columns the line
   * lacks are added at the record's end, in column order. Most records change nothing (nothing to impute,
   * no flag) and are copied as they came.
   */
  private writeChanged(scanner: RecordScanner, values: readonly unknown[], before: readonly unknown[], bytes: Buffer, start: number, end: number): void {
    const columns = scanner.columns;
    const edits = this.edits;
    let appended = '';
    let members = scanner.members;
    for (let i = 0; i < columns.length; i += 1) {
      const value = values[i];
      if (value === before[i]) continue;
      if (scanner.keyStarts[i] !== -1) {
        edits.add(scanner.valueStarts[i] as number, scanner.valueEnds[i] as number, encodeValue(value), typeof value !== 'string');
      } else if (value !== undefined) {
        appended += `${members > 0 ? ',' : ''}${JSON.stringify(columns[i])}:${encodeValue(value)}`;
        members += 1;
      }
    }
    if (appended !== '') edits.add(scanner.close, scanner.close, appended, false);
    if (edits.count === 0) this.out.line(bytes, start, end);
    else edits.writeLine(this.out, bytes, start, end);
  }

  private finalReport(): void {
    this.progress.report(true);
    for (const state of this.plans) {
      const how =
        state.paramsSource === 'fitted'
          ? `fitted on ${state.observed.toLocaleString('en-US')} records`
          : state.paramsSource === 'restored'
            ? 'parameters restored from an earlier run'
            : 'no fitting needed';
      const dropped = state.dropped > 0 ? `, ${state.dropped.toLocaleString('en-US')} dropped` : '';
      this.logger.info(`stream "${state.stream}": ${state.written.toLocaleString('en-US')} records written${dropped}; ${how}`);
      for (const line of state.plan.report()) this.logger.info(`stream "${state.stream}": ${line}`);
    }
    this.warnUnknownNames();
  }

  /** One warning per stream or column named in the options that never appeared in a SCHEMA. */
  private warnUnknownNames(): void {
    const everyColumn = new Set<string>();
    for (const columns of this.seenColumns.values()) for (const name of columns) everyColumn.add(name);
    for (const name of namedColumns(this.config.columns)) {
      if (!everyColumn.has(name)) this.logger.warn(`column "${name}" named in columns never appeared in any stream's SCHEMA`);
    }
    for (const [stream, options] of Object.entries(this.config.streams ?? {})) {
      if (!this.seenStreams.has(stream)) {
        this.logger.warn(`stream "${stream}" named in streams never appeared in the input`);
        continue;
      }
      const seen = this.seenColumns.get(stream) ?? new Set<string>();
      for (const name of namedColumns(options.columns)) {
        if (!seen.has(name)) this.logger.warn(`column "${name}" named in streams.${stream}.columns never appeared in the SCHEMA of stream "${stream}"`);
      }
    }
  }
}

/** Run a stage as a program's `run`: read context.input, write context.output. */
export async function runStage<Options extends BaseStreamOptions, Params>(
  context: ProgramContext<BaseStageConfig & Record<string, unknown>>,
  stage: StageDefinition<Options, Params>,
): Promise<void> {
  const runtime = new StageRuntime(context, stage);
  await runtime.run(context.input, context.state, context.signal);
}

export interface StageProgramOptions<Options extends BaseStreamOptions, Params> {
  stage: StageDefinition<Options, Params>;
  version: string;
  description: string;
  configSchema: JsonSchema;
  /** Singer capabilities for --about; defaults to `stream-maps`-free basics every stage has. */
  capabilities?: string[];
}

/** The heap growth every stage runs with (ProgramDefinition.heapGrowingPercent). */
export const STAGE_HEAP_GROWING_PERCENT = 150;

/** The ProgramDefinition of a stage: a bin calls `runProgram(stageProgram({...}))`. */
export function stageProgram<Options extends BaseStreamOptions, Params>(
  options: StageProgramOptions<Options, Params>,
): ProgramDefinition<BaseStageConfig & Record<string, unknown>> {
  return {
    name: options.stage.name,
    version: options.version,
    kind: 'transform',
    description: options.description,
    configSchema: options.configSchema,
    capabilities: options.capabilities ?? ['state'],
    // Peak RSS near the live data (~50-100 MB) rather than growing towards 4x it over a long stream:
    // impute auto, when it gathered every statistic in one pass, on 10M records 364 -> 264 MB. 100% would save another ~10% of RSS but cost normalize
    // ~10% more CPU in collections; 150% costs it ~3%.
    heapGrowingPercent: STAGE_HEAP_GROWING_PERCENT,
    run: (context) => runStage(context, options.stage),
  };
}
