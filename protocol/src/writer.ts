/**
 * Writes Singer messages as lines, joining many into one `write` call (one write per record is the most
 * common reason a Node.js program is slow on a pipe) and honouring backpressure: `write` returns false
 * when the destination is full, and `drain()` waits until it has room again.
 */
import type { Writable } from 'node:stream';
import { serializeMessage, type Message } from './messages.js';

export interface WriterOptions {
  /** Flush once this many characters are buffered. */
  flushSize?: number;
  /** Flush buffered lines at most this long after the first of them, so slow streams still flow. */
  flushIntervalMs?: number;
}

export class MessageWriter {
  private readonly output: Writable;
  private readonly flushSize: number;
  private readonly flushIntervalMs: number;
  private lines: string[] = [];
  /** Output ready to write, in order: joined lines, and bytes queued by `writeBytes`. */
  private chunks: (string | Buffer)[] = [];
  private size = 0;
  private blocked = false;
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  /** Lines written so far, for metrics. */
  linesWritten = 0;

  constructor(output: Writable, options: WriterOptions = {}) {
    this.output = output;
    this.flushSize = options.flushSize ?? 256 * 1024;
    this.flushIntervalMs = options.flushIntervalMs ?? 200;
    output.on('error', (error: Error) => {
      this.failure = error;
    });
  }

  /** Queue a message. Returns false when the caller should `await drain()` before writing more. */
  write(message: Message): boolean {
    return this.writeLine(serializeMessage(message));
  }

  /** Queue a line that is already a serialized message (no newline). */
  writeLine(line: string): boolean {
    if (this.failure) throw this.failure;
    this.lines.push(line);
    this.size += line.length + 1;
    this.linesWritten += 1;
    return this.queued();
  }

  /** After queueing: flush when enough is buffered, else make sure a flush is scheduled. */
  private queued(): boolean {
    if (this.size >= this.flushSize) return this.flush();
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.flushIntervalMs);
      this.timer.unref();
    }
    return !this.blocked;
  }

  /**
   * Queue bytes that are already whole lines (each serialized message followed by a newline), for a
   * program that builds its output as bytes; `lines` is how many, for metrics.
   */
  writeBytes(bytes: Buffer, lines: number): boolean {
    if (this.failure) throw this.failure;
    this.joinLines();
    this.chunks.push(bytes);
    this.size += bytes.length;
    this.linesWritten += lines;
    return this.queued();
  }

  private joinLines(): void {
    if (this.lines.length === 0) return;
    this.chunks.push(this.lines.length === 1 ? `${this.lines[0]}\n` : `${this.lines.join('\n')}\n`);
    this.lines = [];
  }

  /** Hand everything buffered to the output now. Returns false when the output is full. */
  flush(): boolean {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.joinLines();
    if (this.chunks.length === 0) return !this.blocked;
    const chunks = this.chunks;
    this.chunks = [];
    this.size = 0;
    if (this.failure) throw this.failure;
    for (const chunk of chunks) if (!this.output.write(chunk)) this.blocked = true;
    return !this.blocked;
  }

  /** Flush, then wait until the output has taken everything. */
  async drain(): Promise<void> {
    this.flush();
    if (this.output.writableNeedDrain) {
      // Wait for whichever comes first, and remove every listener afterwards: a drain per write burst
      // must not leave 'close' or 'error' listeners behind (events.once would, for the loser of a race).
      const output = this.output;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          output.off('drain', done);
          output.off('close', done);
          output.off('error', done);
          resolve();
        };
        output.on('drain', done);
        output.on('close', done);
        output.on('error', done); // the constructor's listener records the error; it is thrown below
      });
    }
    this.blocked = false;
    if (this.failure) throw this.failure;
  }

  /**
   * Flush and wait until the output has handed every line to the operating system; the output itself
   * stays open (it is usually stdout). A program may exit right after this without losing a line.
   */
  async close(): Promise<void> {
    await this.drain();
    await settleOutput(this.output);
    if (this.failure) throw this.failure;
  }
}

/** Resolves once everything written to `stream` so far has been handed to the operating system. */
export function settleOutput(stream: NodeJS.WritableStream & { writableLength?: number; destroyed?: boolean }): Promise<void> {
  if (stream.destroyed || !stream.writableLength) return Promise.resolve();
  // Writes complete in order, so the callback of one more (empty) write runs after every earlier one.
  return new Promise((resolve) => {
    try {
      stream.write('', () => resolve());
    } catch {
      resolve();
    }
  });
}
