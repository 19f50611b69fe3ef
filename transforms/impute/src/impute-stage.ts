/**
 * transform-impute: fills missing values (null, absent, NaN, blank strings: core's isMissingValue) per
 * column by a strategy, or drops rows, following the reference. `auto` (the default) fits the stream's
 * statistics and applies chooseImputationStrategies from transform-core.
 *
 * Integer columns stay integer: average and median are rounded to the nearest integer for them (the
 * reference casts after filling, which truncates; rounding is the closer integer). A constant must fit
 * the column's SCHEMA type; exact-decimal strings are filled with decimal strings.
 */
import { ConfigurationError, type JsonSchema, type SchemaMessage } from '@tapline/protocol';
import {
  FrequencyCounter,
  MomentsAccumulator,
  Mulberry32,
  NullRunAccumulator,
  TIMESERIES_MAX_NULL_RATE,
  chooseImputationAction,
  chooseImputationStrategies,
  countSortedNumbers,
  defaultConstantFor,
  detachValue,
  inferColumnType,
  isMissingValue,
  reservoirSample,
  type ColumnType,
  type ImputationColumnFacts,
  type ValueCount,
} from '@tapline/transform-core';
import {
  ArrayRow,
  BoundedQuantiles,
  columnNumber,
  columnTypes,
  columnsOf,
  numericKind,
  stageProgram,
  type NumericKind,
  type PlanContext,
  type RowValues,
  type StageDefinition,
  type StreamPlan,
} from '@tapline/transform-base';
import { imputeConfigSchema, type ColumnImputeSetting, type ImputeOptions, type ImputeStrategyName } from './impute-config.js';

/** Values kept per column (seeded reservoir) for type detection and random fill: the reference detects types on 100,000 rows. */
const SAMPLE_SIZE = 100_000;
/** Distinct values counted exactly per column for the mode (beyond it, the mode of the sample). */
const MODE_CAP = 10_000;
/** Values per column kept exactly for the median; beyond, a KLL sketch (rank error <= 1.65%). */
const QUANTILE_EXACT_LIMIT = 200_000;
/** Observed values saved in params for random fill. */
const RANDOM_POOL_SIZE = 1_000;

/** What a column does once fitted; saved in params. */
export interface ColumnFill {
  strategy: 'none' | 'fill' | 'random' | 'sequential' | 'column' | 'drop_row';
  /** fill: the value; random: the pool to draw from. */
  value?: unknown;
  pool?: unknown[];
  direction?: 'forward' | 'backward';
  source?: string;
  /** How the strategy was chosen and named in the report: average, median, mode, constant, ... */
  how: string;
}

export interface ImputeParams {
  /** auto's stream-level decision: nothing, drop incomplete rows, or per column. */
  action: 'nothing' | 'drop_rows' | 'per_column';
  columns: Record<string, ColumnFill>;
  seed: number;
}

interface ColumnSpec {
  name: string;
  strategy: ImputeStrategyName;
  setting: ColumnImputeSetting;
  property: JsonSchema | undefined;
  kind: NumericKind | undefined;
}

/**
 * Which reservoir slot a row's values go to (Algorithm R, seeded): the same decision for every column,
 * so one draw per row serves them all. It is exactly what one ReservoirSampler per column with the same
 * seed would decide, since each such sampler sees one value per row.
 */
class RowReservoir {
  private seen = 0;
  private filled = 0;
  private readonly random: Mulberry32;
  /**
   * The sampled rows: per slot the observed columns' values (null for missing ones). Kept by row, not by
   * column: one store per sampled row instead of one per column at a random place in each column's
   * array (a cache miss and a write barrier each), and columns are needed only once, at the fit.
   */
  readonly rows: unknown[][] = [];

  constructor(
    private readonly size: number,
    seed: number,
  ) {
    this.random = new Mulberry32(seed);
  }

  /** The slot for the next row, or -1 when the row is not sampled. */
  next(): number {
    this.seen += 1;
    if (this.filled < this.size) return this.filled++;
    const slot = this.random.nextInt(this.seen);
    return slot < this.size ? slot : -1;
  }

