/**
 * A batch kept as COPY text from the moment each record arrives. A scanned line is encoded right after
 * the record codec has located its values, while its bytes are still in cache, and then nothing of it is
 * kept: no object per record, no input buffer held until the batch commits. Per record there remain its
 * COPY row and a few numbers (line, sequence, key, metadata) in typed arrays.
 *
 * The metadata columns (`_sdc_*`) are only known when the batch loads: their readers come with the load.
 * Their values are usually the same row after row (the table version, no deletion), so each row is written
 * with the values the previous load gave (`MetadataGuess`); the load checks every row against its readers
 * and sends the rows as they are when the guess held, or rebuilds them with the right values when not.
 */
import { decodeSpan, type RecordCodec, type ScannedRecord } from '@tapline/protocol';
import type { PendingBatch, PendingRecord } from '@tapline/target-base';
import { keyText, type BatchLoad, type ColumnType, type LoadColumn } from '@tapline/target-sql-base';
import { BACKSLASH, ENCODERS, NEWLINE, TAB, copyBytes, copyModeOf, copyScanned, viewOf, type CopyMode, type Encoder } from './postgres-copy.js';

/** The property columns a sink's batches are encoded for, and the key properties of an upsert. */
export interface CopyLayout {
  columns: { name: string; property: string; type: ColumnType }[];
  /** Key properties when the last record per key must win (an upsert); empty otherwise. */
  keys: string[];
}

const CHUNK_BYTES = 1 << 18;
const NO_VERSION = Number.NaN;
/** At most this many spare buffers (16 MiB) wait for reuse. */
const MAX_SPARE = 64;

/**
 * Buffers of CHUNK_BYTES whose load committed, so that no COPY still reads them: reused for later
 * batches rather than allocated again (fresh memory costs page faults and garbage collections).
 */
const spare: Buffer[] = [];

function newChunk(bytes: number): Buffer {
  if (bytes <= CHUNK_BYTES) return spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
  return Buffer.allocUnsafe(bytes);
}

function recycle(buffers: Buffer[]): void {
  for (const buffer of buffers) if (buffer.length === CHUNK_BYTES && spare.length < MAX_SPARE) spare.push(buffer);
}

/** The metadata values every row of a sink's last load had, written after each row of the next batches. */
export interface MetadataGuess {
  columns: LoadColumn[];
  values: unknown[];
  /** Their COPY text, each after a tab (but the first when the rows have no other column), and its view. */
  suffix: Buffer;
  view: DataView;
}

/**
 * What a sink's batches pass on to the next: the metadata guess (replaced by each load, given up for good
 * once it was wrong), and the row arrays of a batch whose load committed.
 */
export class BatchHistory {
  guess: MetadataGuess | undefined;
  private wrong = false;
  spareRows: RowTable | undefined;

  learn(guess: MetadataGuess): void {
    if (!this.wrong) this.guess = guess;
  }

  giveUp(): void {
    this.wrong = true;
    this.guess = undefined;
  }
}

const ROW_ARRAYS = ['lines', 'sequences', 'receivedAts', 'versions', 'keys', 'chunks', 'starts', 'ends', 'extracted'] as const;

/** The numbers kept per row, in typed arrays that grow as needed. */
class RowTable {
  lines: Float64Array;
  sequences: Float64Array;
  receivedAts: Float64Array;
  /** The table version, NaN for none. */
  versions: Float64Array;
  /** The key, while every key is a number. */
  keys: Float64Array;
  /** Where the row is: buffer, first byte, one past its newline. */
  chunks: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  /** Index of the row's time_extracted among the batch's distinct ones. */
  extracted: Int32Array;

