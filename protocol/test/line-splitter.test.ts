import { describe, expect, it } from 'vitest';
import { LineSplitter, LineTooLongError } from '../src/index.js';

const texts = (runs: Buffer[]) => runs.map((run) => run.toString('utf8'));

describe('LineSplitter', () => {
  it('gives whole lines only, a line across chunks in a run of its own, and the unfinished last line at the end', () => {
    const splitter = new LineSplitter();
    expect(texts(splitter.split(Buffer.from('a\nb\nc'), 1))).toEqual(['a\nb\n']);
    expect(texts(splitter.split('aff', 3))).toEqual([]);
    expect(texts(splitter.split(Buffer.from('e\n\nf\ng'), 3))).toEqual(['caffe\n', '\nf\n']);
    expect(texts(splitter.split(Buffer.from('\n'), 6))).toEqual(['g\n']);
    expect(texts(splitter.split(Buffer.from('h\u00e9'), 7))).toEqual([]);
    expect(splitter.rest()?.toString('utf8')).toBe('h\u00e9');
  });

  it('fails a line longer than the maximum before it ends, naming its number', () => {
    const splitter = new LineSplitter(4);
    splitter.split(Buffer.from('ok\nabc'), 1);
    const error = (() => {
      try {
        splitter.split(Buffer.from('de'), 2);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(LineTooLongError);
    expect((error as LineTooLongError).where.line).toBe(2);
    // Characters, not bytes: four two-byte characters are not too long.
    expect(new LineSplitter(4).split(Buffer.from('\u00e9\u00e9\u00e9\u00e9'), 1)).toEqual([]);
  });
});
