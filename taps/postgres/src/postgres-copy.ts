/**
 * A reader for `COPY ... TO STDOUT (FORMAT binary)` of text-valued columns. Binary COPY frames every field
 * with its length, so a row's JSON arrives as raw bytes with no escaping to undo (text COPY would double
 * every backslash in the JSON and need a full unescape pass per row).
 * Format: https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
 */
import { SyncError } from '@tapline/protocol';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

export class BinaryCopyParser {
  private pending: Buffer = Buffer.alloc(0);
  private headerDone = false;
  /** True once the trailer (field count -1) was read. */
  done = false;

  constructor(private readonly fieldCount: number) {}

  /**
   * Feed a chunk; returns the complete rows in it, each as its fields' text (NULL as null). A row split
   * across chunks waits for the next one.
   */
  push(chunk: Buffer): (string | null)[][] {
    const buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    if (!this.headerDone) {
      if (buffer.length < 19) {
        this.pending = buffer;
        return [];
      }
      if (!buffer.subarray(0, 11).equals(SIGNATURE)) throw new SyncError('unexpected COPY output: not the binary COPY format');
      offset = 19 + buffer.readUInt32BE(15);
      this.headerDone = true;
    }
    const rows: (string | null)[][] = [];
    const length = buffer.length;
    while (offset + 2 <= length) {
      const fields = buffer.readInt16BE(offset);
      if (fields === -1) {
        this.done = true;
        offset += 2;
        break;
      }
      if (fields !== this.fieldCount) throw new SyncError(`unexpected COPY output: ${fields} fields in a row, expected ${this.fieldCount}`);
      let cursor = offset + 2;
      const row: (string | null)[] = new Array<string | null>(fields);
      let complete = true;
      for (let i = 0; i < fields; i += 1) {
        if (cursor + 4 > length) {
          complete = false;
          break;
        }
        const size = buffer.readInt32BE(cursor);
        cursor += 4;
        if (size === -1) {
          row[i] = null;
          continue;
        }
        if (cursor + size > length) {
          complete = false;
          break;
        }
        row[i] = buffer.toString('utf8', cursor, cursor + size);
        cursor += size;
      }
      if (!complete) break;
      rows.push(row);
      offset = cursor;
    }
    this.pending = offset >= length ? Buffer.alloc(0) : buffer.subarray(offset);
    return rows;
  }
}