  constructor(readonly capacity: number) {
    this.lines = new Float64Array(capacity);
    this.sequences = new Float64Array(capacity);
    this.receivedAts = new Float64Array(capacity);
    this.versions = new Float64Array(capacity);
    this.keys = new Float64Array(capacity);
    this.chunks = new Int32Array(capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.extracted = new Int32Array(capacity);
  }

  /** A table twice as large, holding the first `rows` rows of this one. */
  grown(rows: number): RowTable {
    const bigger = new RowTable(this.capacity * 2);
    for (const name of ROW_ARRAYS) (bigger[name] as Float64Array | Int32Array).set(this[name].subarray(0, rows));
    return bigger;
  }
}

function sameColumns(a: LoadColumn[], b: LoadColumn[]): boolean {
  return a.length === b.length && a.every((column, i) => column.name === b[i]!.name && column.type.kind === b[i]!.type.kind);
}
/** What the metadata readers see as the record of a scanned line: its properties are columns of their own. */
const SCANNED_RECORD: Record<string, unknown> = Object.freeze(Object.create(null) as Record<string, unknown>);

/**
 * One stream's pending records as COPY rows. It stands in `RecordBatch.records` as a single entry, which
 * target-sql-base hands through to `PostgresDialect.load` untouched (its version tells the sink whether
 * versions are in use); the rows are deduplicated here, as latestPerKey would.
 */
export class CopyBatch implements PendingBatch, PendingRecord {
  readonly record = SCANNED_RECORD;
  readonly timeExtracted = undefined;
  private readonly count: number;
  private readonly modes: CopyMode[];
  private readonly encoders: Encoder[];
  private readonly properties: string[];
  /** For the codec last seen: where each column's property is in its spans, and each key's. */
  private boundCodec: RecordCodec | undefined;
  private indexes = new Int32Array(0);
  private keyIndexes = new Int32Array(0);

