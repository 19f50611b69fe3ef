/**
 * The profile of one stream. Two tiers, so memory stays bounded whatever the stream's length:
 *
 * - A seeded reservoir sample of `sampleSize` rows. While the stream has no more rows than that, the
 *   sample IS the stream and the report is transform-core's exact computation over every row.
 * - Per-column streaming accumulators over every row (see ColumnAccumulator). Beyond `sampleSize` rows
 *   the report takes the column types and the type-dependent statistics from the sample, and every
 *   figure the accumulators know exactly (or by a sketch with a known error) from them. `estimated`
 *   lists what came from the sample or a sketch.
 */
import {
  NUMERIC_TYPES,
  QuantileSketch,
  computeDatasetStatistics,
  inferColumnType,
  isMissingValue,
  numericValuesOf,
  parseDateLike,
  Mulberry32,
  computeColumnStatistics,
  stripQuotes,
  BOX_PLOT_WHISKER_IQR,
  GOOD_QUALITY_VALIDITY,
  OUTLIER_Z_SCORE,
  datasetFigures,
  VALUE_COUNT_LIMIT,
  type ColumnStatistics,
  type ColumnType,
  type DatasetStatistics,
} from '@tapline/transform-core';
import { RecordCodec, parseExact, schemaTypes, type JsonSchema } from '@tapline/protocol';
import { decodeBytes } from '@tapline/transform-base';
import { ColumnAccumulator, QUANTILE_SKETCH_K } from './column-accumulator.js';
import { DistinctSketch, RowHasher } from './distinct-sketch.js';
import { LineSample } from './line-sample.js';
import { ABSENT, FALSE, NULL, NUMBER, RecordLineReader, STRING, STRUCTURED, TRUE } from './record-line-reader.js';

export interface ProfilerOptions {
  sampleSize: number;
  seed: number;
  /** Distinct values counted exactly per column before the distinct sketch takes over. */
  trackedValues: number;
}

export interface Histogram {
  /** Bin edges, one more than counts; numbers, or epoch milliseconds for datetimes. */
  edges: number[];
  counts: number[];
}

export interface ProfiledColumn extends ColumnStatistics {
  histogram?: Histogram;
  /** Statistics of this column that are estimates rather than exact counts over every row. */
  estimated: string[];
}

export interface StreamProfile {
  stream: string;
  /** True when every figure was computed over every row. */
  exact: boolean;
  /** Rows in the sample that type detection and the sample-based statistics used. */
  sample_rows: number;
  seed: number;
  error_bounds: {
    /** Normalised rank error of quantiles (median, quartiles) at 99% confidence, when estimated. */
    quantile_rank_error: number;
    /** Relative standard error of distinct and duplicate counts, when estimated. */
    distinct_relative_error: number;
  };
  key_properties: string[];
  dataset: Omit<DatasetStatistics, 'columns'> & { estimated: string[] };
  columns: Record<string, ProfiledColumn>;
}

// The reader's value kinds as module-local constants: an imported binding costs a load and a check per
// use in the per-value loops.
const KIND_ABSENT = ABSENT;
const KIND_NULL = NULL;
const KIND_STRING = STRING;
const KIND_NUMBER = NUMBER;
const KIND_TRUE = TRUE;
const KIND_FALSE = FALSE;
const KIND_STRUCTURED = STRUCTURED;

const HISTOGRAM_BINS = 20;
const EMPTY_RECORD = {};