  /** The values column `index` has in the sampled rows, in slot order. */
  column(index: number): unknown[] {
    const rows = this.rows;
    const values = new Array<unknown>(rows.length);
    for (let slot = 0; slot < rows.length; slot += 1) values[slot] = (rows[slot] as unknown[])[index];
    return values;
  }
}

class ColumnObserver {
  readonly nulls = new NullRunAccumulator();
  readonly moments = new MomentsAccumulator();
  readonly quantiles = new BoundedQuantiles(QUANTILE_EXACT_LIMIT);
  readonly frequencies = new FrequencyCounter(MODE_CAP);
  /** Backward fill: the value that ends each null run, in order. */
  readonly runEnds: unknown[] = [];
  private inRun = false;
  private counting = true;

  constructor(
    readonly spec: ColumnSpec,
    private readonly backward: boolean,
    private readonly reservoir: RowReservoir,
    /** This column's position in the reservoir's rows. */
    private readonly position: number,
  ) {}

  private sampledColumn: unknown[] | undefined;

  /**
   * The column's values in the rows of the shared reservoir sample (null for missing ones); read at the
   * fit, once the sample is final, so gathered from the rows once.
   */
  get sampled(): unknown[] {
    this.sampledColumn ??= this.reservoir.column(this.position);
    return this.sampledColumn;
  }

  private sampleModeFound = false;
  private sampleModeValue: ValueCount | undefined;

  /** modeOf(sampled), counted once: the fit asks for it both to choose a strategy and to fill with it. */
  get sampleMode(): ValueCount | undefined {
    if (!this.sampleModeFound) {
      this.sampleModeValue = modeOf(this.sampled);
      this.sampleModeFound = true;
    }
    return this.sampleModeValue;
  }

  /** After the fit: the sample is no longer needed (backward fill keeps observers for their runEnds). */
  releaseSample(): void {
    this.sampledColumn = undefined;
    this.sampleModeFound = false;
    this.sampleModeValue = undefined;
  }

  /**
   * Column `index` of one row; `missing` is row.missing(index). The value is decoded only when something
   * keeps or counts it: a column whose counter is full and that holds no numbers needs none. `owned`: the
   * row's strings are copies of their own already (decoded from the line's bytes), so keeping one keeps
   * nothing else alive and it needs no copy.
   */
  add(row: RowValues, index: number, missing: boolean, owned: boolean): void {
    this.nulls.add(missing);
    if (missing) {
      this.inRun = true;
      return;
    }
    if (this.backward && this.inRun) this.runEnds.push(owned ? row.value(index) : detachValue(row.value(index)));
    this.inRun = false;
    // Past the cap the counter has no mode to give (the sample's is used), so stop paying for it.
    if (this.counting) {
      this.frequencies.add(row.value(index));
      if (this.frequencies.overflowed) this.counting = false;
    }
    if (this.spec.kind === undefined && !row.isNumber(index)) return; // toNumber would give undefined
    const x = toNumber(row.value(index), this.spec.kind);
    if (x !== undefined) {
      this.moments.add(x);
      this.quantiles.add(x);
    }
  }
}

/** What imputing a column has done so far (counts for the report, fill state). */
interface AppliedColumn {
  filled: number;
  unfilled: number;
  /** Forward fill: the last value present. */
  last: unknown;
  hasLast: boolean;
  /** Backward fill: which null run we are in, and whether in one now. */
  runIndex: number;
  inRun: boolean;
}

interface ActiveColumn {
  spec: ColumnSpec;
  fill: ColumnFill;
  /** Position of the column, and of a `column` fill's source, in the values handed over. */
  index: number;
  source: number;
  state: AppliedColumn;
  /** Backward fill: the values that end each null run. */
  ends: unknown[];
}

/** The number a present (not missing) value stands for in a numeric column, if any. */
function toNumber(value: unknown, kind: NumericKind | undefined): number | undefined {
  const x = columnNumber(value, kind);
  return typeof x === 'number' ? x : undefined;
}

/**
 * FrequencyCounter's mode() of the values present in `values`, counted faster when they are all strings
 * (counts only, no entry per value) or all numbers (sorted, then counted by runs of equal values): the most
 * frequent value, the lowest on ties. The sample of a column past MODE_CAP is mostly distinct values, so
 * this is the costly part of fitting such a column.
 */
