/**
 * A first-in first-out queue of lines that lives in memory while small and on disk once it grows, so a
 * stage can hold back an unbounded stream (while its statistics are fitted) in bounded memory. Lines are
 * appended synchronously (the intake loop stays simple and a local file write is cheap next to JSON
 * parsing) and read back once, in order, after which the file is removed.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** Characters held in memory before the queue moves to a file. */
export const SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024;
/** Characters buffered between two writes to the file. */
const WRITE_CHUNK = 1024 * 1024;
/** Bytes read back at a time. */
const READ_CHUNK = 1024 * 1024;

export class Spool {
  private lines: string[] = [];
  private bufferedSize = 0;
  private fd: number | undefined;
  private dir: string | undefined;
  private path: string | undefined;
  private count = 0;
  private consumed = false;
  /** Lines ever written to disk, for the report. */
  spilledLines = 0;

  constructor(
    private readonly spillDir: string | undefined,
    private readonly memoryLimit = SPOOL_MEMORY_LIMIT,
  ) {}

  get length(): number {
    return this.count;
  }

  append(line: string): void {
    if (this.consumed) throw new Error('transform-base: spool appended after it was read');
    this.lines.push(line);
    this.bufferedSize += line.length + 1;
    this.count += 1;
    if (this.fd !== undefined ? this.bufferedSize >= WRITE_CHUNK : this.bufferedSize >= this.memoryLimit) this.flushToFile();
  }

  private flushToFile(): void {
    if (this.fd === undefined) {
      this.dir = mkdtempSync(join(this.spillDir ?? tmpdir(), 'tapline-spool-'));
      this.path = join(this.dir, 'spool.jsonl');
      this.fd = openSync(this.path, 'w');
    }
    if (this.lines.length === 0) return;
    writeSync(this.fd, `${this.lines.join('\n')}\n`);
    this.spilledLines += this.lines.length;
    this.lines = [];
    this.bufferedSize = 0;
  }

  /** Every line in order, in arrays (one per chunk read), then the file is removed. Read once only. */
  async *drain(): AsyncGenerator<string[]> {
    this.consumed = true;
    try {
      if (this.fd !== undefined) {
        this.flushToFile();
        closeSync(this.fd);
        this.fd = undefined;
        // Read synchronously: the file was just written (it is in the page cache), and the caller has
        // nothing else to do meanwhile, so a read is a copy rather than a trip through the thread pool.
        const decoder = new StringDecoder('utf8');
        const buffer = Buffer.allocUnsafe(READ_CHUNK);
        const fd = openSync(this.path as string, 'r');
        try {
          let pending = '';
          for (;;) {
            const size = readSync(fd, buffer, 0, READ_CHUNK, null);
            if (size === 0) break;
            const text = decoder.write(size === READ_CHUNK ? buffer : buffer.subarray(0, size));
            const first = text.indexOf('\n');
            if (first === -1) {
              pending += text;
              continue;
            }
            // Only the line cut at the chunk's start is joined, not the whole chunk to what came before.
            const last = text.lastIndexOf('\n');
            const lines = text.slice(0, last).split('\n');
            if (pending !== '') lines[0] = pending + (lines[0] as string);
            pending = text.slice(last + 1);
            yield lines;
          }
          pending += decoder.end();
          if (pending !== '') yield [pending];
        } finally {
          closeSync(fd);
        }
      } else if (this.lines.length > 0) {
        const lines = this.lines;
        this.lines = [];
        yield lines;
      }
    } finally {
      this.dispose();
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
    this.lines = [];
  }
}