  /** The rows: buffer `buffers[table.chunks[i]]`, bytes [table.starts[i], table.ends[i]), each ending in a newline. */
  private readonly buffers: Buffer[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private view = viewOf(this.buffer);
  private used = 0;
  /** The input buffer read last, and its view. */
  private source: Buffer | undefined;
  private sourceView = this.view;
  private rowStart = 0;
  private rows = 0;
  private table: RowTable;
  /** The distinct time_extracted values, and the last one seen. */
  private readonly extractedAts: (string | undefined)[] = [];
  private lastExtracted = -1;
  /** The records that were parsed rather than scanned, for the metadata readers (`_sdc_deleted_at`). */
  private readonly parsed = new Map<number, Record<string, unknown>>();
  /** A value that could not be encoded, thrown when its row is sent (if it still is then). */
  private readonly failures = new Map<number, unknown>();

  /** Keys as latestPerKey's set compares them, once one is not a number (until then: `table.keys`). */
  private keyValues: unknown[] | undefined;
  /** Whether the single key only went up so far (no key can repeat): what latestPerKey checks first. */
  private increasing = true;
  private lastKey: unknown;

  /** The guess written after each row (taken at the first row), and its length. */
  private guess: MetadataGuess | undefined;
  private suffixLength = 0;
  /** Buffers written while loading, given back with the batch's own once the load committed. */
  private readonly sent: Buffer[] = [];

  constructor(
    private readonly layout: CopyLayout,
    private readonly history = new BatchHistory(),
  ) {
    this.table = history.spareRows ?? new RowTable(1024);
    history.spareRows = undefined;
    this.count = layout.columns.length;
    this.modes = layout.columns.map((column) => copyModeOf(column.type.kind));
    this.encoders = layout.columns.map((column) => ENCODERS[column.type.kind]);
    this.properties = layout.columns.map((column) => column.property);
  }

  get length(): number {
    return this.rows;
  }

  /** What the sink checks before a load: whether any record carries a table version. */
  get version(): number | undefined {
    const versions = this.table.versions;
    for (let row = 0; row < this.rows; row += 1) if (!Number.isNaN(versions[row])) return versions[row];
    return undefined;
  }

  get line(): number {
    return this.table.lines[0] as number;
  }

  get sequence(): number {
    return this.table.sequences[0] as number;
  }

  get receivedAt(): number {
    return this.table.receivedAts[0] as number;
  }

  lineAt(index: number): number {
    return this.table.lines[index] as number;
  }

  sequenceAt(index: number): number {
    return this.table.sequences[index] as number;
  }

  records(): PendingRecord[] {
    return [this];
  }

  addScanned(codec: RecordCodec, base: number, bytes: Buffer, start: number, end: number, receivedAt: number, line: number, sequence: number): void {
    this.addSpans(codec, codec.spans, base, bytes, start, end, codec.version, codec.timeExtracted, receivedAt, line, sequence);
  }

  /** A record scanned by `codec`: its values at `spans[base...]`, its line at [start, end) of `bytes`. */
  addSpans(
    codec: RecordCodec,
    spans: Int32Array,
    base: number,
    bytes: Buffer,
    start: number,
    end: number,
    version: number | undefined,
    extractedAt: string | undefined,
    receivedAt: number,
    line: number,
    sequence: number,
  ): void {
    if (codec !== this.boundCodec) this.bind(codec);
    const row = this.beginRow(line, sequence, receivedAt, version, extractedAt);
    // A copied value takes at most twice its bytes (escapes), a missing one `\N`, and each a separator.
    const room = 2 * (end - start) + 3 * this.count + this.suffixLength + 1;
    this.reserve(room);
    const indexes = this.indexes;
    if (bytes !== this.source) {
      this.source = bytes;
      this.sourceView = viewOf(bytes);
    }
    const from = this.sourceView;
    let target = this.buffer;
    let to = this.view;
    let at = this.used;
    for (let column = 0; column < this.count; column += 1) {
      if (column > 0) target[at++] = TAB;
      const index = indexes[column] as number;
      const valueStart = index < 0 ? -1 : (spans[base + 2 * index] as number);
      if (valueStart < 0) {
        target[at++] = BACKSLASH;
        target[at++] = 78; // N
        continue;
      }
      const valueEnd = spans[base + 2 * index + 1] as number;
      const next = copyScanned(this.modes[column] as CopyMode, bytes, from, valueStart, valueEnd, target, to, at);
      if (next >= 0) {
        at = next;
      } else {
        this.used = at;
        this.writeValue(row, column, decodeSpan(bytes, valueStart, valueEnd), room);
        target = this.buffer;
        to = this.view;
        at = this.used;
      }
    }
    this.used = at;
    this.endRow(row);
    const keys = this.keyIndexes;
    if (keys.length === 1) {
      const index = keys[0] as number;
      this.noteKey(row, decodeSpan(bytes, spans[base + 2 * index] as number, spans[base + 2 * index + 1] as number));
    } else if (keys.length > 1) {
      this.noteKeys(row, Array.from(keys, (index) => decodeSpan(bytes, spans[base + 2 * index] as number, spans[base + 2 * index + 1] as number)));
    }
  }

  add(pending: PendingRecord): void {
    const row = this.beginRow(pending.line, pending.sequence, pending.receivedAt, pending.version, pending.timeExtracted);
    const record = pending.record;
    this.parsed.set(row, record);
    const room = 3 * this.count + this.suffixLength + 1;
    this.reserve(room);
    for (let column = 0; column < this.count; column += 1) {
      if (column > 0) this.buffer[this.used++] = TAB;
      this.writeValue(row, column, record[this.properties[column] as string], room);
    }
    this.endRow(row);
    const keys = this.layout.keys;
    if (keys.length === 1) this.noteKey(row, record[keys[0] as string]);
    else if (keys.length > 1) this.noteKeys(row, keys.map((key) => record[key]));
  }

  truncate(length: number): void {
    if (length >= this.rows) return;
    this.rows = length;
    // Later rows start in a fresh chunk: the bytes after this row may have been handed to a COPY already.
    this.buffer = Buffer.alloc(0);
    this.view = viewOf(this.buffer);
    this.used = 0;
    this.rowStart = 0;
    for (const map of [this.parsed, this.failures]) for (const row of map.keys()) if (row >= length) map.delete(row);
    if (this.keyValues !== undefined) this.keyValues.length = length;
    this.lastKey = length === 0 ? undefined : this.keyAt(length - 1);
  }

  append(later: PendingBatch): void {
    const other = later as CopyBatch;
    const first = this.rows;
    for (let row = 0; row < other.rows; row += 1) {
      const chunk = other.buffers[other.table.chunks[row] as number] as Buffer;
      const start = other.table.starts[row] as number;
      // Its values, without the other batch's guess.
      const end = (other.table.ends[row] as number) - 1 - other.suffixLength;
      const at = this.beginRow(other.table.lines[row] as number, other.table.sequences[row] as number, other.table.receivedAts[row] as number, undefined, other.extractedAt(row));
      this.table.versions[at] = other.table.versions[row] as number;
      this.reserve(end - start + this.suffixLength + 1);
      this.used += chunk.copy(this.buffer, this.used, start, end);
      this.endRow(at);
      const record = other.parsed.get(row);
      if (record !== undefined) this.parsed.set(at, record);
      if (other.failures.has(row)) this.failures.set(at, other.failures.get(row));
    }
    if (this.layout.keys.length === 0) return;
    const increasing = this.increasing && other.increasing;
    for (let row = 0; row < other.rows; row += 1) this.storeKey(first + row, other.keyAt(row));
    const joined = first === 0 || other.rows === 0 || (typeof other.keyAt(0) === typeof this.keyAt(first - 1) && (other.keyAt(0) as number) > (this.keyAt(first - 1) as number));
    this.increasing = increasing && joined;
    this.lastKey = this.rows === 0 ? undefined : this.keyAt(this.rows - 1);
  }

  /**
   * The COPY text of a load of this batch: its rows (the last per key for an upsert), each followed by the
   * load's metadata columns, computed by their readers from what was kept of the record.
   */
  copyRows(load: BatchLoad): CopyRows {
    const metadata = load.columns.filter((column) => column.property === undefined);
    const matches =
      load.columns.length - metadata.length === this.count &&
      this.layout.columns.every((column, index) => {
        const loaded = load.columns[index];
        return loaded !== undefined && loaded.name === column.name && loaded.property === column.property && loaded.type.kind === column.type.kind;
      });
    // The table was changed behind the run since these rows were encoded: load them into the columns they were encoded for.
    const columns = matches
      ? load.columns
      : [...this.layout.columns.map(({ name, property, type }): LoadColumn => ({ name, property, type, read: () => undefined })), ...metadata];
    const keep = load.mode === 'upsert' ? this.latestPerKey() : undefined;
    return new CopyRows(this, columns, metadata, keep);
  }

  /** Row indexes sent, in order; undefined when all are. */
  private latestPerKey(): Int32Array | undefined {
    if (this.layout.keys.length === 0 || (this.layout.keys.length === 1 && this.increasing)) return undefined;
    const seen = new Set<unknown>();
    const keep: number[] = [];
    for (let row = this.rows - 1; row >= 0; row -= 1) {
      const key = this.keyAt(row);
      if (seen.has(key)) continue;
      seen.add(key);
      keep.push(row);
    }
    return keep.length === this.rows ? undefined : Int32Array.from(keep.reverse());
  }

  /**
   * The rows (all, or `keep`) with the metadata columns' values: as written when every row has the guessed
   * values (or none are loaded and none were guessed), else rebuilt.
   */
  *chunks(metadata: LoadColumn[], keep: Int32Array | undefined): Generator<Buffer> {
    const values = new MetadataValues(metadata);
    if (metadata.length > 0 && this.rows > 0) this.learn(metadata, values.of(this, keep === undefined ? 0 : (keep[0] as number)));
    if (keep === undefined && this.failures.size === 0 && this.guessHolds(metadata, values)) {
      yield* this.runs();
      return;
    }
    const out = new ChunkWriter(this.sent);
    const encoded = metadata.map(() => ({ value: undefined as unknown, bytes: undefined as Buffer | undefined }));
    const total = keep === undefined ? this.rows : keep.length;
    for (let sent = 0; sent < total; sent += 1) {
      const row = keep === undefined ? sent : (keep[sent] as number);
      if (this.failures.has(row)) throw this.failures.get(row);
      const chunk = this.buffers[this.table.chunks[row] as number] as Buffer;
      // The row's own values, without its newline and the guess.
      out.copy(chunk, this.table.starts[row] as number, (this.table.ends[row] as number) - 1 - this.suffixLength);
      const rowValues = metadata.length === 0 ? [] : values.of(this, row);
      for (let i = 0; i < rowValues.length; i += 1) {
        if (i > 0 || this.count > 0) out.byte(TAB);
        // Metadata columns repeat their value row after row (the version, the batch time): encode once.
        const cache = encoded[i]!;
        const value = rowValues[i];
        if (value !== cache.value || cache.bytes === undefined) {
          cache.value = value;
          cache.bytes = Buffer.from(value === null || value === undefined ? '\\N' : ENCODERS[metadata[i]!.type.kind](value));
        }
        out.copy(cache.bytes, 0, cache.bytes.length);
      }
      out.byte(NEWLINE);
      if (out.full.length > 0) {
        yield* out.full;
        out.full.length = 0;
      }
    }
    out.finish();
    yield* out.full;
  }

  /** Whether every row was written with the values `metadata` gives it (rows written without a guess: none are loaded). */
  private guessHolds(metadata: LoadColumn[], values: MetadataValues): boolean {
    const guess = this.guess;
    if (guess === undefined || metadata.length === 0) return guess === undefined && metadata.length === 0;
    if (!sameColumns(guess.columns, metadata)) return false;
    for (let row = 0; row < this.rows; row += 1) {
      const actual = values.of(this, row);
      for (let i = 0; i < actual.length; i += 1) {
        if (actual[i] !== guess.values[i]) {
          this.history.giveUp();
          return false;
        }
      }
    }
    return true;
  }

  /** The next batches guess the values of this load's first row. */
  private learn(metadata: LoadColumn[], values: unknown[]): void {
    const parts: Buffer[] = [];
    values.forEach((value, i) => {
      if (i > 0 || this.count > 0) parts.push(Buffer.of(TAB));
      parts.push(Buffer.from(value === null || value === undefined ? '\\N' : ENCODERS[metadata[i]!.type.kind](value)));
    });
    const suffix = Buffer.concat(parts);
    this.history.learn({ columns: metadata, values: [...values], suffix, view: viewOf(suffix) });
  }

  /** The metadata readers' view of row `row`: what was kept of its record. */
  fillProbe(probe: PendingRecord, row: number): void {
    probe.record = this.parsed.size === 0 ? SCANNED_RECORD : (this.parsed.get(row) ?? SCANNED_RECORD);
    const version = this.table.versions[row] as number;
    probe.version = Number.isNaN(version) ? undefined : version;
    probe.timeExtracted = this.extractedAt(row);
    probe.receivedAt = this.table.receivedAts[row] as number;
    probe.line = this.table.lines[row] as number;
    probe.sequence = this.table.sequences[row] as number;
  }

  /** Its buffers and arrays can be reused: the load that sent them committed, and the batch is done with. */
  release(): void {
    recycle(this.buffers);
    recycle(this.sent);
    this.buffers.length = 0;
    this.sent.length = 0;
    this.history.spareRows = this.table;
  }

  private extractedAt(row: number): string | undefined {
    return this.extractedAts[this.table.extracted[row] as number];
  }

  /** Every row as encoded: runs of rows that lie one after the other in a chunk go out as one slice. */
  private *runs(): Generator<Buffer> {
    let chunk = -1;
    let start = 0;
    let end = 0;
    for (let row = 0; row < this.rows; row += 1) {
      const rowChunk = this.table.chunks[row] as number;
      if (rowChunk === chunk && this.table.starts[row] === end) {
        end = this.table.ends[row] as number;
        continue;
      }
      if (chunk >= 0) yield (this.buffers[chunk] as Buffer).subarray(start, end);
      chunk = rowChunk;
      start = this.table.starts[row] as number;
      end = this.table.ends[row] as number;
    }
    if (chunk >= 0) yield (this.buffers[chunk] as Buffer).subarray(start, end);
  }

  private bind(codec: RecordCodec): void {
    this.boundCodec = codec;
    this.indexes = Int32Array.from(this.properties, (property) => codec.indexOf(property));
    this.keyIndexes = Int32Array.from(this.layout.keys, (key) => codec.indexOf(key));
  }

  private beginRow(line: number, sequence: number, receivedAt: number, version: number | undefined, extractedAt: string | undefined): number {
    const row = this.rows;
    if (row === this.table.capacity) this.table = this.table.grown(row);
    const table = this.table;
    table.lines[row] = line;
    table.sequences[row] = sequence;
    table.receivedAts[row] = receivedAt;
    table.versions[row] = version ?? NO_VERSION;
    if (this.lastExtracted < 0 || this.extractedAts[this.lastExtracted] !== extractedAt) {
      this.lastExtracted = this.extractedAts.indexOf(extractedAt);
      if (this.lastExtracted < 0) this.lastExtracted = this.extractedAts.push(extractedAt) - 1;
    }
    table.extracted[row] = this.lastExtracted;
    this.rowStart = this.used;
    if (row === 0 && this.buffers.length === 0) {
      this.guess = this.history.guess;
      this.suffixLength = this.guess?.suffix.length ?? 0;
    }
    return row;
  }

  /** Close the row being written: the guessed metadata values, a newline. */
  private endRow(row: number): void {
    const guess = this.guess;
    if (guess !== undefined) this.used = copyBytes(guess.suffix, guess.view, 0, guess.suffix.length, this.buffer, this.view, this.used);
    this.buffer[this.used++] = NEWLINE;
    const table = this.table;
    table.chunks[row] = this.buffers.length - 1;
    table.starts[row] = this.rowStart;
    table.ends[row] = this.used;
    this.rows = row + 1;
  }

  /** Room for `bytes` more bytes of the row being written, which moves to a new chunk if need be. */
  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    const written = this.used - this.rowStart;
    const next = newChunk(written + bytes);
    this.buffer.copy(next, 0, this.rowStart, this.used);
    this.buffers.push(next);
    this.buffer = next;
    this.view = viewOf(next);
    this.rowStart = 0;
    this.used = written;
  }

