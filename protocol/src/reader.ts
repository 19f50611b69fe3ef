/**
 * From a byte stream to Singer messages, line by line, with each line's number.
 *
 * Why not split2 + readline: we need the line number on every message, a maximum line length that holds
 * across chunks, and one async step per chunk rather than per line (an await per message costs more than
 * parsing a 300-byte record). The decoder is Node's StringDecoder, so a multi-byte character cut between
 * two chunks is kept whole; '\n' never occurs inside a UTF-8 sequence, so splitting decoded text on it is
 * safe.
 */
import { StringDecoder } from 'node:string_decoder';
import { DataError } from './errors.js';
import { LazyRecordMessage, recordEnvelope } from './lazy-record.js';
import { parseMessage, type Message } from './messages.js';

export interface ReadMessage {
  message: Message;
  /** 1-based line number in the input. */
  line: number;
  /** The line exactly as read (without the newline), so a stage can pass it on without re-encoding. */
  raw: string;
}

export interface ReaderOptions {
  /** Longest accepted line in characters; a longer one is an error rather than unbounded memory. */
  maxLineLength?: number;
  /**
   * Parse RECORD bodies only when read (`LazyRecordMessage`). For stages that pass some streams through
   * untouched: such lines are written on as read and their JSON is checked by the next program instead.
   */
  lazyRecords?: boolean;
}

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024 * 1024;

export class LineTooLongError extends DataError {}

type ByteSource = AsyncIterable<Buffer | string>;

/**
 * Yields the messages of each input chunk as one array. Messages that precede a bad line are yielded
 * before the error is thrown, so a consumer processes everything up to the last good line.
 */
export async function* readMessageBatches(input: ByteSource, options: ReaderOptions = {}): AsyncGenerator<ReadMessage[]> {
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const addLine = options.lazyRecords ? addLazyLine : addParsedLine;
  const decoder = new StringDecoder('utf8');
  // The unfinished last line, kept as parts so that a long line spread over many chunks is joined once.
  let pendingParts: string[] = [];
  let pendingLength = 0;
  let lineNumber = 0;

  const tooLong = (line: number): LineTooLongError =>
    new LineTooLongError(`line is longer than the maximum of ${maxLineLength} characters`, {
      line,
      hint: 'Raise max_line_length in the config if such long records are expected',
    });

  function take(text: string, batch: ReadMessage[], finalChunk: boolean): void {
    let start = 0;
    let newline = text.indexOf('\n');
    while (newline !== -1) {
      lineNumber += 1;
      let raw = text.slice(start, newline);
      if (pendingLength > 0) {
        pendingParts.push(raw);
        raw = pendingParts.join('');
        pendingParts = [];
        pendingLength = 0;
      }
      if (raw.length > maxLineLength) throw tooLong(lineNumber);
      addLine(raw, lineNumber, batch);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      pendingParts.push(rest);
      pendingLength += rest.length;
      if (pendingLength > maxLineLength) throw tooLong(lineNumber + 1);
    }
    if (finalChunk && pendingLength > 0) {
      lineNumber += 1;
      const raw = pendingParts.join('');
      pendingParts = [];
      pendingLength = 0;
      addLine(raw, lineNumber, batch);
    }
  }

  for await (const chunk of input) {
    const batch: ReadMessage[] = [];
    try {
      take(typeof chunk === 'string' ? chunk : decoder.write(chunk), batch, false);
    } catch (error) {
      if (batch.length > 0) yield batch;
      throw error;
    }
    if (batch.length > 0) yield batch;
  }
  const batch: ReadMessage[] = [];
  try {
    take(decoder.end(), batch, true);
  } catch (error) {
    if (batch.length > 0) yield batch;
    throw error;
  }
  if (batch.length > 0) yield batch;
}

function addParsedLine(raw: string, line: number, batch: ReadMessage[]): void {
  let text = raw;
  if (text.charCodeAt(text.length - 1) === 13 /* \r */) text = text.slice(0, -1);
  if (text.length === 0 || isBlank(text)) return;
  batch.push({ message: parseMessage(text, line), line, raw: text });
}

function addLazyLine(raw: string, line: number, batch: ReadMessage[]): void {
  let text = raw;
  if (text.charCodeAt(text.length - 1) === 13 /* \r */) text = text.slice(0, -1);
  const stream = recordEnvelope(text);
  if (stream === undefined) {
    addParsedLine(text, line, batch);
  } else {
    batch.push({ message: new LazyRecordMessage(stream, text, line), line, raw: text });
  }
}

/** Empty, or only spaces, tabs and carriage returns: a line readers skip. */
export function isBlank(text: string): boolean {
  // Only called per line, so keep it allocation-free: most lines start with '{' and exit at once.
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code !== 32 && code !== 9 && code !== 13) return false;
  }
  return true;
}

/** One message at a time, for code where clarity matters more than the last few percent. */
export async function* readMessages(input: ByteSource, options: ReaderOptions = {}): AsyncGenerator<ReadMessage> {
  for await (const batch of readMessageBatches(input, options)) {
    yield* batch;
  }
}
