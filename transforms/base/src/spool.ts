/**
 * A first-in first-out queue of input lines, as bytes, that lives in memory while small and on disk once
 * it grows, so a stage can hold back an unbounded stream (while its statistics are fitted) in bounded
 * memory. Nothing is decoded or encoded on the way in or out.
 *
 * Two parts. The data is the lines' bytes exactly as they came, newlines included: consecutive lines of
 * one input buffer are kept (and written) as one run, a reference to that buffer, never copied line by
 * line. The index has a few int32s per entry: a tag, the line number, the line's length and size (with
 * its newline), and optionally some numbers (where a scan found the line's values, so that the replay
 * need not scan it again). Both go to their own file under `spill_dir` once the data passes the memory
 * limit; the files are read back once, in order, and removed.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes of data held in memory before the queue moves to files. */
export const SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024;
/** Int32s per index slab, and bytes per read from the data file. */
const INDEX_SLAB = 256 * 1024;
const READ_SIZE = 1024 * 1024;
/** tag, line, length, size, count of numbers. */
const HEADER = 5;
/** Runs handed to one writev call (below every system's IOV_MAX). */
const WRITEV_MAX = 512;

/**
 * One entry as `drain` hands it over: the line is at [start, end) of `bytes` and its newline ends at
 * `next`; its numbers are `index[numbersAt .. numbersAt + numbers)`. Valid until the next entry.
 */
export interface SpoolEntry {
  tag: number;
  line: number;
  bytes: Buffer;
  start: number;
  end: number;
  next: number;
  index: Int32Array;
  numbers: number;
  numbersAt: number;
}

interface SpoolFile {
  path: string;
  fd: number;
}

export class Spool {
  /** Data runs not yet written to the file, and the run being extended. */
  private runs: Buffer[] = [];
  private run: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;
  private heldBytes = 0;
  /** Index slabs not yet written, and the one being filled. */
  private indexSlabs: Int32Array[] = [];
  private index = new Int32Array(INDEX_SLAB);
  private indexUsed = 0;
  private dir: string | undefined;
  private data: SpoolFile | undefined;
  private indexFile: SpoolFile | undefined;
  private count = 0;
  private consumed = false;

  constructor(
    private readonly spillDir: string | undefined,
    private readonly memoryLimit = SPOOL_MEMORY_LIMIT,
  ) {}

  get length(): number {
    return this.count;
  }

  /**
   * Queue the line [start, end) of `bytes`, whose newline (if any) ends at `next`, with a tag (any int32),
   * the line number, and `count` int32s from `numbers` at `numbersAt`.
   */
  append(tag: number, line: number, bytes: Buffer, start: number, end: number, next: number, numbers?: Int32Array, numbersAt = 0, count = 0): void {
    if (this.consumed) throw new Error('transform-base: spool appended after it was read');
    if (this.indexUsed + HEADER + count > this.index.length) this.nextIndexSlab(HEADER + count);
    const index = this.index;
    let at = this.indexUsed;
    index[at] = tag;
    index[at + 1] = line;
    index[at + 2] = end - start;
    index[at + 3] = next - start;
    index[at + 4] = count;
    at += HEADER;
    for (let k = 0; k < count; k += 1) index[at++] = (numbers as Int32Array)[numbersAt + k] as number;
    this.indexUsed = at;
    if (bytes === this.run && start === this.runEnd) this.runEnd = next;
    else {
      this.closeRun();
      this.run = bytes;
      this.runStart = start;
      this.runEnd = next;
    }
    this.count += 1;
  }

  private closeRun(): void {
    if (this.run === undefined) return;
    this.runs.push(this.run.subarray(this.runStart, this.runEnd));
    this.heldBytes += this.runEnd - this.runStart;
    this.run = undefined;
    if (this.data !== undefined || this.heldBytes >= this.memoryLimit) this.flushToFiles();
  }

  private nextIndexSlab(size: number): void {
    this.indexSlabs.push(this.index.subarray(0, this.indexUsed));
    this.index = new Int32Array(Math.max(INDEX_SLAB, size));
    this.indexUsed = 0;
  }

