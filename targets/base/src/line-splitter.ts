/**
 * Input chunks cut into runs of whole lines without copying them, for a loop that walks each run with
 * `indexOf(10)` and numbers the lines itself. Only a line that spans chunks is put together in a buffer
 * of its own (protocol's readLineChunks copies every chunk to join it to the previous one's tail, and
 * counts its lines in a pass of its own). A line that never ends fails as it does there.
 */
import { DEFAULT_MAX_LINE_LENGTH, LineTooLongError } from '@tapline/protocol';

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  constructor(private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH) {}

  /** The whole lines `chunk` completes (`line` is the number of the first of them). */
  split(piece: Buffer | string, line: number): Buffer[] {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    const last = chunk.lastIndexOf(10);
    if (last < 0) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      // Bytes first (cheap), characters only when the bytes say it may be too long.
      if (this.pendingLength > this.maxLineLength && Buffer.concat(this.pending).toString('utf8').length > this.maxLineLength) {
        throw new LineTooLongError(`line is longer than the maximum of ${this.maxLineLength} characters`, {
          line,
          hint: 'Raise max_line_length in the config if such long records are expected',
        });
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
