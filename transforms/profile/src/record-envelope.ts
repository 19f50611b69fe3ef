/**
 * The protocol's `recordEnvelope` (lazy-record.ts) on a line's bytes: the same strict prefix match of
 * `{"type":"RECORD","stream":"<name>",`, deciding the same lines, so a line of a stream that is not
 * profiled passes through unparsed exactly when readMessageBatches would have left it unparsed, without
 * the line being decoded to a string first. For valid UTF-8 only (a byte of a multi-byte character is
 * never a quote, a backslash or a space, so the match cannot differ from the one on the decoded text).
 */
import { startsWith } from '@tapline/transform-base';

const SPACE = 32;
const QUOTE = 34;
const BACKSLASH = 92;

const TYPE_KEY = Buffer.from('"type"');
const COLON = Buffer.from(':');
const RECORD_TYPE = Buffer.from('"RECORD"');
const COMMA = Buffer.from(',');
const STREAM_KEY = Buffer.from('"stream"');

/** Where the stream name of the last line `readRecordEnvelope` accepted lies (between the quotes). */
export const envelopeName = { start: 0, end: 0 };

function skipSpaces(bytes: Buffer, index: number, end: number): number {
  let i = index;
  while (i < end && bytes[i] === SPACE) i += 1;
  return i;
}

/** After optional spaces, `token` at `index`: the index after it, or -1. */
function expect(bytes: Buffer, index: number, end: number, token: Buffer): number {
  const i = skipSpaces(bytes, index, end);
  return i + token.length <= end && startsWith(bytes, i, token) ? i + token.length : -1;
}

/**
 * Whether the line at [start, end) starts like a RECORD of a named stream and ends with `}`, as
 * `recordEnvelope` decides it; if so, `envelopeName` holds where the name is.
 */
export function readRecordEnvelope(bytes: Buffer, start: number, end: number): boolean {
  if (end - start < 2 || bytes[start] !== 123 /* { */ || bytes[end - 1] !== 125 /* } */) return false;
  let i = expect(bytes, start + 1, end, TYPE_KEY);
  if (i >= 0) i = expect(bytes, i, end, COLON);
  if (i >= 0) i = expect(bytes, i, end, RECORD_TYPE);
  if (i >= 0) i = expect(bytes, i, end, COMMA);
  if (i >= 0) i = expect(bytes, i, end, STREAM_KEY);
  if (i >= 0) i = expect(bytes, i, end, COLON);
  if (i < 0) return false;
  i = skipSpaces(bytes, i, end);
  if (bytes[i] !== QUOTE) return false;
  const nameStart = i + 1;
  for (let j = nameStart; j < end; j += 1) {
    const code = bytes[j];
    if (code === BACKSLASH) return false; // escaped names: JSON.parse decodes them
    if (code === QUOTE) {
      if (j === nameStart || expect(bytes, j + 1, end, COMMA) < 0) return false;
      envelopeName.start = nameStart;
      envelopeName.end = j;
      return true;
    }
  }
  return false;
}