export class StreamProfiler {
  private readonly columns = new Map<string, ColumnAccumulator>();
  /** Column names in order: the SCHEMA's properties first, then as first seen in records. */
  private readonly order: string[] = [];
  private readonly declared = new Map<string, string[]>();
  /** The sampled RECORD lines (see LineSample). */
  private readonly sample: LineSample;
  private readonly rowHashes = new DistinctSketch();
  private readonly rowHasher = new RowHasher();
  /**
   * The last record's keys in order with their columns: records of a stream share one shape, so a key
   * matching its place there (a pointer comparison, keys from JSON.parse being interned) saves the map
   * lookup per value.
   */
  private readonly shapeNames: string[] = [];
  private readonly shapeColumns: ColumnAccumulator[] = [];
  /**
   * The RecordCodec of the stream's last SCHEMA, when it compiled: it locates each property's value in a
   * RECORD line's bytes, which the columns then read without the line being parsed. `codecColumns[i]` is
   * the column of the codec's property i; `otherColumns` are the columns a scanned record cannot have
   * (seen in earlier records but not in the SCHEMA), missing from every such record.
   */
  private codec: RecordCodec | undefined;
  /** Reads the lines in the usual shape in one pass, before the codec is asked (see record-line-reader.ts); dropped when most lines are not. */
  private reader: RecordLineReader | undefined;
  private codecColumns: ColumnAccumulator[] = [];
  private otherColumns: ColumnAccumulator[] = [];
  private keyProperties: string[] = [];
  private rows = 0;
  private completeRows = 0;

  constructor(
    readonly stream: string,
    private readonly options: ProfilerOptions,
  ) {
    this.sample = new LineSample(options.sampleSize, new Mulberry32(options.seed));
  }

  get rowCount(): number {
    return this.rows;
  }

