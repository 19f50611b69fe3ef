/**
 * A first-in first-out queue of input lines, as bytes, that lives in memory while small and on disk once
 * it grows, so a stage can hold back an unbounded stream (while its statistics are fitted) in bounded
 * memory. Each entry is the line's bytes as they came, behind a 16-byte header (a tag, the line number,
 * the length, how many numbers follow) and optionally some numbers (where a scan found the line's
 * values, so the replay need not scan it again): nothing is decoded or encoded on the way in or out. Entries are appended synchronously (a
 * copy into a slab; a local file write per megabyte) and read back once, in order, after which the file
 * is removed.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes held in memory before the queue moves to a file. */
export const SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024;
/** Size of the slabs entries are copied into, and of the reads from the file. */
const SLAB = 1024 * 1024;
const HEADER = 16;

/**
 * One entry as `drain` hands it over: the line is at [start, end) of `bytes`, its `numbers` int32s at
 * `numbersAt` (little-endian). Valid until the next entry.
 */
export interface SpoolEntry {
  tag: number;
  line: number;
  bytes: Buffer;
  start: number;
  end: number;
  numbers: number;
  numbersAt: number;
}

export class Spool {
  /** Full slabs not yet written to the file (all of them while in memory). */
  private slabs: Buffer[] = [];
  private heldBytes = 0;
  private slab = Buffer.allocUnsafe(SLAB);
  private used = 0;
  private fd: number | undefined;
  private dir: string | undefined;
  private path: string | undefined;
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
   * Queue the bytes [start, end) of `bytes` with a tag (any int32), the line number, and `count` int32s
   * (little-endian) found at `numbersAt` of `numbers`.
   */
  append(tag: number, line: number, bytes: Buffer, start: number, end: number, numbers?: Buffer, numbersAt = 0, count = 0): void {
    if (this.consumed) throw new Error('transform-base: spool appended after it was read');
    const size = HEADER + 4 * count + end - start;
    if (this.used + size > this.slab.length) this.nextSlab(size);
    const slab = this.slab;
    let at = this.used;
    slab.writeInt32LE(tag, at);
    slab.writeInt32LE(line, at + 4);
    slab.writeInt32LE(end - start, at + 8);
    slab.writeInt32LE(count, at + 12);
    at += HEADER;
    if (count > 0) at += (numbers as Buffer).copy(slab, at, numbersAt, numbersAt + 4 * count);
    if (end - start < 64) for (let k = start; k < end; k += 1) slab[at++] = bytes[k] as number;
    else at += bytes.copy(slab, at, start, end);
    this.used = at;
    this.count += 1;
  }

  /** Put the current slab aside (to memory or the file) and start one with room for `size` bytes. */
  private nextSlab(size: number): void {
    if (this.used > 0) {
      this.slabs.push(this.slab.subarray(0, this.used));
      this.heldBytes += this.used;
    }
    if (this.fd !== undefined || this.heldBytes >= this.memoryLimit) this.flushToFile();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB, size));
    this.used = 0;
  }

  private flushToFile(): void {
    if (this.fd === undefined) {
      this.dir = mkdtempSync(join(this.spillDir ?? tmpdir(), 'tapline-spool-'));
      this.path = join(this.dir, 'spool.bin');
      this.fd = openSync(this.path, 'w');
    }
    for (const slab of this.slabs) writeSync(this.fd, slab);
    this.slabs = [];
    this.heldBytes = 0;
  }

  /** Every entry in order (the same object, refilled), then the file is removed. Read once only. */
  *drain(): Generator<SpoolEntry> {
    this.consumed = true;
    const entry: SpoolEntry = { tag: 0, line: 0, bytes: this.slab, start: 0, end: 0, numbers: 0, numbersAt: 0 };
    try {
      if (this.used > 0) this.slabs.push(this.slab.subarray(0, this.used));
      this.used = 0;
      if (this.fd !== undefined) {
        this.flushToFile();
        closeSync(this.fd);
        this.fd = undefined;
        yield* this.readFile(entry);
      } else {
        const slabs = this.slabs;
        this.slabs = [];
        for (const slab of slabs) yield* entriesOf(slab, slab.length, entry);
      }
    } finally {
      this.dispose();
    }
  }

  /**
   * The file's entries, read synchronously: it was just written (it is in the page cache), and the caller
   * has nothing else to do meanwhile, so a read is a copy rather than a trip through the thread pool.
   */
  private *readFile(entry: SpoolEntry): Generator<SpoolEntry> {
    const fd = openSync(this.path as string, 'r');
    try {
      let buffer = Buffer.allocUnsafe(SLAB);
      let filled = 0;
      for (;;) {
        const size = readSync(fd, buffer, filled, buffer.length - filled, null);
        if (size === 0) break;
        filled += size;
        const used = yield* entriesOf(buffer, filled, entry);
        // Keep the unfinished entry; grow the buffer when one entry is larger than it.
        const rest = filled - used;
        const needed = rest >= HEADER ? HEADER + buffer.readInt32LE(used + 8) + 4 * buffer.readInt32LE(used + 12) : HEADER;
        const next = needed > buffer.length ? Buffer.allocUnsafe(needed) : Buffer.allocUnsafe(buffer.length);
        buffer.copy(next, 0, used, filled);
        buffer = next;
        filled = rest;
      }
      if (filled > 0) throw new Error('transform-base: the spool file ends inside an entry');
    } finally {
      closeSync(fd);
    }
  }

  /** Remove the file, if any. Safe to call twice. */
  dispose(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    if (this.dir !== undefined) {
      rmSync(this.dir, { recursive: true, force: true });
      this.dir = undefined;
    }
    this.slabs = [];
  }
}

/** The whole entries in bytes [0, filled), each yielded in `entry`; returns where the first unfinished one starts. */
function* entriesOf(bytes: Buffer, filled: number, entry: SpoolEntry): Generator<SpoolEntry, number> {
  let at = 0;
  while (at + HEADER <= filled) {
    const length = bytes.readInt32LE(at + 8);
    const numbers = bytes.readInt32LE(at + 12);
    if (at + HEADER + 4 * numbers + length > filled) break;
    entry.tag = bytes.readInt32LE(at);
    entry.line = bytes.readInt32LE(at + 4);
    entry.bytes = bytes;
    entry.numbers = numbers;
    entry.numbersAt = at + HEADER;
    entry.start = at + HEADER + 4 * numbers;
    entry.end = entry.start + length;
    yield entry;
    at = entry.end;
  }
  return at;
}