  /** A decoded value's COPY text, with `room` to spare after it; a value that cannot be encoded fails its row when sent. */
  private writeValue(row: number, column: number, value: unknown, room: number): void {
    let text = '\\N';
    if (value !== null && value !== undefined) {
      try {
        text = this.encoders[column]!(value);
      } catch (error) {
        if (!this.failures.has(row)) this.failures.set(row, error);
      }
    }
    this.reserve(3 * text.length + room);
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  private noteKey(row: number, value: unknown): void {
    if (this.increasing) {
      const previous = this.lastKey;
      const kind = typeof value;
      this.increasing = (kind === 'number' || kind === 'string') && (row === 0 || (kind === typeof previous && (value as number) > (previous as number)));
    }
    this.lastKey = value;
    this.storeKey(row, typeof value === 'number' || typeof value === 'string' ? value : keyText(value));
  }

  private noteKeys(row: number, values: unknown[]): void {
    this.increasing = false;
    this.storeKey(row, values.map(keyText).join('\u0000'));
  }

  private storeKey(row: number, key: unknown): void {
    if (this.keyValues === undefined) {
      if (typeof key === 'number') {
        this.table.keys[row] = key;
        return;
      }
      this.keyValues = Array.from(this.table.keys.subarray(0, row));
    }
    this.keyValues[row] = key;
  }

  private keyAt(row: number): unknown {
    return this.keyValues === undefined ? this.table.keys[row] : this.keyValues[row];
  }
}

/** The COPY of one load: the columns it names and the rows it sends. */
export class CopyRows {
  constructor(
    private readonly batch: CopyBatch,
    readonly columns: LoadColumn[],
    private readonly metadata: LoadColumn[],
    private readonly keep: Int32Array | undefined,
  ) {}

