/**
 * A RECORD whose body is parsed only when something reads it. A stage that passes a stream through
 * untouched (the stream is not one it transforms) never pays for JSON.parse, which on ~300-byte records
 * costs more than everything else a pipe stage does put together. The envelope (type and stream) is read
 * with a strict prefix match; any line that does not match exactly is parsed in full as usual.
 */
import { parseMessage, type RecordMessage } from './messages.js';
import { MessageFormatError } from './messages.js';

const QUOTE = 34;
const BACKSLASH = 92;

function skipSpaces(text: string, index: number): number {
  let i = index;
  while (text.charCodeAt(i) === 32) i += 1;
  return i;
}

function expect(text: string, index: number, token: string): number {
  const i = skipSpaces(text, index);
  return text.startsWith(token, i) ? i + token.length : -1;
}

/**
 * Read `{"type":"RECORD","stream":"<name>",` (compact, or with the spaces Python's json.dumps adds) and
 * return the stream name, or undefined when the line is not in that exact shape (then parse it fully).
 */
export function recordEnvelope(text: string): string | undefined {
  if (text.charCodeAt(0) !== 123 /* { */ || text.charCodeAt(text.length - 1) !== 125 /* } */) return undefined;
  let i = expect(text, 1, '"type"');
  if (i < 0) return undefined;
  i = expect(text, i, ':');
  if (i < 0) return undefined;
  i = expect(text, i, '"RECORD"');
  if (i < 0) return undefined;
  i = expect(text, i, ',');
  if (i < 0) return undefined;
  i = expect(text, i, '"stream"');
  if (i < 0) return undefined;
  i = expect(text, i, ':');
  if (i < 0) return undefined;
  i = skipSpaces(text, i);
  if (text.charCodeAt(i) !== QUOTE) return undefined;
  const start = i + 1;
  for (let j = start; j < text.length; j += 1) {
    const code = text.charCodeAt(j);
    if (code === BACKSLASH) return undefined; // escaped names: let JSON.parse decode them
    if (code === QUOTE) {
      const after = expect(text, j + 1, ',');
      return after < 0 || j === start ? undefined : text.slice(start, j);
    }
  }
  return undefined;
}

export class LazyRecordMessage implements RecordMessage {
  readonly type = 'RECORD' as const;
  readonly stream: string;
  private readonly raw: string;
  private readonly line: number;
  private parsed: RecordMessage | undefined;

  constructor(stream: string, raw: string, line: number) {
    this.stream = stream;
    this.raw = raw;
    this.line = line;
  }

  /** Parse now (a malformed line throws its MessageFormatError here, naming the line). */
  resolve(): RecordMessage {
    if (this.parsed === undefined) {
      const message = parseMessage(this.raw, this.line);
      if (message.type !== 'RECORD' || (message as RecordMessage).stream !== this.stream) {
        throw new MessageFormatError('RECORD envelope does not match its body (duplicate "type" or "stream" keys?)', { line: this.line });
      }
      this.parsed = message as RecordMessage;
    }
    return this.parsed;
  }

  get isParsed(): boolean {
    return this.parsed !== undefined;
  }

  get record(): Record<string, unknown> {
    return this.resolve().record;
  }
  set record(value: Record<string, unknown>) {
    this.resolve().record = value;
  }
  get version(): number | undefined {
    return this.resolve().version;
  }
  get time_extracted(): string | undefined {
    return this.resolve().time_extracted;
  }

  toJSON(): RecordMessage {
    return this.resolve();
  }
}
