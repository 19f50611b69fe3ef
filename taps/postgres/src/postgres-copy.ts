/**
 * RECORD objects built as bytes from `COPY (SELECT ...) TO STDOUT` text. The server renders only what
 * needs rendering (`to_json` on dates, arrays, intervals...) and sends the common types in their plain
 * text form, which costs it less than half of `row_to_json` on every row; the tap turns each row into a
 * JSON object byte by byte, without a string per value. COPY text escapes are almost JSON's own (`\\`, `\n`,
 * `\t`, `\r`, `\b`, `\f` mean the same in both), so a text value is copied with few changes.
 * Format: https://www.postgresql.org/docs/current/sql-copy.html (Text Format).
 */
import type { ByteRowBatch } from '@tapline/tap-sql-base';

/**
 * How a column's COPY text becomes JSON: `number` as it is; `float` as it is, NaN and the infinities as
 * strings; `bool` t/f as true/false; `string` quoted and escaped; `json` (JSON text rendered by the server)
 * as it is, after undoing COPY's escapes; `timestamp` (ISO DateStyle text of timestamp and timestamptz) as
 * `to_json` writes it: `T` between date and time, an offset of hours alone given its minutes (`+00:00`).
 */
export type ColumnMode = 'number' | 'float' | 'bool' | 'string' | 'json' | 'timestamp';

const TAB = 9;
const NEWLINE = 10;
const BACKSLASH = 92;
const QUOTE = 34;
const HEX = '0123456789abcdef';

const NULL_BYTES = Buffer.from('null');
const TRUE_BYTES = Buffer.from('true');
const FALSE_BYTES = Buffer.from('false');

const SLAB_BYTES = 1 << 20;

/**
 * Turns COPY text rows into RECORD lines, chunk by chunk; a row cut between chunks waits for the next.
 * Lines are written one after another into 1 MiB slabs, so the output costs one allocation per MiB and
 * goes to stdout as it is (a batch is a view of a slab; a slab is never written again once handed out).
 */
export class CopyTextRecords {
  private pending: Buffer | undefined;
  /** `{"name":` for the first column, `,"name":` for the others. */
  private readonly keys: Buffer[];
  private readonly keyBytes: number;
  private readonly modes: ColumnMode[];
  private readonly positionColumns: number;
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private slabUsed = 0;

