/**
 * The stage's reading loop: every line goes out as it came while the RECORDs of profiled streams are
 * profiled, reading and writing bytes. The output is exactly what reading with readMessageBatches and
 * writing each line's text would give, without a string per line:
 *
 * - A RECORD line (record-envelope.ts) is written as its input bytes, many lines in one write. A profiled
 *   stream's record is profiled from its bytes (StreamProfiler.addRecordLine) and parsed only when they
 *   cannot be read that way; another stream's record is not looked at, as the lazy reader leaves it.
 * - Every other line, and any line whose text differs from its bytes (a trailing `\r` is dropped, blank
 *   lines are skipped, invalid UTF-8 becomes U+FFFD), is decoded and handled as readMessageBatches
 *   reads it, with the same errors naming the same line.
 */
import { isUtf8 } from 'node:buffer';
import {
  DEFAULT_MAX_LINE_LENGTH,
  LazyRecordMessage,
  LineTooLongError,
  isBlank,
  parseMessage,
  recordEnvelope,
  type MessageWriter,
  type RecordMessage,
  type SchemaMessage,
} from '@tapline/protocol';
import { startsWith } from '@tapline/transform-base';
import { envelopeName, readRecordEnvelope } from './record-envelope.js';
import type { StreamProfiler } from './stream-profiler.js';

export class ProfilingPassThrough {
  /** The stream name (as bytes) of the last RECORD read from bytes, and its profiler: runs of one stream need no lookup. */
  private lastName = Buffer.alloc(0);
  private lastProfiler: StreamProfiler | undefined;

  constructor(
    private readonly output: MessageWriter,
    /** The profiler of a stream, or undefined when the stream is not profiled. */
    private readonly profilerFor: (stream: string) => StreamProfiler | undefined,
  ) {}

  /**
   * Profile and write the whole lines of `buffer`, the first being line `firstLine` of the input. Returns
   * false when the output is full (await its drain). A bad line throws after the lines before it are written.
   */
  passLines(buffer: Buffer, firstLine: number): boolean {
    // The input's bytes stand for the lines' text only when they are valid UTF-8.
    const asBytes = isUtf8(buffer);
    let room = true;
    let runStart = 0;
    let runLines = 0;
    let start = 0;
    let line = firstLine;
    try {
      while (start < buffer.length) {
        const newline = buffer.indexOf(10, start);
        const end = newline < 0 ? buffer.length : newline;
        const next = newline < 0 ? buffer.length : newline + 1;
        if (asBytes && newline >= 0 && end - start <= DEFAULT_MAX_LINE_LENGTH && this.recordLine(buffer, start, end, line)) {
          runLines += 1;
        } else {
          if (runLines > 0) room = this.output.writeBytes(buffer.subarray(runStart, start), runLines) && room;
          runLines = 0;
          runStart = next;
          room = this.textLine(buffer.toString('utf8', start, end), line) && room;
        }
        start = next;
        line += 1;
      }
    } finally {
      // Also when a line failed: the lines before it go out, as they would have line by line.
      if (runLines > 0) room = this.output.writeBytes(buffer.subarray(runStart, start), runLines) && room;
    }
    return room;
  }

  /** A RECORD line in the usual shape, profiled if its stream is; false for any other line. */
  private recordLine(buffer: Buffer, start: number, end: number, line: number): boolean {
    // Most lines are records of the stream before them: its codec reads the envelope too, and a line it
    // scans is a valid RECORD of that stream, whatever readRecordEnvelope would say of its spacing.
    if (buffer[end - 1] === 125 /* } */ && this.lastProfiler?.addRecordLine(buffer, start, end)) return true;
    if (!readRecordEnvelope(buffer, start, end)) return false;
    const profiler = this.profilerNamed(buffer, envelopeName.start, envelopeName.end);
    if (profiler !== undefined && !profiler.addRecordLine(buffer, start, end)) {
      const text = buffer.toString('utf8', start, end);
      profiler.addRecord(new LazyRecordMessage(profiler.stream, text, line).record, text);
    }
    return true;
  }

  private profilerNamed(buffer: Buffer, start: number, end: number): StreamProfiler | undefined {
    const last = this.lastName;
    if (last.length === end - start && startsWith(buffer, start, last)) return this.lastProfiler;
    this.lastName = Buffer.from(buffer.subarray(start, end));
    this.lastProfiler = this.profilerFor(buffer.toString('utf8', start, end));
    return this.lastProfiler;
  }

  /** One line as readMessageBatches (lazy records) reads it, then written as its text. */
  private textLine(raw: string, line: number): boolean {
    if (raw.length > DEFAULT_MAX_LINE_LENGTH) {
      throw new LineTooLongError(`line is longer than the maximum of ${DEFAULT_MAX_LINE_LENGTH} characters`, {
        line,
        hint: 'Raise max_line_length in the config if such long records are expected',
      });
    }
    const text = raw.charCodeAt(raw.length - 1) === 13 /* \r */ ? raw.slice(0, -1) : raw;
    const stream = recordEnvelope(text);
    if (stream !== undefined) {
      this.profilerFor(stream)?.addRecord(new LazyRecordMessage(stream, text, line).record, text);
    } else {
      if (isBlank(text)) return true;
      const message = parseMessage(text, line);
      if (message.type === 'RECORD') {
        const record = message as RecordMessage;
        this.profilerFor(record.stream)?.addRecord(record.record, text);
      } else if (message.type === 'SCHEMA') {
        const schema = message as SchemaMessage;
        this.profilerFor(schema.stream)?.addSchema(schema.schema, schema.key_properties);
      }
    }
    return this.output.writeLine(text);
  }
}
