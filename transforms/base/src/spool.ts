/**
 * A first-in first-out queue of lines that lives in memory while small and on disk once it grows, so a
 * stage can hold back an unbounded stream (while its statistics are fitted) in bounded memory. Lines are
 * appended synchronously (the intake loop stays simple and a local file write is cheap next to JSON
 * parsing) and read back once, in order, after which the file is removed.
 */
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

/** Characters held in memory before the queue moves to a file. */
export const SPOOL_MEMORY_LIMIT = 8 * 1024 * 1024;
/** Characters buffered between two writes to the file. */
const WRITE_CHUNK = 1024 * 1024;

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
        const decoder = new StringDecoder('utf8');
        let pending = '';
        for await (const chunk of createReadStream(this.path as string, { highWaterMark: 1024 * 1024 })) {
          const text = pending + decoder.write(chunk as Buffer);
          const last = text.lastIndexOf('\n');
          if (last === -1) {
            pending = text;
            continue;
          }
          pending = text.slice(last + 1);
          yield text.slice(0, last).split('\n');
        }
        pending += decoder.end();
        if (pending !== '') yield [pending];
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