export function modeOf(values: readonly unknown[]): ValueCount | undefined {
  let strings = 0;
  let numbers = 0;
  let present = 0;
  for (const value of values) {
    if (isMissingValue(value)) continue;
    present += 1;
    if (typeof value === 'string') strings += 1;
    else if (typeof value === 'number') numbers += 1;
  }
  if (present === 0) return undefined;
  if (strings === present) {
    const counts = new Map<string, number>();
    for (const value of values) if (typeof value === 'string' && !isMissingValue(value)) counts.set(value, (counts.get(value) ?? 0) + 1);
    let best = '';
    let bestCount = 0;
    for (const [value, count] of counts) {
      if (count > bestCount || (count === bestCount && value < best)) {
        best = value;
        bestCount = count;
      }
    }
    return { value: best, count: bestCount };
  }
  if (numbers === present) {
    const sorted = new Float64Array(present);
    let at = 0;
    for (const value of values) if (typeof value === 'number' && !isMissingValue(value)) sorted[at++] = value;
    return countSortedNumbers(sorted.sort(), values, 1).top[0];
  }
  const counter = new FrequencyCounter(Infinity, false);
  for (const value of values) if (!isMissingValue(value)) counter.add(value);
  return counter.mode();
}

/** A fitted number as the column holds it: rounded for integers, text for exact decimals. */
function asColumnNumber(x: number, kind: NumericKind | undefined): unknown {
  if (kind === 'integer') {
    // Past 2^53 a double's text may not be an integer literal (1e+21): write its exact integer value.
    const rounded = Math.round(x);
    return Number.isSafeInteger(rounded) || !Number.isFinite(rounded) ? rounded : BigInt(rounded);
  }
  if (kind === 'decimal_string') return String(x);
  return x;
}

function fitsSchema(value: unknown, property: JsonSchema | undefined): boolean {
  const types = columnTypes(property);
  if (types.length === 0) return true;
  if (value === null) return types.includes('null');
  if (typeof value === 'number') return types.includes('number') || (types.includes('integer') && Number.isInteger(value));
  if (typeof value === 'bigint') return types.includes('number') || types.includes('integer');
  if (typeof value === 'string') return types.includes('string');
  if (typeof value === 'boolean') return types.includes('boolean');
  if (Array.isArray(value)) return types.includes('array');
  return types.includes('object');
}

/** The default constant for a column, shaped to its SCHEMA (a `date` column gets a date). */
function defaultConstant(type: ColumnType, spec: ColumnSpec): unknown {
  if (spec.kind !== undefined) return asColumnNumber(0, spec.kind);
  const value = defaultConstantFor(type);
  if (typeof value === 'string' && spec.property?.format === 'date' && type === 'datetime') return value.slice(0, 10);
  return value;
}

function settingOf(entry: ImputeStrategyName | ColumnImputeSetting | undefined, fallback: ImputeStrategyName): ColumnImputeSetting {
  if (entry === undefined) return { strategy: fallback };
  return typeof entry === 'string' ? { strategy: entry } : entry;
}