  addSchema(schema: JsonSchema, keyProperties: string[]): void {
    this.keyProperties = keyProperties;
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      this.declared.set(name, schemaTypes(property));
      this.columnFor(name, this.rows);
    }
    this.codec = RecordCodec.compile(this.stream, schema, false);
    this.reader = this.codec === undefined ? undefined : new RecordLineReader(this.codec, this.stream);
    this.bindCodec();
  }

  private bindCodec(): void {
    const properties = this.codec?.properties ?? [];
    this.codecColumns = properties.map((name) => this.columns.get(name) as ColumnAccumulator);
    this.otherColumns = [...this.columns.values()].filter((column) => !this.codecColumns.includes(column));
  }

  /** `precedingNulls`: rows already seen without this column (it was missing from them). */
  private columnFor(name: string, precedingNulls: number): ColumnAccumulator {
    let column = this.columns.get(name);
    if (column === undefined) {
      column = new ColumnAccumulator(name, this.options.trackedValues, this.options.seed, precedingNulls);
      this.columns.set(name, column);
      this.order.push(name);
      if (this.codec !== undefined) this.otherColumns.push(column);
    }
    return column;
  }

  /**
   * Profile the RECORD line at [start, end) of `bytes` from the values' bytes, when the stream's SCHEMA
   * compiled to a codec and the line is read (the reader) or scans (the codec). Returns false otherwise:
   * the caller then parses the line (which also gives the usual error for a bad one) and calls addRecord.
   */
  addRecordLine(bytes: Buffer, start: number, end: number): boolean {
    let reader = this.reader;
    if (reader !== undefined && !reader.read(bytes, start, end)) {
      // A stream written in another shape (spaced, escaped...): the codec alone reads it.
      if (reader.misses > 64 && reader.misses > reader.hits) this.reader = undefined;
      reader = undefined;
    }
    let base = -1;
    if (reader === undefined) {
      if (this.codec === undefined) return false;
      base = this.codec.scan(bytes, start, end);
      if (base < 0) return false;
    }
    this.addLineValues(reader, base, bytes, start, end);
    return true;
  }

  /**
   * The values of a line read from its bytes, each to the column of its codec property: already read by
   * the reader when it read the line, else read by the columns from the codec's spans at `base`.
   */
  private addLineValues(reader: RecordLineReader | undefined, base: number, bytes: Buffer, start: number, end: number): void {
    const columns = this.codecColumns;
    const spans = (this.codec as RecordCodec).spans;
    const hasher = this.rowHasher;
    hasher.reset();
    this.rows += 1;
    let complete = true;
    for (let i = 0; i < columns.length; i += 1) {
      const column = columns[i] as ColumnAccumulator;
      let missing: boolean;
      if (reader === undefined) {
        const at = spans[base + 2 * i] as number;
        missing = at < 0 ? column.add(undefined) : column.addSpan(bytes, at, spans[base + 2 * i + 1] as number);
      } else {
        switch (reader.kinds[i]) {
          case KIND_STRING:
            missing = column.addPlainString(bytes, reader.starts[i] as number, reader.ends[i] as number, reader.values[i] as number);
            break;
          case KIND_NUMBER: {
            const x = reader.values[i] as number;
            missing = x > Number.MAX_SAFE_INTEGER || x < -Number.MAX_SAFE_INTEGER ? column.addLargeNumber(bytes, reader.starts[i] as number, reader.ends[i] as number, x) : column.addJsonNumber(x);
            break;
          }
          case KIND_STRUCTURED:
            missing = column.addStructured(reader.values[i] as number);
            break;
          case KIND_TRUE:
            missing = column.addBoolean(true);
            break;
          case KIND_FALSE:
            missing = column.addBoolean(false);
            break;
          default: // absent or null
            missing = column.addNull();
        }
      }
      if (missing) complete = false;
      else hasher.add(column.rowSalt, column.lastHash);
    }
    // The columns only other SCHEMAs of the stream had get nothing.
    for (const column of this.otherColumns) {
      column.add(undefined);
      complete = false;
    }
    this.endRow(complete, bytes, start, end);
  }

  addRecord(record: Record<string, unknown>, raw: string): void {
    this.rows += 1;
    let seen = 0;
    let complete = true;
    const hasher = this.rowHasher;
    hasher.reset();
    const shapeNames = this.shapeNames;
    for (const name in record) {
      let column: ColumnAccumulator;
      if (shapeNames[seen] === name) {
        column = this.shapeColumns[seen] as ColumnAccumulator;
      } else {
        column = this.columns.get(name) ?? this.columnFor(name, this.rows - 1);
        shapeNames[seen] = name;
        this.shapeColumns[seen] = column;
      }
      if (column.add(record[name])) complete = false;
      else hasher.add(column.rowSalt, column.lastHash);
      seen += 1;
    }
    if (seen !== this.columns.size) {
      // Some known columns are absent from this record: they are missing here.
      for (const [name, column] of this.columns) {
        if (!(name in record)) {
          column.add(undefined);
          complete = false;
        }
      }
    }
    const bytes = Buffer.from(raw);
    this.endRow(complete, bytes, 0, bytes.length);
  }

  private endRow(complete: boolean, bytes: Buffer, start: number, end: number): void {
    if (complete) this.completeRows += 1;
    this.rowHashes.add(this.rowHasher.value);
    this.sample.offer(this.rows, bytes, start, end);
  }

  get exact(): boolean {
    return this.rows <= this.options.sampleSize;
  }

  /**
   * The report, once the stream has ended. Call it once: the sampled lines' bytes are let go once they are
   * decoded, so that the report's computations do not hold them too.
   */
  profile(): StreamProfile {
    if (this.sample.released) throw new Error(`transform-profile: the profile of stream "${this.stream}" was already made`);
    const sampleRows = this.sample.length;
    const sampleColumns = this.sampleColumns();
    this.sample.release();
    const exact = this.exact;
    const columnTypes: Record<string, ColumnType> = {};
    for (const name of this.order) {
      const values = sampleColumns[name] as unknown[];
      const declaredJsonType = this.declared.get(name);
      columnTypes[name] = inferColumnType(name, values, declaredJsonType === undefined ? {} : { declaredJsonType });
    }
    // Beyond the sample the dataset figures come from the accumulators: only the columns need the sample.
    const statistics = exact ? computeDatasetStatistics(sampleColumns, { columnTypes }) : undefined;
    const columns: Record<string, ProfiledColumn> = {};
    for (const name of this.order) {
      const base = statistics
        ? (statistics.columns[name] as ColumnStatistics)
        : computeColumnStatistics(name, sampleColumns[name] as unknown[], columnTypes[name] as ColumnType);
      const values = sampleColumns[name] as unknown[];
      const accumulator = this.columns.get(name) as ColumnAccumulator;
      columns[name] = exact ? { ...base, ...exactExtras(base, values) } : this.streamedColumn(base, values, accumulator);
    }
    let dataset: StreamProfile['dataset'];
    if (statistics) {
      const { columns: _columns, ...figures } = statistics;
      dataset = { ...figures, estimated: [] };
    } else {
      dataset = this.streamedDataset(columns, columnTypes);
    }
    return {
      stream: this.stream,
      exact,
      sample_rows: sampleRows,
      seed: this.options.seed,
      error_bounds: {
        quantile_rank_error: exact ? 0 : QuantileSketch.rankErrorBound(QUANTILE_SKETCH_K, 'all'),
        distinct_relative_error: exact ? 0 : DistinctSketch.relativeStandardError(),
      },
      key_properties: this.keyProperties,
      dataset,
      columns,
    };
  }

  /**
   * The sampled records' values by column; the records themselves are not kept (the columns are what is
   * computed on). A line the stream's codec scans is read value by value from its bytes (as addRecordLine
   * reads it), without an object per record; any other is parsed.
   */
  private sampleColumns(): Record<string, unknown[]> {
    const order = this.order;
    const columns = order.map((): unknown[] => []);
    const codec = this.codec;
    const reader = codec === undefined ? undefined : new RecordLineReader(codec, this.stream);
    const properties = Int32Array.from(order, (name) => codec?.indexOf(name) ?? -1);
    // What a parsed record gives for a key it does not have: undefined, but for the names of
    // Object.prototype's members, which the values used to come from.
    const absent = order.map((name) => (EMPTY_RECORD as Record<string, unknown>)[name]);
    this.sample.forEach((bytes, start, end) => {
      if (reader?.read(bytes, start, end)) {
        const { kinds, starts, ends, values } = reader;
        for (let c = 0; c < order.length; c += 1) {
          const property = properties[c] as number;
          let value: unknown;
          switch (property < 0 ? KIND_ABSENT : kinds[property]) {
            case KIND_STRING:
              value = bytes.toString('latin1', starts[property], ends[property]);
              break;
            case KIND_NUMBER: {
              // An integer beyond 2^53 exactly, as parseExact reads it on the other paths.
              const x = values[property] as number;
              value = x > Number.MAX_SAFE_INTEGER || x < -Number.MAX_SAFE_INTEGER ? decodeBytes(bytes, starts[property] as number, ends[property] as number) : x;
              break;
            }
            case KIND_STRUCTURED:
              value = parseExact(bytes.toString('latin1', starts[property], ends[property]));
              break;
            case KIND_TRUE:
              value = true;
              break;
            case KIND_FALSE:
              value = false;
              break;
            case KIND_NULL:
              value = null;
              break;
            default:
              value = absent[c];
          }
          (columns[c] as unknown[]).push(value);
        }
        return;
      }
      const base = codec === undefined ? -1 : codec.scan(bytes, start, end);
      if (base >= 0) {
        const spans = (codec as RecordCodec).spans;
        for (let c = 0; c < order.length; c += 1) {
          const property = properties[c] as number;
          const at = property < 0 ? -1 : (spans[base + 2 * property] as number);
          (columns[c] as unknown[]).push(at < 0 ? absent[c] : decodeBytes(bytes, at, spans[base + 2 * property + 1] as number));
        }
      } else {
        const { record } = parseExact(bytes.toString('utf8', start, end)) as { record: Record<string, unknown> };
        for (let c = 0; c < order.length; c += 1) (columns[c] as unknown[]).push(record[order[c] as string]);
      }
    });
    return Object.fromEntries(order.map((name, index) => [name, columns[index] as unknown[]]));
  }

  /** Beyond the sample: exact figures from the accumulators over the sample's type-dependent ones. */
  private streamedColumn(base: ColumnStatistics, values: readonly unknown[], accumulator: ColumnAccumulator): ProfiledColumn {
    const rowCount = this.rows;
    const scale = rowCount / Math.max(1, values.length);
    const estimated: string[] = [];
    const nullCount = accumulator.nulls.nullCount;
    const count = rowCount - nullCount;
    const column: ProfiledColumn = { ...base, estimated };
    column.row_count = rowCount;
    column.count = count;
    column.null_value_count = nullCount;
    column.null_value_rate = rate(nullCount, rowCount);
    column.max_null_seq = accumulator.nulls.longestRun;
    column.first_value_null = accumulator.nulls.firstValueNull;
    if (accumulator.frequenciesExact) {
      const frequencies = accumulator.frequencies;
      column.count_distinct = frequencies.distinctCount;
      column.value_counts = frequencies.top(VALUE_COUNT_LIMIT);
      const mode = frequencies.mode();
      column.mode = mode === undefined ? null : mode.value;
      column.mode_ratio = mode === undefined ? 0 : rate(mode.count, rowCount);
    } else {
      // An estimate, but never more distinct values than values present (a unique column's rate stays 1).
      column.count_distinct = Math.min(accumulator.distinct?.estimate ?? base.count_distinct, rowCount - nullCount);
      column.value_counts = base.value_counts.map(({ value, count: sampled }) => ({ value, count: Math.round(sampled * scale) }));
      estimated.push('count_distinct', 'unique_value_rate', 'value_counts', 'mode', 'mode_ratio');
    }
    column.unique_value_rate = rate(column.count_distinct, rowCount);
    column.invalid_value_count = Math.round(base.invalid_value_rate * rowCount);
    column.invalid_value_rate = base.invalid_value_rate;
    if (base.invalid_value_count > 0) estimated.push('invalid_value_count', 'invalid_value_rate', 'validity');
    column.completeness = 1 - column.null_value_rate;
    column.validity = column.completeness - column.invalid_value_rate;
    column.quality = column.validity >= GOOD_QUALITY_VALIDITY ? 'Good' : 'Bad';

    if (column.numeric !== undefined && accumulator.numericComplete) {
      const { moments, extent, quantiles } = accumulator;
      const min = extent.min as number;
      const max = extent.max as number;
      const std = moments.count < 2 ? null : moments.sampleStd;
      const skew = moments.skew;
      const q1 = quantiles.quantile(0.25);
      const median = quantiles.quantile(0.5);
      const q3 = quantiles.quantile(0.75);
      const reach = BOX_PLOT_WHISKER_IQR * (q3 - q1);
      // Whiskers: the exact extreme when it is inside the fences, else the sample's most extreme value
      // inside them (the sample's numbers are only read then).
      let insideLow = q1;
      let insideHigh = q3;
      if (min < q1 - reach || max > q3 + reach) {
        for (const x of numericValuesOf(values)) {
          if (x === null) continue;
          if (x >= q1 - reach && x < insideLow) insideLow = x;
          if (x <= q3 + reach && x > insideHigh) insideHigh = x;
        }
      }
      let outlierCount = 0;
      if (std !== null && std > 0) {
        const low = moments.mean - OUTLIER_Z_SCORE * std;
        const high = moments.mean + OUTLIER_Z_SCORE * std;
        outlierCount = Math.round(((low > min ? quantiles.rank(low) : 0) + (high < max ? 1 - quantiles.rank(high) : 0)) * moments.count);
      }
      column.numeric = {
        ...column.numeric,
        average: moments.mean,
        min,
        max,
        sum: moments.sum,
        std,
        skew: Number.isNaN(skew) ? null : skew,
        median,
        outlier_count: outlierCount,
        outlier_ratio: rate(outlierCount, rowCount),
        box_plot_data: {
          ...column.numeric.box_plot_data,
          first_quartile: q1,
          median,
          third_quartile: q3,
          min: min >= q1 - reach ? min : insideLow,
          max: max <= q3 + reach ? max : insideHigh,
        },
      };
      column.histogram = histogramFromSketch(quantiles, min, max);
      estimated.push('numeric.median', 'numeric.box_plot_data', 'numeric.outlier_count', 'numeric.outlier_ratio', 'numeric.outliers', 'histogram');
    } else if (column.numeric !== undefined) {
      const numbers = numericValuesOf(values).filter((x): x is number => x !== null);
      column.numeric = { ...column.numeric, sum: column.numeric.sum * scale, outlier_count: Math.round(column.numeric.outlier_count * scale) };
      column.histogram = histogramOf(numbers);
      estimated.push('numeric', 'histogram');
    } else if (column.datetime !== undefined) {
      column.histogram = datetimeHistogram(values);
      estimated.push('datetime', 'histogram');
    }
    if (column.text !== undefined) estimated.push('text');
    if (column.email !== undefined) estimated.push('email');
    if (column.list !== undefined) estimated.push('list');
    estimated.push('type');
    return column;
  }

  private streamedDataset(columns: Record<string, ProfiledColumn>, columnTypes: Record<string, ColumnType>): StreamProfile['dataset'] {
    const duplicates = this.rows - Math.min(this.rows, this.rowHashes.estimate);
    const figures = datasetFigures(this.order, columns, columnTypes, this.rows, duplicates, this.completeRows);
    const estimated = ['duplicate_row_count', 'duplicate_row_rate', 'column_types'];
    if (figures.total_invalid_value_count > 0) estimated.push('total_invalid_value_count', 'total_invalid_value_rate', 'validity');
    return { ...figures, estimated };
  }
}