  /** How many rows the COPY sends. */
  get count(): number {
    return this.keep === undefined ? this.batch.length : this.keep.length;
  }

  /** The input line of the COPY's row `row` (1-based, as PostgreSQL numbers them). */
  lineOf(row: number): number | undefined {
    if (row < 1 || row > this.count) return undefined;
    return this.batch.lineAt(this.keep === undefined ? row - 1 : (this.keep[row - 1] as number));
  }

  /** The COPY text, in buffers of about 256 KiB; a fresh iteration each call (a load may COPY twice). */
  chunks(): Iterable<Buffer> {
    return this.batch.chunks(this.metadata, this.keep);
  }
}

/** Bytes of COPY text in buffers that stay untouched until the load commits (each is noted in `taken`). */
class ChunkWriter {
  buffer: Buffer;
  used = 0;
  readonly full: Buffer[] = [];

  constructor(private readonly taken: Buffer[]) {
    this.buffer = this.take(CHUNK_BYTES);
  }

  private take(bytes: number): Buffer {
    const buffer = newChunk(bytes);
    this.taken.push(buffer);
    return buffer;
  }

  finish(): void {
    if (this.used > 0) this.full.push(this.buffer.subarray(0, this.used));
    this.buffer = this.take(CHUNK_BYTES);
    this.used = 0;
  }