export function planImpute(schema: SchemaMessage, options: ImputeOptions, context: PlanContext): StreamPlan<ImputeParams> | undefined {
  const stream = schema.stream;
  const properties = columnsOf(schema);
  const seed = options.seed ?? 0;
  const fallback = options.strategy ?? 'auto';
  const listed = options.columns ?? {};
  // With columns listed, only they are imputed; otherwise every SCHEMA column gets the default strategy.
  const names = Object.keys(listed).length > 0 ? Object.keys(listed).filter((name) => name in properties) : Object.keys(properties);
  const specs: ColumnSpec[] = names.map((name) => {
    const setting = settingOf(listed[name], fallback);
    return { name, strategy: setting.strategy, setting, property: properties[name], kind: numericKind(properties[name]) };
  });
  const fail = (column: string, message: string, hint: string): never => {
    throw new ConfigurationError(message, { stream, column, line: context.line, hint });
  };
  for (const spec of specs) {
    const { strategy, setting } = spec;
    if ((strategy === 'average' || strategy === 'median') && spec.kind === undefined) {
      fail(spec.name, `cannot impute the ${strategy} of a column that is not numeric`, 'Use mode, constant or random for it');
    }
    if (strategy === 'column') {
      const source = setting.source_column;
      if (source === undefined) fail(spec.name, 'strategy column needs source_column', 'Name the column whose value fills the gap');
      else if (!(source in properties)) fail(spec.name, `source_column "${source}" is not in the SCHEMA`, 'Name a column of the same stream');
    }
    if (strategy === 'constant' && setting.value !== undefined && !fitsSchema(setting.value, spec.property)) {
      fail(spec.name, `constant ${JSON.stringify(setting.value)} does not fit the column's type ${JSON.stringify(spec.property?.type ?? null)}`, 'Give a value of the column type');
    }
  }
  if (specs.length === 0 || specs.every((spec) => spec.strategy === 'noop')) return undefined;

  const direction = (spec: ColumnSpec): 'forward' | 'backward' => spec.setting.direction ?? options.direction ?? 'forward';
  const needsFit = specs.some((spec) => ['auto', 'average', 'median', 'mode', 'random'].includes(spec.strategy) || (spec.strategy === 'sequential' && direction(spec) === 'backward'));
  const backfill = specs.some((spec) => (spec.strategy === 'sequential' || spec.strategy === 'auto') && direction(spec) === 'backward');
  const usesAuto = specs.some((spec) => spec.strategy === 'auto');
  // auto's drop_rows and row completeness look at every column of the row, so the fast path reads them all.
  const readColumns = new Set<string>(usesAuto ? Object.keys(properties) : specs.map((spec) => spec.name));
  for (const spec of specs) if (spec.setting.source_column) readColumns.add(spec.setting.source_column);

  const reservoir = new RowReservoir(SAMPLE_SIZE, seed);
  let observers: ColumnObserver[] = specs.map((spec, i) => new ColumnObserver(spec, backfill && direction(spec) === 'backward', reservoir, i));
  let rows = 0;
  let completeRows = 0;
  let params: ImputeParams | undefined;
  /** The columns transform works on; computed from params at the first record. */
  let active: ActiveColumn[] | undefined;

  // Applying: per-column runtime state, one object per column (looked up once, not by name per value).
  const applied = new Map<string, AppliedColumn>(specs.map((spec) => [spec.name, { filled: 0, unfilled: 0, last: undefined, hasLast: false, runIndex: 0, inRun: false }]));
  let droppedRows = 0;
  let random = new Mulberry32(seed);
  /** Position of each column read in the values the runtime hands over (`columns` order). */
  const readList = [...readColumns];
  const position = new Map(readList.map((name, index) => [name, index]));
  const specIndexes = specs.map((spec) => position.get(spec.name) as number);
  /** isMissingValue of each read column in the current row (reused). */
  const missingFlags: boolean[] = readList.map(() => false);

  const staticFill = (spec: ColumnSpec): ColumnFill | undefined => {
    const { strategy, setting } = spec;
    switch (strategy) {
      case 'noop':
        return { strategy: 'none', how: 'noop' };
      case 'drop_row':
        return { strategy: 'drop_row', how: 'rows dropped' };
      case 'column':
        return { strategy: 'column', source: setting.source_column as string, how: `copied from "${setting.source_column}"` };
      case 'sequential':
        return direction(spec) === 'forward' ? { strategy: 'sequential', direction: 'forward', how: 'forward fill' } : undefined;
      case 'constant': {
        const value = setting.value ?? defaultConstant(spec.kind !== undefined ? 'number' : 'category', spec);
        if (!fitsSchema(value, spec.property)) {
          fail(spec.name, `the default constant ${JSON.stringify(value)} does not fit the column's type`, 'Give value for this column');
        }
        return { strategy: 'fill', value, how: `constant ${JSON.stringify(value)}` };
      }
      default:
        return undefined;
    }
  };

  function fitColumn(observer: ColumnObserver, strategy: string, type: ColumnType): ColumnFill {
    const { spec } = observer;
    switch (strategy) {
      case 'none':
        return { strategy: 'none', how: 'nothing to fill' };
      case 'drop_rows':
        return { strategy: 'drop_row', how: 'incomplete rows dropped' };
      case 'average':
      case 'median': {
        const x = strategy === 'average' ? observer.moments.mean : observer.quantiles.median;
        if (!Number.isFinite(x)) return { strategy: 'none', how: `${strategy} (no values to fit)` };
        return { strategy: 'fill', value: asColumnNumber(x, spec.kind), how: strategy };
      }
      case 'mode': {
        const mode = observer.frequencies.mode()?.value ?? modeOfSample(observer);
        if (mode === undefined) return { strategy: 'none', how: 'mode (no values to fit)' };
        return { strategy: 'fill', value: mode, how: 'mode' };
      }
      case 'random': {
        // A seeded subsample of the observed values (not the first ones: on a stream shorter than the
        // reservoir those would all come from its start).
        const pool = reservoirSample(
          observer.sampled.filter((value) => !isMissingValue(value)),
          RANDOM_POOL_SIZE,
          seed,
        );
        if (pool.length === 0) return { strategy: 'none', how: 'random (no values to draw from)' };
        return { strategy: 'random', pool, how: 'random (seeded)' };
      }
      case 'sequential':
        return { strategy: 'sequential', direction: direction(spec), how: `${direction(spec)} fill` };
      case 'constant':
      default: {
        const value = spec.setting.value ?? defaultConstant(type, spec);
        // A default that the SCHEMA would reject (text in a boolean column) is worse than the gap.
        if (!fitsSchema(value, spec.property)) return { strategy: 'none', how: `constant (no default fits type ${JSON.stringify(spec.property?.type ?? null)})` };
        return { strategy: 'fill', value, how: `constant ${JSON.stringify(value)}` };
      }
    }
  }

  function sampleModeRatio(observer: ColumnObserver): number {
    const sampled = observer.sampled;
    const top = observer.sampleMode;
    return top === undefined || sampled.length === 0 ? 0 : top.count / sampled.length;
  }

  function modeOfSample(observer: ColumnObserver): unknown {
    return observer.sampleMode?.value;
  }

  function fitAll(): ImputeParams {
    const columns: Record<string, ColumnFill> = {};
    const autoObservers = observers.filter((observer) => observer.spec.strategy === 'auto');
    let action: ImputeParams['action'] = 'per_column';
    if (autoObservers.length > 0) action = chooseImputationAction({ row_count: rows, complete_row_count: completeRows });
    if (action !== 'per_column') {
      // Nothing to fill, or incomplete rows dropped: no column's type or statistics matter, so the
      // costly part of the fit (type detection, mode estimates on the samples) is skipped.
      const strategy = action === 'nothing' ? 'none' : 'drop_rows';
      for (const observer of autoObservers) {
        const fill = fitColumn(observer, strategy, 'category');
        columns[observer.spec.name] = { ...fill, how: `auto: ${fill.how}` };
      }
    } else if (autoObservers.length > 0) {
      const types: Record<string, ColumnType> = {};
      const facts: Record<string, ImputationColumnFacts> = {};
      for (const observer of autoObservers) {
        const { spec } = observer;
        const type = inferColumnType(spec.name, observer.sampled, { declaredJsonType: columnTypes(spec.property) });
        types[spec.name] = type;
        const mode = observer.frequencies.mode();
        const skew = observer.moments.skew;
        facts[spec.name] = {
          type,
          null_value_rate: observer.nulls.nullRate,
          max_null_seq: observer.nulls.longestRun,
          first_value_null: observer.nulls.firstValueNull,
          // Beyond MODE_CAP distinct values the exact counts are gone: estimate from the seeded sample.
          mode_ratio: rows === 0 ? 0 : mode !== undefined ? mode.count / rows : sampleModeRatio(observer),
          numeric: { skew: Number.isNaN(skew) ? null : skew },
        };
      }
      // The time index: a datetime column with few nulls (over every column of the stream we observed).
      const isTimeseries = autoObservers.some(
        (observer) => types[observer.spec.name] === 'datetime' && observer.nulls.nullRate <= TIMESERIES_MAX_NULL_RATE,
      );
      const plan = chooseImputationStrategies({ row_count: rows, complete_row_count: completeRows, is_timeseries: isTimeseries }, facts);
      action = plan.action;
      for (const observer of autoObservers) {
        const strategy = plan.strategies[observer.spec.name] ?? 'none';
        const fill = fitColumn(observer, strategy, types[observer.spec.name] as ColumnType);
        if (fill.strategy === 'sequential') fill.direction = 'forward';
        columns[observer.spec.name] = { ...fill, how: `auto: ${fill.how}` };
      }
    }
    for (const observer of observers) {
      const { spec } = observer;
      if (spec.strategy === 'auto') continue;
      columns[spec.name] = staticFill(spec) ?? fitColumn(observer, spec.strategy, spec.kind !== undefined ? 'number' : 'category');
    }
    return { action, columns, seed };
  }

  if (!needsFit) params = fitAll();

  /**
   * The columns transform works on, with their fill and state, and the columns it reads (those, and the
   * sources they copy from); from params at the first record. `index` and `source` are positions in
   * `emitList`, the order transformRow reads values in.
   */
  let emitList: string[] = [];
  const activeColumns = (): ActiveColumn[] => {
    if (active !== undefined) return active;
    const fills = specs.map((spec) => (params as ImputeParams).columns[spec.name]);
    const needed = new Set<string>();
    specs.forEach((spec, i) => {
      const fill = fills[i];
      if (fill === undefined || fill.strategy === 'none') return;
      needed.add(spec.name);
      if (fill.strategy === 'column') needed.add(fill.source as string);
    });
    emitList = readList.filter((name) => needed.has(name));
    const at = new Map(emitList.map((name, index) => [name, index]));
    active = specs.flatMap((spec, i) => {
      const fill = fills[i];
      if (fill === undefined || fill.strategy === 'none') return [];
      const ends = fill.strategy === 'sequential' && fill.direction === 'backward' ? (observers.find((observer) => observer.spec.name === spec.name)?.runEnds ?? []) : [];
      return [{ spec, fill, index: at.get(spec.name) as number, source: fill.strategy === 'column' ? (at.get(fill.source as string) as number) : -1, state: applied.get(spec.name) as AppliedColumn, ends }];
    });
    return active;
  };

  const transformRow = (row: RowValues): boolean => {
    // Only the columns with something to do (auto's `nothing` leaves its columns out, not the others).
    for (const column of activeColumns()) {
      const { fill, index, state } = column;
      // Whether it is missing is mostly known from the line's bytes; the value is decoded only when used.
      const missing = row.missing(index);
      if (fill.strategy === 'sequential') {
        if (fill.direction === 'backward') {
          if (!missing) {
            if (state.inRun) state.runIndex += 1;
            state.inRun = false;
            continue;
          }
          state.inRun = true;
          if (state.runIndex < column.ends.length) {
            row.set(index, column.ends[state.runIndex]);
            state.filled += 1;
          } else {
            state.unfilled += 1;
          }
          continue;
        }
        if (!missing) {
          state.last = row.value(index);
          state.hasLast = true;
          continue;
        }
        if (state.hasLast) {
          row.set(index, state.last);
          state.filled += 1;
        } else {
          state.unfilled += 1;
        }
        continue;
      }
      if (!missing) continue;
      switch (fill.strategy) {
        case 'drop_row':
          droppedRows += 1;
          return false;
        case 'fill':
          row.set(index, fill.value);
          break;
        case 'random': {
          const pool = fill.pool as unknown[];
          row.set(index, pool[random.nextInt(pool.length)]);
          break;
        }
        case 'column': {
          if (row.missing(column.source)) {
            state.unfilled += 1;
            continue;
          }
          row.set(index, row.value(column.source));
          break;
        }
        default:
          state.unfilled += 1;
          continue;
      }
      state.filled += 1;
    }
    return true;
  };

  const plan: StreamPlan<ImputeParams> = {
    outputSchema: schema,
    columns: readList,
    emitColumns() {
      activeColumns();
      return emitList;
    },
    transformRow,
    transform(record) {
      const columns = activeColumns();
      const values = emitList.map((name) => record[name]);
      if (!transformRow(new ArrayRow(values))) return null;
      // Set in the order the columns are imputed, so new keys serialize in that order.
      for (const column of columns) {
        const value = values[column.index];
        if (value !== record[column.spec.name]) record[column.spec.name] = value;
      }
      return record;
    },
    report() {
      const fitted = params;
      if (fitted === undefined) return [];
      const lines: string[] = [];
      if (fitted.action === 'nothing') lines.push('auto: every row complete, nothing to impute');
      if (fitted.action === 'drop_rows') lines.push('auto: at least 70% of rows complete, incomplete rows dropped');
      if (droppedRows > 0) lines.push(`${droppedRows.toLocaleString('en-US')} rows dropped`);
      for (const spec of specs) {
        const fill = fitted.columns[spec.name];
        if (fill === undefined || fill.strategy === 'none' || fill.strategy === 'drop_row') continue;
        const state = applied.get(spec.name) as AppliedColumn;
        const left = state.unfilled;
        lines.push(
          `column "${spec.name}": ${state.filled.toLocaleString('en-US')} missing values imputed by ${fill.how}` +
            (left > 0 ? `, ${left.toLocaleString('en-US')} left missing (nothing to fill from)` : ''),
        );
      }
      return lines;
    },
  };

  if (needsFit) {
    /** In the first of two passes (see observeAgain below): rows and complete rows are counted, nothing else. */
    let countingOnly = observers.every((observer) => observer.spec.strategy === 'auto');
    const observeRow = (row: RowValues): void => {
      rows += 1;
      let complete = true;
      for (let i = 0; i < readList.length; i += 1) {
        const missing = row.missing(i);
        missingFlags[i] = missing;
        if (missing) complete = false;
      }
      if (complete) completeRows += 1;
      if (countingOnly) return;
      const slot = reservoir.next();
      const count = observers.length;
      const sampled = slot >= 0 ? new Array<unknown>(count) : undefined;
      for (let i = 0; i < count; i += 1) {
        const index = specIndexes[i] as number;
        const missing = missingFlags[index] as boolean;
        if (sampled !== undefined) sampled[i] = missing ? null : owned ? row.value(index) : detachValue(row.value(index));
        (observers[i] as ColumnObserver).add(row, index, missing, owned);
      }
      if (sampled !== undefined) reservoir.rows[slot] = sampled;
    };
    // The runtime decodes the values of observeRow from the line's bytes (Buffer#toString copies them);
    // a record parsed in full may hold strings that are views of its line.
    let owned = true;
    plan.observeRow = observeRow;
    if (countingOnly) {
      // Every column is auto: a first pass counts complete rows only. When that settles the stream
      // (nothing to fill, or incomplete rows dropped), no column statistic is needed; otherwise the
      // runtime shows the same records again and the second pass gathers them all, as one pass would.
      plan.observeAgain = () => {
        if (!countingOnly) return false;
        countingOnly = false;
        if (chooseImputationAction({ row_count: rows, complete_row_count: completeRows }) !== 'per_column') return false;
        rows = 0;
        completeRows = 0;
        return true;
      };
    }
    plan.observe = (record) => {
      owned = false;
      try {
        observeRow(new ArrayRow(readList.map((name) => record[name])));
      } finally {
        owned = true;
      }
    };
    plan.fit = () => {
      params = fitAll();
      active = undefined;
      // Keep only what backward fill needs; the accumulators and the sample can go.
      if (!backfill) observers = [];
      reservoir.rows.length = 0;
      for (const observer of observers) observer.releaseSample();
      random = new Mulberry32(seed);
      return params;
    };
    // Backward fill needs to see the rows ahead of each gap, which saved parameters cannot replace: a
    // stream using it is fitted on every run.
    if (!backfill) {
      plan.restore = (saved) => {
        params = saved;
        random = new Mulberry32(saved.seed ?? seed);
        for (const spec of specs) {
          if (saved.columns?.[spec.name] === undefined) {
            context.logger.warn(`column "${spec.name}" has no saved imputation; it is left as is (set refit: true to fit it)`, { stream });
          }
        }
      };
    }
  }
  return plan;
}

export const imputeStage: StageDefinition<ImputeOptions, ImputeParams> = {
  name: 'transform-impute',
  planStream: planImpute,
};

export const imputeProgram = stageProgram({
  stage: imputeStage,
  version: '0.1.0',
  description: 'Impute missing values per column (average, median, mode, constant, random, sequential, column, drop_row, auto), fitted per stream and kept in STATE',
  configSchema: imputeConfigSchema,
});
