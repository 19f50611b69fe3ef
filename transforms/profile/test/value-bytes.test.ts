import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '@tapline/conformance';
import { hashAsciiBytes, hashString } from '../src/distinct-sketch.js';
import { UNDECIDED, isCanonicalJson, jsonNumberAt, jsonNumberEnd, jsonValueAt, numberOfText } from '../src/value-bytes.js';

const bin = fileURLToPath(new URL('../bin/transform-profile.js', import.meta.url));

/** The text inside a buffer with other bytes around it, as a span of a line is. */
function span(text: string): [Buffer, number, number] {
  const bytes = Buffer.from(`,-${text}-1`, 'latin1');
  return [bytes, 2, 2 + text.length];
}

const JSON_NUMBERS = [
  '0', '-0', '-0.0', '1', '-1', '0.1', '0.30000000000000004', '123456789012345', '9007199254740993', '12345678901234567890123',
  '1e5', '1E+2', '1e-7', '1.5e-7', '2.50', '1e400', '-1e400', '1e-400', '5e-324', '1.7976931348623157e308', '521.1161377472413',
  '899.45867699545751', '0.000001', '4.35', '1e22', '1e23', '1e-22', '1e-23', '100000000000000000000000',
];

describe('values read from bytes', () => {
  it('reads JSON numbers as JSON.parse does, -0 included', () => {
    for (const text of JSON_NUMBERS) expect(Object.is(jsonNumberAt(...span(text)), JSON.parse(text)), text).toBe(true);
  });

  it('checks and reads a JSON number in one pass as JSON.parse reads it', () => {
    for (const text of JSON_NUMBERS) {
      const [bytes, start, end] = span(text);
      const value = new Float64Array(2);
      expect(jsonNumberEnd(bytes, start, end, value, 1), text).toBe(end);
      expect(Object.is(value[1], JSON.parse(text)), text).toBe(true);
    }
    // Not JSON numbers (the span ends at the number: a shorter number is not the whole span).
    for (const text of ['+3', '.5', '5.', '-', '007', '-01', '1e', '1e+', '1.e5', '-.5', 'e5', '']) {
      const [bytes, start, end] = span(text);
      expect(jsonNumberEnd(bytes, start, end, new Float64Array(1), 0), text).not.toBe(end);
    }
  });

  it('decodes a located value as JSON.parse does', () => {
    for (const text of [...JSON_NUMBERS, '"x"', '""', '"a b"', 'null', 'true', 'false', '{"a":[1,{"b":"\\u00fc"}]}', '[ 1 , 2 ]']) {
      expect(jsonValueAt(...span(text)), text).toEqual(JSON.parse(text));
      if (typeof JSON.parse(text) === 'number') expect(Object.is(jsonValueAt(...span(text)), JSON.parse(text)), text).toBe(true);
    }
  });

  it('reads plain strings as Number() does, or leaves the radix forms to it', () => {
    const texts = [...JSON_NUMBERS, '+3', '.5', '5.', '+.5', '-.5', '007', '.', '-', '+', '1e', '1e+', 'e5', '1.2.3', '1_000', '1,000', '$5',
      '12%', '2020-09-13T12:26:41.000Z', '2024-01-05', 'Infinity', '-Infinity', '+Infinity', 'NaN', '0x1F', '0X1f', '0b101', '0o17', '0x', '-0x1',
      '1 2', '0.5e-3'];
    for (const text of texts) {
      const read = numberOfText(...span(text));
      const expected = Number(text);
      if (read === UNDECIDED) expect(/^0[xob]./i.test(text), text).toBe(true);
      else if (Number.isFinite(expected)) expect(Object.is(read, expected), text).toBe(true);
      else expect(Number.isFinite(read), text).toBe(false);
    }
  });

  it('calls an object or array canonical only when JSON.stringify writes it back the same', () => {
    const canonical = ['{}', '[]', '{"a":1}', '{"channel":"web","priority":1}', '[true,false,null]', '{"a":{"b":[1,{"c":null}]}}', '[-5,0,"x"]', '{"__proto__":1}'];
    const other = ['{ "a": 1 }', '{"a":1,"a":2}', '{"1":2,"a":1}', '{"":1}', '[-0]', '[1.5]', '[1e2]', '[01]', '{"a":"\\u0041"}', '{"a":"ü"}',
      '[1234567890123456]', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]'];
    for (const text of canonical) {
      expect(isCanonicalJson(...span(text)), text).toBe(true);
      expect(JSON.stringify(JSON.parse(text))).toBe(text);
    }
    for (const text of other) expect(isCanonicalJson(...span(text)), text).toBe(false);
  });

  it('hashes ASCII bytes as hashString hashes the text', () => {
    for (const text of ['', 'a', 'SKU-914939', 'order note 753081202 with some text', '{"a":1}']) {
      expect(hashAsciiBytes(...span(text), 1)).toBe(hashString(text, 1));
    }
  });
});

describe('a record read from its bytes and one parsed', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transform-profile-bytes-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('give the same report', async () => {
    // With a SCHEMA the records are read from their bytes; without one they are parsed. Keys come in the
    // SCHEMA's order so that both reports list the columns alike.
    const values = ['1', '-0', '2.5', '1e400', '"7530.81"', '"0x1F"', '" 12 "', '""', '"\'x\'"', '"a b"', '"ünï"', '"2024-01-05"', 'true', 'false',
      'null', '{"a":1}', '{ "a": 1 }', '[1,2]', '{"b":1,"a":2}', '"x\\"y"'];
    let seed = 3;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const lines: string[] = [];
    for (let row = 0; row < 6000; row += 1) {
      const members = ['a', 'b', 'c', 'd'].filter(() => random(10) > 0).map((name) => `"${name}":${name === 'd' ? row : values[random(values.length)]}`);
      lines.push(`{"type":"RECORD","stream":"s","record":{${members.join(',')}}}`);
    }
    const schema = '{"type":"SCHEMA","stream":"s","schema":{"properties":{"a":{},"b":{},"c":{},"d":{}}},"key_properties":[]}';
    const reports: string[] = [];
    for (const [name, input] of [['bytes', [schema, ...lines]], ['parsed', lines]] as const) {
      await writeFile(join(dir, `${name}.jsonl`), `${input.join('\n')}\n`);
      await writeFile(join(dir, `${name}.json`), JSON.stringify({ output_dir: join(dir, name), sample_size: 500, max_tracked_values: 5 }));
      const run = await runProgram(bin, { args: ['--config', join(dir, `${name}.json`)], stdinFile: join(dir, `${name}.jsonl`) });
      expect(run.code, run.stderr).toBe(0);
      reports.push(await readFile(join(dir, name, 's.json'), 'utf8'));
    }
    expect(reports[0]).toBe(reports[1]);
  });
});