/** In the exact tier: the chart data, from every value. */
function exactExtras(base: ColumnStatistics, values: readonly unknown[]): { histogram?: Histogram; estimated: string[] } {
  if (NUMERIC_TYPES.has(base.type)) {
    const present = values.filter((value) => !isMissingValue(value));
    return { histogram: histogramOf(numericValuesOf(present).filter((x): x is number => x !== null)), estimated: [] };
  }
  if (base.type === 'datetime') return { histogram: datetimeHistogram(values), estimated: [] };
  return { estimated: [] };
}

function rate(count: number, total: number): number {
  return total === 0 ? 0 : count / total;
}

function binEdges(min: number, max: number, bins: number): number[] {
  if (!(max > min)) return [min, min === max ? min + 1 : min];
  // A span beyond the largest double (values near ±1.8e308) is taken in halves.
  if (!Number.isFinite((max - min) * bins)) return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : 2 * (min / 2 + ((max / 2 - min / 2) / bins) * i)));
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + ((max - min) * i) / bins));
}

/** Where `x` falls in [min, max] as a share of the span, even when the span is beyond the largest double. */
function spanShare(x: number, min: number, max: number): number {
  const span = max - min;
  const offset = x - min;
  return Number.isFinite(span) && Number.isFinite(offset) ? offset / span : (x / 2 - min / 2) / (max / 2 - min / 2);
}