  byte(value: number): void {
    if (this.used === this.buffer.length) this.finish();
    this.buffer[this.used++] = value;
  }

  /** Bytes [start, end) of `source`, copied as they are. */
  copy(source: Buffer, start: number, end: number): void {
    const length = end - start;
    if (this.used + length > this.buffer.length) {
      this.finish();
      if (length > this.buffer.length) this.buffer = this.take(length);
    }
    const target = this.buffer;
    let at = this.used;
    if (length < 48) {
      for (let i = start; i < end; i += 1) target[at++] = source[i] as number;
    } else {
      at += source.copy(target, at, start, end);
    }
    this.used = at;
  }
}

/** Each metadata column's value for a row, from the load's readers. */
class MetadataValues {
  private readonly probe: PendingRecord = { record: SCANNED_RECORD, version: undefined, timeExtracted: undefined, receivedAt: 0, line: 0, sequence: 0 };
  private readonly reads: LoadColumn['read'][];
  private readonly values: unknown[];

  constructor(metadata: LoadColumn[]) {
    this.reads = metadata.map((column) => column.read);
    this.values = metadata.map(() => undefined);
  }

  /** The values of `row` (in an array reused by the next call). */
  of(batch: CopyBatch, row: number): unknown[] {
    batch.fillProbe(this.probe, row);
    for (let i = 0; i < this.reads.length; i += 1) this.values[i] = this.reads[i]!(this.probe);
    return this.values;
  }
}

/** The rows of a load as COPY text: a CopyBatch's own, or plain records encoded into one now. */
export function copyRowsOf(load: BatchLoad): CopyRows {
  const first = load.rows[0];
  if (load.rows.length === 1 && first instanceof CopyBatch) return first.copyRows(load);
  const columns = load.columns.filter((column) => column.property !== undefined).map(({ name, property, type }) => ({ name, property: property as string, type }));
  // Plain records arrive one per key already (target-sql-base's latestPerKey).
  const batch = new CopyBatch({ columns, keys: [] });
  for (const row of load.rows) {
    const scanned = row.scanned;
    if (scanned !== undefined && row.codec !== undefined && isLine(scanned)) {
      const { spans, base, bytes, start, end, version, timeExtracted } = scanned;
      batch.addSpans(row.codec, spans, base, bytes, start, end, version, timeExtracted, row.receivedAt, row.line, row.sequence);
    } else {
      batch.add(row);
    }
  }
  return batch.copyRows({ ...load, mode: 'append' });
}

function isLine(scanned: ScannedRecord): scanned is ScannedRecord & { start: number; end: number } {
  return 'start' in scanned && 'end' in scanned;
}

/** The COPY text of `rows` as one string, for tests. */
export function copyText(columns: LoadColumn[], rows: PendingRecord[]): string {
  const load: BatchLoad = { stream: 's', table: { schema: 's', table: 't' }, columns, keys: [], rows, mode: 'append', keysUnique: false, truncateFirst: false };
  return Buffer.concat([...copyRowsOf(load).chunks()]).toString('utf8');
}
