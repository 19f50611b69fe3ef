/**
 * From a byte stream to buffers of whole lines: for programs that look at a line's bytes before deciding
 * whether to decode it (a target's RECORD fast path, see record-codec.ts). Nothing is allocated per line:
 * the caller walks each buffer with `indexOf(10)`. `decodeLine` turns one line into a message exactly as
 * `readMessageBatches` would, with the same errors.
 */
import { DEFAULT_MAX_LINE_LENGTH, LineTooLongError, isBlank } from './reader.js';
import { parseMessage, type Message } from './messages.js';

export interface LineChunk {
  /** Whole lines, each ending in a newline except possibly the last line of the input. */
  buffer: Buffer;
  /** The number of the buffer's first line (1-based). */
  firstLine: number;
}

function tooLong(maxLineLength: number, line: number): LineTooLongError {
  return new LineTooLongError(`line is longer than the maximum of ${maxLineLength} characters`, {
    line,
    hint: 'Raise max_line_length in the config if such long records are expected',
  });
}

/**
 * Input chunks cut into runs of whole lines without copying them, for a loop that walks each run with
 * `indexOf(10)`. Only a line that spans chunks is put together, in a buffer of its own. A line that
 * never ends fails with LineTooLongError once it passes the maximum.
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH) {}

  /** The runs of whole lines `piece` completes (`line` is the number of the first of them). */
  split(piece: Buffer | string, line: number): Buffer[] {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      // Bytes first (cheap), characters only when the bytes say it may be too long.
      if (this.pendingLength > this.maxLineLength && Buffer.concat(this.pending).toString('utf8').length > this.maxLineLength) {
        throw tooLong(this.maxLineLength, line);
      }
      return [];
    }
    const runs: Buffer[] = [];
    let from = 0;
    if (this.pendingLength > 0) {
      from = chunk.indexOf(10) + 1;
      runs.push(Buffer.concat([...this.pending, chunk.subarray(0, from)]));
    }
    if (from <= last) runs.push(chunk.subarray(from, last + 1));
    this.pending = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    this.pendingLength = chunk.length - last - 1;
    return runs;
  }

  /** The last line, when the input did not end with a newline. */
  rest(): Buffer | undefined {
    return this.pendingLength > 0 ? Buffer.concat(this.pending, this.pendingLength) : undefined;
  }
}

/** The input as buffers of whole lines (LineSplitter's runs), each with the number of its first line. */
export async function* readLineChunks(input: AsyncIterable<Buffer | string>, options: { maxLineLength?: number } = {}): AsyncGenerator<LineChunk> {
  const splitter = new LineSplitter(options.maxLineLength);
  let nextLine = 1;
  for await (const piece of input) {
    for (const buffer of splitter.split(piece, nextLine)) {
      const firstLine = nextLine;
      for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) nextLine += 1;
      yield { buffer, firstLine };
    }
  }
  const rest = splitter.rest();
  if (rest !== undefined) yield { buffer: rest, firstLine: nextLine };
}

/**
 * The message of the line at [start, end) of `buffer` (without its newline), or undefined for a blank
 * line; a bad or too long line throws its usual error.
 */
export function decodeLine(buffer: Buffer, start: number, end: number, line: number, maxLineLength = DEFAULT_MAX_LINE_LENGTH): Message | undefined {
  let text = buffer.toString('utf8', start, end);
  if (text.length > maxLineLength) throw tooLong(maxLineLength, line);
  if (text.charCodeAt(text.length - 1) === 13 /* \r */) text = text.slice(0, -1);
  if (isBlank(text)) return undefined;
  return parseMessage(text, line);
}