  /**
   * @param names the record's properties, in the SELECT's order
   * @param positionColumns how many columns follow the record's: the row's position (key values)
   * @param positionKind `text`: they are the keys' database text; `json`: the keys' JSON
   * @param affixes what goes before and after each record object on its line
   */
  constructor(
    names: string[],
    modes: ColumnMode[],
    positionColumns: number,
    private readonly positionKind: 'text' | 'json',
    private readonly affixes: () => { prefix: Buffer; suffix: Buffer },
  ) {
    this.keys = names.map((name, i) => Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(name)}:`));
    this.keyBytes = this.keys.reduce((sum, key) => sum + key.length, 2);
    this.modes = modes;
    this.positionColumns = positionColumns;
  }

  /** The complete rows of everything pushed so far, as one or more batches. */
  push(chunk: Buffer): ByteRowBatch[] {
    const batches: ByteRowBatch[] = [];
    let start = 0;
    if (this.pending !== undefined) {
      // The row cut at the end of the last chunk: join it with its end alone, not the whole chunk.
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        this.pending = Buffer.concat([this.pending, chunk]);
        return batches;
      }
      const row = Buffer.concat([this.pending, chunk.subarray(0, newline + 1)]);
      this.pending = undefined;
      this.rows(row, 0, row.length, batches);
      start = newline + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    if (last < start) {
      if (start < chunk.length) this.pending = Buffer.from(chunk.subarray(start));
      return batches;
    }
    if (last + 1 < chunk.length) this.pending = Buffer.from(chunk.subarray(last + 1));
    this.rows(chunk, start, last + 1, batches);
    return batches;
  }

  /** Rows of input[from, end), every one ending in a newline, appended to `batches`. */
  private rows(input: Buffer, from: number, end: number, batches: ByteRowBatch[]): void {
    const columns = this.modes.length;
    const keys = this.keys;
    const modes = this.modes;
    const positionColumns = this.positionColumns;
    const { prefix, suffix } = this.affixes();
    const lineBytes = this.keyBytes + prefix.length + suffix.length;
    let out = this.slab;
    let at = this.slabUsed;
    let batchStart = at;
    let offsets = new Int32Array(256);
    let positions = new Int32Array(256 * 2 * Math.max(positionColumns, 1));
    let count = 0;
    const finish = () => {
      if (count === 0) return;
      offsets[count] = at;
      batches.push(rowBatch(out, offsets.slice(0, count + 1).map((offset) => offset - batchStart), count, input, positions, positionColumns, this.positionKind, batchStart));
      count = 0;
    };
    let i = from;
    while (i < end) {
      const rowEnd = input.indexOf(NEWLINE, i);
      // Escapes at most multiply a value by six (a control byte becomes \u00XX).
      const needed = lineBytes + (rowEnd - i) * 6 + columns * 2;
      if (at + needed > out.length) {
        finish();
        out = Buffer.allocUnsafe(Math.max(SLAB_BYTES, needed));
        at = 0;
        batchStart = 0;
        offsets = new Int32Array(256);
        positions = new Int32Array(256 * 2 * Math.max(positionColumns, 1));
      }
      if (count + 1 >= offsets.length) {
        const grown = new Int32Array(offsets.length * 2);
        grown.set(offsets);
        offsets = grown;
        const grownPositions = new Int32Array(positions.length * 2);
        grownPositions.set(positions);
        positions = grownPositions;
      }
      offsets[count] = at;
      for (let k = 0; k < prefix.length; k += 1) out[at++] = prefix[k] as number;
      if (columns === 0) out[at++] = 123; /* { */
      for (let c = 0; c < columns; c += 1) {
        const key = keys[c] as Buffer;
        for (let k = 0; k < key.length; k += 1) out[at++] = key[k] as number;
        // The field runs to the next tab (or the row's newline).
        if (input[i] === BACKSLASH && input[i + 1] === 78 /* N */ && (input[i + 2] === TAB || input[i + 2] === NEWLINE)) {
          for (let k = 0; k < 4; k += 1) out[at++] = NULL_BYTES[k] as number;
          i += 3;
          continue;
        }
        const mode = modes[c];
        if (mode === 'string') {
          out[at++] = QUOTE;
          for (;;) {
            const code = input[i++] as number;
            if (code === TAB || code === NEWLINE) break;
            if (code === BACKSLASH) {
              const next = input[i++] as number;
              if (next === 118 /* v */) at = writeUnicodeEscape(out, at, 11);
              else {
                // \\ \n \r \t \b \f: the same escape in JSON.
                out[at++] = BACKSLASH;
                out[at++] = next;
              }
            } else if (code === QUOTE) {
              out[at++] = BACKSLASH;
              out[at++] = QUOTE;
            } else if (code < 32) {
              at = writeUnicodeEscape(out, at, code);
            } else {
              out[at++] = code;
            }
          }
          out[at++] = QUOTE;
        } else if (mode === 'json') {
          for (;;) {
            const code = input[i++] as number;
            if (code === TAB || code === NEWLINE) break;
            if (code === BACKSLASH) {
              const next = input[i++] as number;
              // Inside a JSON document an escaped newline or other control character can only be
              // whitespace between tokens (strings escape their own): a space keeps the line whole.
              out[at++] = next === BACKSLASH ? BACKSLASH : next === 116 /* t */ ? TAB : 32;
            } else {
              out[at++] = code;
            }
          }
        } else if (mode === 'timestamp') {
          out[at++] = QUOTE;
          // `infinity` and `-infinity` go as they are; a date starts with a digit (a BC one ends in " BC").
          let inTime = !isDigit(input[i]);
          let offsetDone = inTime;
          for (;;) {
            const code = input[i++] as number;
            if (code === TAB || code === NEWLINE) break;
            if (!inTime && code === 32) {
              out[at++] = 84; /* T */
              inTime = true;
            } else if (!offsetDone && inTime && (code === 43 || code === 45)) {
              out[at++] = code;
              out[at++] = input[i++] as number;
              out[at++] = input[i++] as number;
              if (input[i] !== 58 /* : */) {
                out[at++] = 58;
                out[at++] = 48;
                out[at++] = 48;
              }
              offsetDone = true;
            } else {
              out[at++] = code;
            }
          }
          out[at++] = QUOTE;
        } else if (mode === 'bool') {
          const bytes = input[i] === 116 /* t */ ? TRUE_BYTES : FALSE_BYTES;
          for (let k = 0; k < bytes.length; k += 1) out[at++] = bytes[k] as number;
          i += 2;
        } else {
          // number, float: digits as they are; a float's NaN, Infinity, -Infinity as strings.
          const first = input[i] as number;
          const word = mode === 'float' && (first === 78 /* N */ || first === 73 /* I */ || (first === 45 && input[i + 1] === 73));
          if (word) out[at++] = QUOTE;
          for (;;) {
            const code = input[i++] as number;
            if (code === TAB || code === NEWLINE) break;
            out[at++] = code;
          }
          if (word) out[at++] = QUOTE;
        }
      }
      out[at++] = 125; /* } */
      for (let k = 0; k < suffix.length; k += 1) out[at++] = suffix[k] as number;
      // The position columns: remember where they are, decode them only if asked.
      const base = count * 2 * positionColumns;
      for (let p = 0; p < positionColumns; p += 1) {
        positions[base + 2 * p] = i;
        while (input[i] !== TAB && input[i] !== NEWLINE) i += 1;
        positions[base + 2 * p + 1] = i;
        i += 1;
      }
      count += 1;
      i = rowEnd + 1;
    }
    finish();
    this.slab = out;
    this.slabUsed = at;
  }
}

function rowBatch(
  slab: Buffer,
  offsets: Int32Array,
  count: number,
  input: Buffer,
  positions: Int32Array,
  positionColumns: number,
  positionKind: 'text' | 'json',
  start: number,
): ByteRowBatch {
  return {
    lines: slab.subarray(start, start + (offsets[count] as number)),
    offsets,
    count,
    position(index: number): string {
      const values: string[] = [];
      for (let p = 0; p < positionColumns; p += 1) {
        const base = index * 2 * positionColumns + 2 * p;
        values.push(copyFieldText(input, positions[base] as number, positions[base + 1] as number));
      }
      return positionKind === 'text' ? JSON.stringify(values) : `[${values.join(',')}]`;
    },
  };
}

function isDigit(code: number | undefined): boolean {
  return code !== undefined && code >= 48 && code <= 57;
}

function writeUnicodeEscape(out: Buffer, at: number, code: number): number {
  out[at] = BACKSLASH;
  out[at + 1] = 117; // u
  out[at + 2] = 48;
  out[at + 3] = 48;
  out[at + 4] = HEX.charCodeAt(code >> 4);
  out[at + 5] = HEX.charCodeAt(code & 15);
  return at + 6;
}

const COPY_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** One COPY text field's value, its escapes undone. */
export function copyFieldText(input: Buffer, start: number, end: number): string {
  const text = input.toString('utf8', start, end);
  return text.includes('\\') ? text.replace(/\\(.)/g, (_, char: string) => COPY_ESCAPES[char] ?? char) : text;
}
