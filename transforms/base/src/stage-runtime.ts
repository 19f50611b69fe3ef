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
 * Memory. The spool is in memory up to 8 MB, then on disk (`spill_dir`); the plans' statistics are
 * bounded accumulators. So a stream of any length is fitted exactly on all of its records with memory
 * that does not grow, at the cost of writing it to disk once. `fit_max_rows: N` fits on the first N
 * records of each stream instead and streams the rest without spooling.
 */
import {
  DataError,
  LazyRecordMessage,
  ProgressReporter,
  parseMessage,
  readMessageBatches,
  type JsonSchema,
  type Logger,
  type Message,
  type ProgramContext,
  type ProgramDefinition,
  type ReadMessage,
  type RecordMessage,
  type SchemaMessage,
  type StateMessage,
} from '@tapline/protocol';
import { paramsFromState, readParamsFile, stateWithParams, writeParamsFile } from './fitted-params.js';
import { RecordScanner } from './record-scanner.js';
import { Spool } from './spool.js';
import { namedColumns, streamOptionsFor, type BaseStageConfig, type BaseStreamOptions } from './stage-config.js';

/** What a stage does with one stream under one SCHEMA. */
export interface StreamPlan<Params = unknown> {
  /** The SCHEMA to write in place of the incoming one (types must stay true; key_properties preserved). */
  outputSchema: SchemaMessage;
  /** First pass: see one record, for whole-stream statistics. Omit when nothing needs fitting. */
  observe?(record: Record<string, unknown>, line: number): void;
  /** Finish fitting (possibly on no records at all) and return JSON-serializable parameters. */
  fit?(): Params;
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
   * With `columns`: `transform` by position. Change `values` in place (a value set where the record had
   * none is added to it); return false to drop the record. Called instead of `transform` whenever the
   * line can be scanned; must do exactly what `transform` would. The array is reused: do not keep it.
   */
  transformValues?(values: unknown[], line: number): boolean;
  /**
   * Fastest path, for plans that work on the text (renaming keys): the line to write, null to drop it,
   * or undefined to fall back to `transform` on the parsed record.
   */
  transformLine?(raw: string, line: number): string | null | undefined;
  /** The record to write, or null to drop it. May modify and return `record`. */
  transform(record: Record<string, unknown>, line: number): Record<string, unknown> | null;
  /** End-of-run lines for stderr: per column what was done, with counts. */
  report(): string[];
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

type EntryKind = 'P' | 'S' | 'T' | 'R';

interface Entry {
  kind: EntryKind;
  /** Plan id for S and R entries, else -1. */
  planId: number;
  line: number;
  raw: string;
  message?: Message | undefined;
}

interface PlanState {
  id: number;
  stream: string;
  plan: StreamPlan;
  needsFit: boolean;
  status: 'undecided' | 'fitting' | 'ready';
  observed: number;
  written: number;
  dropped: number;
  paramsSource: 'fitted' | 'restored' | 'none';
  /** For plans that name their columns: the line scanner and a scratch array of decoded values. */
  scanner: RecordScanner | undefined;
  before: unknown[];
  /** The values handed to observeValues and transformValues (reused). */
  values: unknown[];
}

/** JSON text of one value; numbers (the common case when rescaling) without JSON.stringify's overhead. */
function encodeValue(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value === undefined ? 'null' : JSON.stringify(value);
}

/**
 * The line with the values that differ from `before` (from index `first` on) re-encoded in place, in
 * text order; values for columns the line lacks are appended at the record's end, in column order.
 */
function spliceValues(scanner: RecordScanner, raw: string, values: readonly unknown[], before: readonly unknown[], first: number): string {
  const columns = scanner.columns;
  let edits: [number, number, string][] | undefined;
  let appended = '';
  let members = scanner.members;
  for (let i = first; i < columns.length; i += 1) {
    const value = values[i];
    if (value === before[i]) continue;
    if (scanner.keyStarts[i] !== -1) {
      (edits ??= []).push([scanner.valueStarts[i] as number, scanner.valueEnds[i] as number, encodeValue(value)]);
    } else if (value !== undefined) {
      appended += `${members > 0 ? ',' : ''}${JSON.stringify(columns[i])}:${encodeValue(value)}`;
      members += 1;
    }
  }
  if (appended !== '') (edits ??= []).push([scanner.close, scanner.close, appended]);
  return edits === undefined ? raw : spliceEdits(raw, edits);
}

/** `raw` with each [start, end) range replaced by its text; the ranges do not overlap, in any order. */
export function spliceEdits(raw: string, edits: [number, number, string][]): string {
  if (edits.length === 1) {
    const [start, end, replacement] = edits[0] as [number, number, string];
    return raw.slice(0, start) + replacement + raw.slice(end);
  }
  edits.sort((a, b) => a[0] - b[0]);
  let text = '';
  let position = 0;
  for (const [start, end, replacement] of edits) {
    text += raw.slice(position, start) + replacement;
    position = end;
  }
  return text + raw.slice(position);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class StageRuntime<Options extends BaseStreamOptions, Params> {
  private readonly config: BaseStageConfig & Record<string, unknown>;
  private readonly logger: Logger;
  private readonly output: ProgramContext['output'];
  private readonly plans: PlanState[] = [];
  /** Current plan per stream at intake; null = passed through. */
  private readonly intakePlan = new Map<string, PlanState | null>();
  private readonly lastSchema = new Map<string, string>();
  /** Params from params_file (win) or an incoming STATE, per stream, available until its first record. */
  private readonly savedParams = new Map<string, unknown>();
  private readonly fromFile = new Set<string>();
  /** Params to carry in STATE and params_file: saved ones, replaced by those in use this run. */
  private readonly currentParams = new Map<string, unknown>();
  private readonly seenStreams = new Set<string>();
  private readonly seenColumns = new Map<string, Set<string>>();
  private spool: Spool;
  private blocked = false;
  private readonly progress: ProgressReporter;
  private readonly fitMaxRows: number | undefined;

  constructor(
    context: ProgramContext<BaseStageConfig & Record<string, unknown>>,
    private readonly stage: StageDefinition<Options, Params>,
  ) {
    this.config = context.config;
    this.logger = context.logger;
    this.output = context.output;
    this.spool = new Spool(this.config.spill_dir);
    this.progress = new ProgressReporter(this.logger, { unit: 'records' });
    this.fitMaxRows = this.config.fit_max_rows;
  }

  async run(input: NodeJS.ReadableStream, initialState: unknown, signal?: AbortSignal): Promise<void> {
    try {
      if (this.config.params_file !== undefined && !this.config.refit) {
        const saved = await readParamsFile(this.config.params_file, this.stage.name);
        for (const [stream, params] of Object.entries(saved ?? {})) {
          this.savedParams.set(stream, params);
          this.currentParams.set(stream, params);
          this.fromFile.add(stream);
        }
      }
      if (initialState !== undefined) this.harvestParams(initialState);
      for await (const batch of readMessageBatches(input as AsyncIterable<Buffer>, { lazyRecords: true })) {
        for (const read of batch) {
          const ready = this.intake(read);
          if (ready) await this.replaySpool();
        }
        if (this.blocked) await this.waitForOutput();
        if (signal?.aborted) return;
      }
      for (const state of this.plans) if (state.status === 'fitting') this.fitPlan(state);
      await this.replaySpool();
      await this.output.drain();
      if (this.config.params_file !== undefined && this.currentParams.size > 0) {
        await writeParamsFile(this.config.params_file, this.stage.name, Object.fromEntries(this.currentParams));
      }
      this.finalReport();
    } finally {
      this.spool.dispose();
    }
  }

  private async waitForOutput(): Promise<void> {
    await this.output.drain();
    this.blocked = false;
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
      if (!this.currentParams.has(stream) || !plan) this.currentParams.set(stream, params);
    }
  }

  /** Take one message from the input; returns true when a plan just became ready (replay the spool). */
  private intake(read: ReadMessage): boolean {
    const { message, line, raw } = read;
    switch (message.type) {
      case 'RECORD': {
        const stream = (message as RecordMessage).stream;
        this.progress.count(stream);
        const state = this.intakePlan.get(stream);
        if (state === undefined) {
          throw new DataError('RECORD before any SCHEMA of its stream', {
            stream,
            line,
            hint: 'The program before this stage must send a SCHEMA message before the records of a stream',
          });
        }
        if (state === null) {
          this.route({ kind: 'P', planId: -1, line, raw });
          return false;
        }
        if (state.status === 'undecided') this.decide(state);
        if (state.status === 'fitting') {
          if (!(state.plan.observeValues && this.observeValues(state, message as RecordMessage, raw, line))) {
            state.plan.observe?.(this.recordFor(state, message as RecordMessage, raw), line);
          }
          state.observed += 1;
          if (this.fitMaxRows !== undefined && state.observed >= this.fitMaxRows) {
            // Spool this record first: it is before the ones that will now stream through.
            this.route({ kind: 'R', planId: state.id, line, raw, message });
            this.fitPlan(state);
            return true;
          }
        }
        this.route({ kind: 'R', planId: state.id, line, raw, message });
        return false;
      }
      case 'SCHEMA':
        this.intakeSchema(message as SchemaMessage, line, raw);
        return false;
      case 'STATE':
        this.harvestParams((message as StateMessage).value);
        this.route({ kind: 'T', planId: -1, line, raw, message });
        return false;
      default:
        // ACTIVATE_VERSION, BATCH and types we do not know pass on exactly as they came.
        this.route({ kind: 'P', planId: -1, line, raw });
        return false;
    }
  }

  private intakeSchema(schema: SchemaMessage, line: number, raw: string): void {
    const stream = schema.stream;
    const identity = JSON.stringify(schema);
    const previous = this.intakePlan.get(stream);
    // Taps often repeat an unchanged SCHEMA; keep the plan (and its fit) rather than start another.
    if (previous !== undefined && this.lastSchema.get(stream) === identity) {
      this.route(previous === null ? { kind: 'P', planId: -1, line, raw } : { kind: 'S', planId: previous.id, line, raw });
      return;
    }
    this.lastSchema.set(stream, identity);
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
            hasSavedParams: this.savedParams.has(stream) || this.currentParams.has(stream),
          });
    if (plan === undefined) {
      this.intakePlan.set(stream, null);
      this.route({ kind: 'P', planId: -1, line, raw });
      return;
    }
    const needsFit = typeof plan.fit === 'function';
    const state: PlanState = {
      id: this.plans.length,
      stream,
      plan: plan as StreamPlan,
      needsFit,
      status: needsFit ? 'undecided' : 'ready',
      observed: 0,
      written: 0,
      dropped: 0,
      paramsSource: 'none',
      scanner: plan.columns ? new RecordScanner(plan.columns, true) : undefined,
      before: [],
      values: [],
    };
    this.plans.push(state);
    this.intakePlan.set(stream, state);
    this.route({ kind: 'S', planId: state.id, line, raw });
  }

  /** At a plan's first record: parameters in use for the stream, saved ones, or fit afresh. */
  private decide(state: PlanState): void {
    const carried = this.currentParams.get(state.stream);
    const saved = this.savedParams.get(state.stream);
    const params = carried ?? saved;
    if (params !== undefined && state.plan.restore) {
      state.plan.restore(params);
      state.status = 'ready';
      state.paramsSource = 'restored';
      this.currentParams.set(state.stream, params);
      return;
    }
    state.status = 'fitting';
  }

  private fitPlan(state: PlanState): void {
    const params = (state.plan.fit as () => unknown)();
    state.status = 'ready';
    state.paramsSource = 'fitted';
    this.currentParams.set(state.stream, params);
    const scope = this.fitMaxRows !== undefined && state.observed >= this.fitMaxRows ? ` (first ${this.fitMaxRows} records)` : '';
    this.logger.info(`fitted stream "${state.stream}" on ${state.observed.toLocaleString('en-US')} records${scope}`);
  }

  private route(entry: Entry): void {
    if (this.spool.length > 0 || (entry.kind === 'R' && (this.plans[entry.planId] as PlanState).status !== 'ready')) {
      this.spool.append(`${entry.kind}${entry.planId}\t${entry.line}\t${entry.raw}`);
      return;
    }
    this.emit(entry);
  }

  /** Replay the spool through route(): what can be written is, the rest goes to a fresh spool in order. */
  private async replaySpool(): Promise<void> {
    if (this.spool.length === 0) return;
    const old = this.spool;
    this.spool = new Spool(this.config.spill_dir);
    for await (const lines of old.drain()) {
      for (const text of lines) {
        const tab = text.indexOf('\t');
        const tab2 = text.indexOf('\t', tab + 1);
        this.route({
          kind: text[0] as EntryKind,
          planId: Number(text.slice(1, tab)),
          line: Number(text.slice(tab + 1, tab2)),
          raw: text.slice(tab2 + 1),
        });
      }
      if (this.blocked) await this.waitForOutput();
    }
  }

  private writeLine(line: string): void {
    if (!this.output.writeLine(line)) this.blocked = true;
  }

  private emit(entry: Entry): void {
    switch (entry.kind) {
      case 'P':
        this.writeLine(entry.raw);
        return;
      case 'S':
        this.writeLine(JSON.stringify((this.plans[entry.planId] as PlanState).plan.outputSchema));
        return;
      case 'T': {
        if (this.currentParams.size === 0) {
          this.writeLine(entry.raw);
          return;
        }
        const message = (entry.message ?? parseMessage(entry.raw, entry.line)) as StateMessage;
        if (!isObject(message.value)) {
          this.writeLine(entry.raw);
          return;
        }
        const value = stateWithParams(message.value, this.stage.name, Object.fromEntries(this.currentParams));
        this.writeLine(JSON.stringify({ ...message, value }));
        return;
      }
      case 'R': {
        const state = this.plans[entry.planId] as PlanState;
        if (state.plan.transformLine) {
          const text = state.plan.transformLine(entry.raw, entry.line);
          if (text !== undefined) {
            if (text === null) state.dropped += 1;
            else {
              state.written += 1;
              this.writeLine(text);
            }
            return;
          }
        }
        if (state.scanner && this.emitColumns(state, entry.raw, entry.line)) return;
        let message = (entry.message ?? parseMessage(entry.raw, entry.line)) as RecordMessage;
        if (message instanceof LazyRecordMessage) message = message.resolve();
        const result = state.plan.transform(message.record, entry.line);
        if (result === null) {
          state.dropped += 1;
          return;
        }
        message.record = result;
        state.written += 1;
        this.writeLine(JSON.stringify(message));
        return;
      }
    }
  }

  /** observeValues through the column scanner; false when the line could not be scanned. */
  private observeValues(state: PlanState, message: RecordMessage, raw: string, line: number): boolean {
    const scanner = state.scanner;
    if (scanner === undefined || (message instanceof LazyRecordMessage && message.isParsed) || !scanner.scan(raw)) return false;
    const values = state.values;
    const count = scanner.columns.length;
    for (let i = 0; i < count; i += 1) values[i] = scanner.value(raw, i);
    (state.plan.observeValues as NonNullable<StreamPlan['observeValues']>)(values, line);
    return true;
  }

  /** The record a plan observes: only its columns when it names them and the line can be scanned. */
  private recordFor(state: PlanState, message: RecordMessage, raw: string): Record<string, unknown> {
    const scanner = state.scanner;
    if (scanner && !(message instanceof LazyRecordMessage && message.isParsed) && scanner.scan(raw)) {
      const record: Record<string, unknown> = {};
      const columns = scanner.columns;
      for (let i = 0; i < columns.length; i += 1) {
        if (scanner.keyStarts[i] !== -1) record[columns[i] as string] = scanner.value(raw, i);
      }
      return record;
    }
    return message.record;
  }

  /** transformValues through the column fast path; false when the line could not be scanned. */
  private emitValues(state: PlanState, raw: string, line: number): boolean {
    const scanner = state.scanner as RecordScanner;
    if (!scanner.scan(raw)) return false;
    const columns = scanner.columns;
    const count = columns.length;
    const values = state.values;
    const before = state.before;
    for (let i = 0; i < count; i += 1) before[i] = values[i] = scanner.value(raw, i);
    if (!(state.plan.transformValues as NonNullable<StreamPlan['transformValues']>)(values, line)) {
      state.dropped += 1;
      return true;
    }
    state.written += 1;
    // Most records keep every value (nothing to impute, no flag): write the line as it came.
    let changed = -1;
    for (let i = 0; i < count; i += 1) {
      if (values[i] !== before[i]) {
        changed = i;
        break;
      }
    }
    if (changed === -1) {
      this.writeLine(raw);
      return true;
    }
    this.writeLine(spliceValues(scanner, raw, values, before, changed));
    return true;
  }

  /** Transform through the column fast path; false when the line could not be scanned. */
  private emitColumns(state: PlanState, raw: string, line: number): boolean {
    if (state.plan.transformValues) return this.emitValues(state, raw, line);
    const scanner = state.scanner as RecordScanner;
    if (!scanner.scan(raw)) return false;
    const columns = scanner.columns;
    const record: Record<string, unknown> = {};
    const before = state.before;
    for (let i = 0; i < columns.length; i += 1) {
      const value = scanner.value(raw, i);
      before[i] = value;
      if (value !== undefined) record[columns[i] as string] = value;
    }
    const result = state.plan.transform(record, line);
    if (result === null) {
      state.dropped += 1;
      return true;
    }
    state.written += 1;
    const values = state.values;
    for (let i = 0; i < columns.length; i += 1) values[i] = result[columns[i] as string];
    this.writeLine(spliceValues(scanner, raw, values, before, 0));
    return true;
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
    run: (context) => runStage(context, options.stage),
  };
}
