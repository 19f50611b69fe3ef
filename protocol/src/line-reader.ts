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

/** The input as buffers of whole lines; an unfinished line waits for the chunks that complete it. */
export async function* readLineChunks(input: AsyncIterable<Buffer | string>, options: { maxLineLength?: number } = {}): AsyncGenerator<LineChunk> {
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let nextLine = 1;
  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      pending.push(chunk);
      pendingLength += chunk.length;
      // Bytes first (cheap), characters only when the bytes say it may be too long.
      if (pendingLength > maxLineLength && Buffer.concat(pending).toString('utf8').length > maxLineLength) throw tooLong(maxLineLength, nextLine);
      continue;
    }
    const head = chunk.subarray(0, last + 1);
    const buffer = pendingLength === 0 ? head : Buffer.concat([...pending, head], pendingLength + head.length);
    pending = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    pendingLength = chunk.length - last - 1;
    const firstLine = nextLine;
    for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) nextLine += 1;
    yield { buffer, firstLine };
  }
  if (pendingLength > 0) yield { buffer: Buffer.concat(pending, pendingLength), firstLine: nextLine };
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
