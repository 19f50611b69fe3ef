import { describe, expect, it } from 'vitest';
import { CopyTextRecords, type ColumnMode } from '../src/index.js';

const affixes = () => ({ prefix: Buffer.from('{"type":"RECORD","stream":"s","record":'), suffix: Buffer.from('}\n') });
const modes: ColumnMode[] = ['number', 'float', 'bool', 'string', 'json'];
const names = ['id', 'f', 'b', 's', 'j'];
// COPY text: tab-separated, \N for NULL, backslash escapes; the last column is the position (id::text).
const COPY = [
  '1\t2.5\tt\tplain\t{"a": [1, 2]}\t1',
  '2\tNaN\tf\tq"uote \\\\ back\\ttab\\nnl\\v\x01\t{\\n"b":\\t"x\\\\"y"}\t2',
  '3\t-Infinity\t\\N\t\\N\t\\N\t3',
  '-4\t1e-300\tt\t\t[]\t-4',
].join('\n') + '\n';

function lines(chunks: Buffer[]): { text: string; positions: string[] } {
  const reader = new CopyTextRecords(names, modes, 1, 'text', affixes);
  let text = '';
  const positions: string[] = [];
  for (const chunk of chunks) {
    for (const batch of reader.push(chunk)) {
      text += batch.lines.subarray(batch.offsets[0], batch.offsets[batch.count]).toString('utf8');
      for (let i = 0; i < batch.count; i += 1) positions.push(batch.position(i));
    }
  }
  return { text, positions };
}

describe('CopyTextRecords: COPY text rows to RECORD lines', () => {
  it('builds valid JSON records with the values the text stands for', () => {
    const { text, positions } = lines([Buffer.from(COPY)]);
    const records = text.trim().split('\n').map((line) => (JSON.parse(line) as { record: unknown }).record);
    expect(records).toEqual([
      { id: 1, f: 2.5, b: true, s: 'plain', j: { a: [1, 2] } },
      { id: 2, f: 'NaN', b: false, s: 'q"uote \\ back\ttab\nnl\v\u0001', j: { b: 'x"y' } },
      { id: 3, f: '-Infinity', b: null, s: null, j: null },
      { id: -4, f: 1e-300, b: true, s: '', j: [] },
    ]);
    expect(positions).toEqual(['["1"]', '["2"]', '["3"]', '["-4"]']);
  });

  it('gives the same lines however the input is cut into chunks', () => {
    const whole = lines([Buffer.from(COPY)]);
    const bytes = Buffer.from(COPY);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      expect(lines([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole);
    }
    expect(lines([...bytes].map((byte) => Buffer.from([byte])))).toEqual(whole);
  });
});
