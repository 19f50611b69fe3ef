import { describe, expect, it } from 'vitest';
import { JsonValueInference, TextColumnInference, filesAfterBookmark, textKinds } from '../src/index.js';

function infer(values: string[], decimals: 'string' | 'number' = 'string'): unknown {
  const inference = new TextColumnInference();
  for (const value of values) inference.observe(value);
  return inference.schema(decimals);
}

describe('text column inference', () => {
  it('types a column only when every value agrees; anything ambiguous stays a string', () => {
    expect(infer(['1', '-2', '0'])).toEqual({ type: ['null', 'integer'] });
    expect(infer(['1', '2.50'])).toEqual({ type: ['null', 'string'], format: 'singer.decimal' });
    expect(infer(['1', '2.50'], 'number')).toEqual({ type: ['null', 'number'] });
    expect(infer(['9007199254740993'])).toEqual({ type: ['null', 'string'], format: 'singer.decimal' });
    expect(infer(['TRUE', 'false'])).toEqual({ type: ['null', 'boolean'] });
    expect(infer(['2024-02-29', '2024-03-01'])).toEqual({ type: ['null', 'string'], format: 'date' });
    expect(infer(['2024-01-01 10:00:00', '2024-01-01T10:00:00.123+05:30'])).toEqual({ type: ['null', 'string'], format: 'date-time' });
    for (const mixed of [['007'], ['+5'], ['1e3'], ['1,234'], ['2023-02-29'], ['2024-01-01', '2024-01-01 10:00'], ['01/02/2024'], ['1', 'true'], ['yes']]) {
      expect(infer(mixed), mixed.join(' ')).toEqual({ type: ['null', 'string'] });
    }
    expect(infer([])).toEqual({ type: ['null', 'string'] });
    expect(textKinds('')).toBe(0);
  });
});

describe('JSON value inference', () => {
  it('is the union of the JSON types seen, integers folded into number', () => {
    const schema = (values: unknown[]): unknown => {
      const inference = new JsonValueInference();
      for (const value of values) inference.observe(value);
      return inference.schema();
    };
    expect(schema([1, null, 2])).toEqual({ type: ['null', 'integer'] });
    expect(schema([1, 2.5])).toEqual({ type: ['null', 'number'] });
    expect(schema(['2024-01-01', null])).toEqual({ type: ['null', 'string'], format: 'date' });
    expect(schema(['x', 1, { a: 1 }, [1]])).toEqual({ type: ['null', 'string', 'integer', 'object', 'array'] });
    expect(schema([null])).toEqual({ type: ['null', 'string'] });
    // Integers beyond 2^53 arrive as exact bigints.
    expect(schema([9223372036854775807n, 1])).toEqual({ type: ['null', 'integer'] });
    expect(schema([10n ** 400n, 2.5])).toEqual({ type: ['null', 'number'] });
  });
});

describe('files after the bookmark', () => {
  const file = (path: string, mtimeMs: number) => ({ path, mtimeMs, modifiedAt: new Date(mtimeMs).toISOString(), size: 1 });
  it('keeps files with a later modification time, or the same time and a later path', () => {
    const files = [file('/d/a', 1000), file('/d/b', 2000), file('/d/c', 2000), file('/d/a2', 3000)];
    expect(filesAfterBookmark(files, {}).map((f) => f.path)).toEqual(['/d/a', '/d/b', '/d/c', '/d/a2']);
    expect(filesAfterBookmark(files, { last_modified: new Date(2000).toISOString(), last_file: '/d/b' }).map((f) => f.path)).toEqual(['/d/c', '/d/a2']);
    expect(filesAfterBookmark(files, { last_modified: new Date(3000).toISOString(), last_file: '/d/a2' })).toEqual([]);
  });
});

describe('encodings', () => {
  it('accepts WHATWG and Python names, refuses UTF-16 and unknown names', async () => {
    const { checkEncoding } = await import('../src/index.js');
    expect(checkEncoding('utf8')).toBe('utf-8');
    expect(checkEncoding('utf-8-sig')).toBe('utf-8');
    expect(checkEncoding('latin-1')).toBe('windows-1252');
    expect(checkEncoding('cp1252')).toBe('windows-1252');
    expect(() => checkEncoding('utf-16le')).toThrow(/not supported/);
    expect(() => checkEncoding('klingon')).toThrow(/unknown encoding "klingon"/);
  });
});
