import { describe, expect, it } from 'vitest';
import { CsvRowParser } from '../src/csv-parser.js';

const rfc = { delimiter: ',', quote: '"', escape: '"' };

describe('CsvRowParser', () => {
  it('keeps a quoted field that spans chunks whole, with the line each row starts on', () => {
    const parser = new CsvRowParser(rfc, 'f.csv');
    const first = parser.push('id,text\n1,"a\n', 1, false);
    expect(first).toEqual({ rows: [['id', 'text']], lines: [1] });
    const second = parser.push('b ""q"", c"\r\n2,\n\n3,"",x\n', 3, false);
    expect(second).toEqual({ rows: [['1', 'a\nb "q", c'], ['2', ''], ['3', '', 'x']], lines: [2, 4, 6] });
    expect(parser.push('4,last', 7, false)).toEqual({ rows: [['4', 'last']], lines: [7] });
    expect(parser.push('', 8, true)).toEqual({ rows: [], lines: [] });
  });

  it('reads a backslash escape and a trailing delimiter at the end of the file', () => {
    const parser = new CsvRowParser({ delimiter: ';', quote: '"', escape: '\\' }, 'f.csv');
    expect(parser.push('"a \\"b\\" \\\\";x;', 1, true).rows).toEqual([['a "b" \\', 'x', '']]);
  });

  it('fails on text after a closing quote and on a quote that never closes', () => {
    expect(() => new CsvRowParser(rfc, 'f.csv').push('id\n"a"b\n', 1, true)).toThrow(/unexpected "b" after the closing quote of field 1/);
    const parser = new CsvRowParser(rfc, 'f.csv');
    parser.push('id\n"open\n', 1, false);
    expect(() => parser.push('', 3, true)).toThrow(/a quoted field is never closed/);
  });
});

describe('jsonString', () => {
  it('is JSON.stringify for every kind of text', async () => {
    const { jsonString } = await import('../src/csv-types.js');
    for (const text of ['', 'plain', 'a"b', 'a\\b', 'tab\there', 'line\nbreak', '\u2028', '\ud800x', 'é😀', '\u0000', '\u007f']) {
      expect(jsonString(text)).toBe(JSON.stringify(text));
    }
  });
});