  private open(name: string): SpoolFile {
    if (this.dir === undefined) {
      this.dir = mkdtempSync(join(this.spillDir ?? tmpdir(), 'tapline-spool-'));
      track(this.dir);
    }
    const path = join(this.dir, name);
    return { path, fd: openSync(path, 'w') };
  }

  /** Write the held data runs and full index slabs to the files. */
  private flushToFiles(): void {
    this.data ??= this.open('data.bin');
    this.indexFile ??= this.open('index.bin');
    for (let k = 0; k < this.runs.length; k += WRITEV_MAX) writeAll(this.data.fd, this.runs.slice(k, k + WRITEV_MAX));
    for (const slab of this.indexSlabs) writeSync(this.indexFile.fd, slab);
    this.runs = [];
    this.indexSlabs = [];
    this.heldBytes = 0;
  }

  /**
   * Every entry queued so far, in order (the same object, refilled), leaving the queue as it was: for a
   * plan that looks at what it holds once more before it is drained. More may be appended afterwards.
   */
  *reread(): Generator<SpoolEntry> {
    if (this.consumed) throw new Error('transform-base: spool reread after it was drained');
    this.closeRun();
    const current = this.index.subarray(0, this.indexUsed);
    if (this.data === undefined) {
      yield* entries([...this.indexSlabs, current].values(), this.runs.slice().values());
      return;
    }
    this.flushToFiles();
    // The files hold every data run and the full index slabs; the slab being filled is still in memory.
    yield* entries(chain(readIndex((this.indexFile as SpoolFile).path), current), readData(this.data.path));
  }

  /** Every entry in order (the same object, refilled), then the files are removed. Read once only. */
  *drain(): Generator<SpoolEntry> {
    this.consumed = true;
    try {
      this.closeRun();
      if (this.indexUsed > 0) this.nextIndexSlab(0);
      if (this.data === undefined) {
        yield* entries(this.indexSlabs.values(), this.runs.values());
        return;
      }
      this.flushToFiles();
      const data = this.data;
      const indexFile = this.indexFile as SpoolFile;
      closeSync(data.fd);
      closeSync(indexFile.fd);
      this.data = undefined;
      this.indexFile = undefined;
      // Read synchronously: the files were just written (they are in the page cache), and the caller has
      // nothing else to do meanwhile, so a read is a copy rather than a trip through the thread pool.
      yield* entries(readIndex(indexFile.path), readData(data.path));
    } finally {
      this.dispose();
    }
  }

  /** Remove the files, if any. Safe to call twice. */
  dispose(): void {
    for (const file of [this.data, this.indexFile]) if (file !== undefined) closeSync(file.fd);
    this.data = undefined;
    this.indexFile = undefined;
    if (this.dir !== undefined) {
      rmSync(this.dir, { recursive: true, force: true });
      liveDirs.delete(this.dir);
      this.dir = undefined;
    }
    this.runs = [];
    this.indexSlabs = [];
  }
}

/**
 * Spool folders not removed yet. A program stopped by a signal (or failing) exits without unwinding the
 * stage that holds its spool, so they are also removed when the process exits; only SIGKILL leaves one.
 */
const liveDirs = new Set<string>();
let exitHook = false;

function track(dir: string): void {
  liveDirs.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const live of liveDirs) {
      try {
        rmSync(live, { recursive: true, force: true });
      } catch {
        // Exiting anyway: nothing more to do about a folder that cannot be removed.
      }
    }
  });
}

/** The slabs of `first`, then `last`. */
function* chain(first: Iterable<Int32Array>, last: Int32Array): Generator<Int32Array> {
  yield* first;
  yield last;
}

/** writev until every byte of `buffers` is written (a write may take fewer). */
function writeAll(fd: number, buffers: Buffer[]): void {
  let pending = buffers;
  while (pending.length > 0) {
    let written = writevSync(fd, pending);
    let k = 0;
    while (k < pending.length && written >= (pending[k] as Buffer).length) written -= (pending[k++] as Buffer).length;
    pending = pending.slice(k);
    if (written > 0) pending[0] = (pending[0] as Buffer).subarray(written);
  }
}

