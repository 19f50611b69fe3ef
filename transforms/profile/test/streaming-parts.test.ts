import { describe, expect, it } from 'vitest';
import { Mulberry32 } from '@tapline/transform-core';
import { RecordCodec, type JsonSchema } from '@tapline/protocol';
import { TAG_STRING, TAG_STRUCTURED } from '../src/column-accumulator.js';
import { DistinctSketch, hashString } from '../src/distinct-sketch.js';
import { LineSample } from '../src/line-sample.js';
import { ABSENT, FALSE, NULL, NUMBER, RecordLineReader, STRING, STRUCTURED, TRUE } from '../src/record-line-reader.js';

const schema: JsonSchema = {
  type: 'object',
  properties: { a: { type: ['integer', 'null'] }, b: { type: ['string', 'null'] }, c: {}, d: { type: ['number', 'null'] }, e: { type: 'boolean' } },
};

const VALUES: Record<string, string[]> = {
  a: ['1', '-0', '0', '12345678901234567', '1e5', '1.0', '-1.5e-7', 'null', '"7"', '1E+2', '0.1', '00', '1.', '-', '1e', '.5', 'nul', 'nullx'],
  b: ['"x"', '""', '" pad "', '"1,000"', '"0x1F"', '"3.25"', '"a\\"q"', '"é"', '"\\u0041"', 'null', '"NaN"', '"\t"', '"unterminated'],
  c: ['{"k":1}', '{"k": 1}', '{"b":1,"a":2}', '{"1":2}', '[1,2]', '[]', '{}', '{"k":{"j":[1,"x"]}}', '{"k":1,"k":2}', '"s"', '12', 'true', '[1.5]', '{"k":"é"}', '{"k":-0}', '[0,-1]', '{"k":1', '[1,]', '{"k":01}'],
  d: ['1.5', '2', '-3.25', '1e400', 'null', '0.30000000000000004', '5e-324', '-1E-400'],
  e: ['true', 'false', 'null', 'tru', 'falsey'],
};
const TAILS = ['', ',"time_extracted":"2026-01-01T00:00:00Z"', ',"version":3', ',"version":"x"', ',"type":"RECORD"', ', "version":1', ',"version":null', ',"bad"'];

function lines(count: number): string[] {
  const random = new Mulberry32(11);
  const pick = (values: string[]): string => values[random.nextInt(values.length)] as string;
  const out: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const keys = Object.keys(VALUES).filter(() => random.next() < 0.85);
    if (random.next() < 0.2) keys.reverse();
    if (random.next() < 0.05) keys.push('a');
    if (random.next() < 0.03) keys.push('zz');
    const members = keys.map((key) => `"${key}":${key === 'zz' ? '1' : pick(VALUES[key] as string[])}`).join(',');
    let line = `{"type":"RECORD","stream":"s","record":{${members}}${pick(TAILS)}}`;
    if (random.next() < 0.05) line = line.replace('"record":', '"record": ');
    if (random.next() < 0.02) line = line.replace('"stream":"s"', '"stream":"t"');
    if (random.next() < 0.02) line = line.slice(0, -1);
    out.push(line);
  }
  return out;
}

describe('RecordLineReader', () => {
  it('reads only lines the codec scans, each value as JSON.parse decodes it', () => {
    const codec = RecordCodec.compile('s', schema, false) as RecordCodec;
    const reader = new RecordLineReader(codec, 's');
    let read = 0;
    for (const text of lines(20000)) {
      // The line inside other bytes, as in an input chunk.
      const bytes = Buffer.from(`{"x":1}\n${text}\n{"y":2}`);
      const start = 8;
      const end = start + Buffer.byteLength(text);
      if (!reader.read(bytes, start, end)) continue;
      read += 1;
      expect(codec.scan(bytes, start, end), text).toBeGreaterThanOrEqual(0);
      const record = (JSON.parse(text) as { record: Record<string, unknown> }).record;
      codec.properties.forEach((name, i) => {
        const value = record[name];
        const kind = reader.kinds[i];
        if (!(name in record)) return expect(kind, text).toBe(ABSENT);
        const hash = reader.values[i];
        switch (kind) {
          case NULL:
            return expect(value, text).toBeNull();
          case TRUE:
          case FALSE:
            return expect(value, text).toBe(kind === TRUE);
          case NUMBER:
            return expect(Object.is(hash, value), text).toBe(true);
          case STRING:
            expect(bytes.toString('latin1', reader.starts[i], reader.ends[i]), text).toBe(value);
            return expect(hash, text).toBe(hashString(value as string, TAG_STRING));
          case STRUCTURED:
            return expect(hash, text).toBe(hashString(JSON.stringify(value), TAG_STRUCTURED));
          default:
            throw new Error(`kind ${kind} for ${name} in ${text}`);
        }
      });
    }
    // Enough lines are in the usual shape for every kind of value to be read.
    expect(read).toBeGreaterThan(500);
  });
});

describe('LineSample', () => {
  it('keeps the lines Algorithm R keeps with the same seed, however their lengths vary', () => {
    for (const size of [1, 7, 300]) {
      const sample = new LineSample(size, new Mulberry32(5));
      const expected: string[] = [];
      const random = new Mulberry32(5);
      const lengths = new Mulberry32(9);
      for (let row = 1; row <= 20000; row += 1) {
        const line = `${row}:${'x'.repeat(lengths.nextInt(row % 1000 === 0 ? 5000 : 200))}`;
        const bytes = Buffer.from(`\n${line}\n`);
        sample.offer(row, bytes, 1, bytes.length - 1);
        if (expected.length < size) expected.push(line);
        else {
          const slot = random.nextInt(row);
          if (slot < size) expected[slot] = line;
        }
      }
      const kept: string[] = [];
      sample.forEach((bytes, start, end) => kept.push(bytes.toString('utf8', start, end)));
      expect(kept).toEqual(expected);
      expect(sample.length).toBe(size);
    }
  });
});

describe('DistinctSketch', () => {
  it('holds the k smallest distinct hashes, as sorting them all does', () => {
    const random = new Mulberry32(4);
    for (const k of [1, 3, 64]) {
      const sketch = new DistinctSketch(k);
      const all = new Set<number>();
      for (let n = 0; n < 5000; n += 1) {
        // Repeats of earlier values, and a zero hash, as well as new ones.
        const hash = n % 7 === 0 ? 0 : random.next() < 0.3 && all.size > 0 ? [...all][random.nextInt(all.size)] as number : random.next();
        sketch.add(hash);
        all.add(hash);
        if (n % 500 === 0 || n === 4999) {
          const smallest = [...all].sort((a, b) => a - b).slice(0, k);
          expect(sketch.toJSON().hashes).toEqual(smallest);
          expect(sketch.estimate).toBe(all.size < k ? all.size : Math.round((k - 1) / (smallest[k - 1] as number)));
        }
      }
    }
  });
});
