/**
 * A streaming RFC 4180 parser. Written here rather than taken from csv-parse (which target-csv uses to
 * read its own files back) because it is measured at about 15x faster on orders-shaped rows on this
 * machine (13 MB: 0.2 s against 3 s), and because it reports the physical line of each row for free, which
 * error messages need. It takes text chunks that end at line breaks (see readTextChunks) and keeps a row
 * whose quoted field spans chunks until the rest arrives.
 */
import { DataError } from '@tapline/protocol';

export interface CsvSyntax {
  delimiter: string;
  quote: string;
  escape: string;
}

export interface ParsedRows {
  rows: string[][];
  /** The line each row starts on (1-based). */
  lines: number[];
}

const LF = 10;
const CR = 13;

export class CsvRowParser {
  private readonly delimiter: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly quoteText: string;
  private readonly escapeText: string;
  private rest = '';
  private restLine = 1;

  constructor(
    syntax: CsvSyntax,
    private readonly file: string,
  ) {
    this.delimiter = syntax.delimiter.charCodeAt(0);
    this.quote = syntax.quote.charCodeAt(0);
    this.escape = syntax.escape.charCodeAt(0);
    this.quoteText = syntax.quote;
    this.escapeText = syntax.escape;
  }

  /**
   * Parse a chunk starting at line `firstLine`. With `final`, the chunk is the end of the file and an open
   * quoted field is an error; without it, an unfinished row waits for the next chunk.
   */
  push(chunk: string, firstLine: number, final: boolean): ParsedRows {
    const text = this.rest === '' ? chunk : this.rest + chunk;
    let line = this.rest === '' ? firstLine : this.restLine;
    this.rest = '';
    const rows: string[][] = [];
    const lines: number[] = [];
    const L = text.length;
    const D = this.delimiter;
    const Q = this.quote;
    const E = this.escape;
    let i = 0;
    rows: while (i < L) {
      const rowStart = i;
      const rowLine = line;
      const fields: string[] = [];
      let quotedRow = false;
      for (;;) {
        let value: string;
        if (text.charCodeAt(i) === Q) {
          quotedRow = true;
          let j = i + 1;
          value = '';
          for (;;) {
            const q = text.indexOf(this.quoteText, j);
            const e = E === Q ? -1 : text.indexOf(this.escapeText, j);
            const escaped = e !== -1 && (q === -1 || e < q);
            if (escaped && e + 1 < L) {
              value += text.slice(j, e) + text.charAt(e + 1);
              j = e + 2;
              continue;
            }
            if (q === -1 || escaped) {
              if (!final) {
                this.rest = text.slice(rowStart);
                this.restLine = rowLine;
                break rows;
              }
              throw new DataError(`a quoted field is never closed (it opens on line ${rowLine + countLines(text, rowStart, i)})`, {
                file: this.file,
                line: rowLine,
                hint: `Close the quote, or set quote_character if ${JSON.stringify(this.quoteText)} is not the quote of this file`,
              });
            }
            if (E === Q && text.charCodeAt(q + 1) === Q) {
              value += text.slice(j, q + 1);
              j = q + 2;
              continue;
            }
            value += text.slice(j, q);
            line += countLines(text, i, q);
            i = q + 1;
            break;
          }
          const next = text.charCodeAt(i);
          if (i < L && next !== D && next !== LF && next !== CR) {
            throw new DataError(`unexpected ${JSON.stringify(text.charAt(i))} after the closing quote of field ${fields.length + 1}`, {
              file: this.file,
              line,
              hint: `Double a quote inside a quoted field ("" in RFC 4180), or set escape_character`,
            });
          }
        } else {
          let j = i;
          while (j < L) {
            const c = text.charCodeAt(j);
            if (c === D || c === LF || c === CR) break;
            j += 1;
          }
          value = text.slice(i, j);
          i = j;
        }
        fields.push(value);
        const c = text.charCodeAt(i);
        if (c === D) {
          i += 1;
          if (i >= L) {
            fields.push('');
            break;
          }
          continue;
        }
        if (c === CR) {
          i += 1;
          if (text.charCodeAt(i) === LF) i += 1;
        } else if (c === LF) i += 1;
        line += 1;
        break;
      }
      // An empty line is not a row with one empty field.
      if (fields.length === 1 && fields[0] === '' && !quotedRow) continue;
      rows.push(fields);
      lines.push(rowLine);
    }
    return { rows, lines };
  }
}

function countLines(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
}