/**
 * Walk the index entries and the data side by side. Data pieces are whole runs (in memory) or file
 * reads; an entry's bytes never straddle two pieces (readData keeps an unfinished entry for the next).
 */
function* entries(index: Iterator<Int32Array>, data: Iterator<Buffer, void, DataRequest>): Generator<SpoolEntry> {
  const entry: SpoolEntry = { tag: 0, line: 0, bytes: Buffer.alloc(0), start: 0, end: 0, next: 0, index: new Int32Array(0), numbers: 0, numbersAt: 0 };
  let piece: Buffer = Buffer.alloc(0);
  let position = 0;
  for (let slab = index.next(); !slab.done; slab = index.next()) {
    const ints = slab.value;
    entry.index = ints;
    for (let at = 0; at < ints.length; ) {
      const size = ints[at + 3] as number;
      while (position + size > piece.length) {
        // `size` bytes are wanted: the rest of this piece (carried to the start of the next) and what follows.
        const next = data.next({ carry: piece.subarray(position), size });
        if (next.done) throw new Error('transform-base: the spool data ends before its index');
        piece = next.value;
        position = 0;
      }
      entry.tag = ints[at] as number;
      entry.line = ints[at + 1] as number;
      entry.bytes = piece;
      entry.start = position;
      entry.end = position + (ints[at + 2] as number);
      entry.next = position + size;
      entry.numbers = ints[at + 4] as number;
      entry.numbersAt = at + HEADER;
      yield entry;
      position += size;
      at += HEADER + entry.numbers;
    }
  }
}

/** The index file as slabs of whole entries. */
function* readIndex(path: string): Generator<Int32Array> {
  const fd = openSync(path, 'r');
  try {
    let carry = new Int32Array(0);
    for (;;) {
      const buffer = Buffer.allocUnsafeSlow(INDEX_SLAB * 4);
      new Int32Array(buffer.buffer, buffer.byteOffset, carry.length).set(carry);
      const size = readSync(fd, buffer, carry.length * 4, buffer.length - carry.length * 4, null);
      if (size === 0 && carry.length === 0) return;
      if (size === 0) throw new Error('transform-base: the spool index ends inside an entry');
      const ints = new Int32Array(buffer.buffer, buffer.byteOffset, (carry.length * 4 + size) / 4);
      // Up to the last whole entry; the rest is carried into the next read.
      let whole = 0;
      while (whole + HEADER <= ints.length && whole + HEADER + (ints[whole + 4] as number) <= ints.length) whole += HEADER + (ints[whole + 4] as number);
      carry = ints.slice(whole);
      yield ints.subarray(0, whole);
    }
  } finally {
    closeSync(fd);
  }
}

/** What `entries` asks the data for: a piece that starts with `carry` and holds at least `size` bytes. */
interface DataRequest {
  carry: Buffer;
  size: number;
}

/**
 * The data file in pieces. Each piece starts with the unfinished entry the consumer carries over from the
 * last (copied once, not the whole piece again) and holds at least the size asked for.
 */
function* readData(path: string): Generator<Buffer, void, DataRequest> {
  const fd = openSync(path, 'r');
  try {
    let request: DataRequest = { carry: Buffer.alloc(0), size: 0 };
    for (;;) {
      const buffer = Buffer.allocUnsafeSlow(Math.max(READ_SIZE, request.size));
      let filled = request.carry.copy(buffer, 0);
      const carried = filled;
      // Fill at least `size` bytes (one read usually fills the whole buffer).
      do {
        const size = readSync(fd, buffer, filled, buffer.length - filled, null);
        if (size === 0) break;
        filled += size;
      } while (filled < request.size);
      if (filled === carried) return;
      request = yield buffer.subarray(0, filled);
    }
  } finally {
    closeSync(fd);
  }
}