/** Equal-width bins over the values; one bin for a constant column. */
export function histogramOf(numbers: readonly number[]): Histogram | undefined {
  if (numbers.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const x of numbers) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const bins = max > min ? HISTOGRAM_BINS : 1;
  const edges = binEdges(min, max, bins);
  const counts = new Array<number>(bins).fill(0);
  for (const x of numbers) {
    const index = max > min ? Math.min(bins - 1, Math.floor(spanShare(x, min, max) * bins)) : 0;
    counts[index] = (counts[index] as number) + 1;
  }
  return { edges, counts };
}

/** The same bins, with counts estimated from the sketch's ranks (each within the sketch's rank error). */
function histogramFromSketch(sketch: QuantileSketch, min: number, max: number): Histogram {
  const bins = max > min ? HISTOGRAM_BINS : 1;
  const edges = binEdges(min, max, bins);
  const counts: number[] = [];
  let below = 0;
  for (let i = 1; i <= bins; i += 1) {
    const upTo = i === bins ? 1 : sketch.rank(edges[i] as number);
    counts.push(Math.max(0, Math.round((upTo - below) * sketch.count)));
    below = upTo;
  }
  return { edges, counts };
}

function datetimeHistogram(values: readonly unknown[]): Histogram | undefined {
  const instants: number[] = [];
  // Dates repeat (a day column has a few hundred distinct values in 100,000 rows): each is read once.
  const read = new Map<string, number | null>();
  for (const value of values) {
    if (typeof value !== 'string') continue;
    let instant = read.get(value);
    if (instant === undefined) {
      instant = parseDateLike(stripQuotes(value));
      read.set(value, instant);
    }
    if (instant !== null) instants.push(instant);
  }
  return histogramOf(instants);
}
