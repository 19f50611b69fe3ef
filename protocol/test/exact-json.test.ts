import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStateFile, createRecordValidator, decodeSpan, parseExact, parseMessage, serializeMessage, stringifyExact, type RecordMessage, type StateMessage } from '../src/index.js';

describe('parseExact and stringifyExact', () => {
  it('read integers beyond 2^53 as exact bigints anywhere in a value, and everything else as JSON.parse does', () => {
    const text = '{"id":9223372036854775807,"small":9007199254740991,"f":0.12345678901234567,"e":1e21,"s":"12345678901234567890","n":{"a":[-18446744073709551615,{"b":12345678901234567890}]},"__proto__":1,"d":1,"d":12345678901234567891}';
    const value = parseExact(text) as Record<string, unknown>;
    expect(value.id).toBe(9223372036854775807n);
    expect(value.small).toBe(9007199254740991);
    expect(value.f).toBe(0.12345678901234567);
    expect(value.e).toBe(1e21);
    expect(value.s).toBe('12345678901234567890');
    expect(value.n).toEqual({ a: [-18446744073709551615n, { b: 12345678901234567890n }] });
    expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).toBe(true);
    expect(value.d).toBe(12345678901234567891n);
    expect(stringifyExact(value)).toBe(
      '{"id":9223372036854775807,"small":9007199254740991,"f":0.12345678901234566,"e":1e+21,"s":"12345678901234567890","n":{"a":[-18446744073709551615,{"b":12345678901234567890}]},"__proto__":1,"d":12345678901234567891}',
    );
  });

  it('are JSON.parse and JSON.stringify when nothing is that large, and throw JSON.parse errors', () => {
    const text = '{"a":[1,2.5,"x\\u0041"],"b":{"c":null,"d":true}}';
    expect(parseExact(text)).toEqual(JSON.parse(text));
    expect(stringifyExact({ a: [1, undefined, () => 1], b: undefined, c: new Date(0) })).toBe(JSON.stringify({ a: [1, undefined, () => 1], b: undefined, c: new Date(0) }));
    expect(stringifyExact({ a: [1n, undefined], b: undefined })).toBe('{"a":[1,null]}');
    expect(() => parseExact('{"a":12345678901234567890')).toThrow(SyntaxError);
  });
});

describe('messages with integers beyond 2^53', () => {
  it('parse a RECORD and a STATE exactly, and serialize them back digit for digit', () => {
    const record = '{"type":"RECORD","stream":"s","record":{"id":9223372036854775807,"n":[-12345678901234567890,1.5]}}';
    const parsed = parseMessage(record, 1) as RecordMessage;
    expect(parsed.record).toEqual({ id: 9223372036854775807n, n: [-12345678901234567890n, 1.5] });
    expect(serializeMessage(parsed)).toBe(record);
    const state = '{"type":"STATE","value":{"bookmarks":{"s":{"replication_key_value":18446744073709551615}}}}';
    expect((parseMessage(state, 2) as StateMessage).value).toEqual({ bookmarks: { s: { replication_key_value: 18446744073709551615n } } });
    expect(serializeMessage(parseMessage(state, 2))).toBe(state);
    // A SCHEMA keeps JSON.parse's numbers (its bounds are compared as doubles).
    const schema = parseMessage('{"type":"SCHEMA","stream":"s","schema":{"type":"object","properties":{"id":{"type":"integer","maximum":18446744073709551615}}},"key_properties":[]}', 3);
    expect(JSON.stringify(schema)).toContain('"maximum":18446744073709552000');
  });

  it('decode a located value exactly', () => {
    const at = (text: string) => decodeSpan(Buffer.from(text), 0, Buffer.byteLength(text));
    expect(at('9007199254740993')).toBe(9007199254740993n);
    expect(at('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(at('9007199254740991')).toBe(9007199254740991);
    expect(at('12345678901234567890.5')).toBe(12345678901234567890.5);
    expect(at('1e300')).toBe(1e300);
    expect(at('{"a":12345678901234567890}')).toEqual({ a: 12345678901234567890n });
  });

  it('validate bigints as the integers they are, and report a wrong type by its digits', () => {
    const validate = createRecordValidator('s', { type: 'object', properties: { id: { type: 'integer' }, n: { type: ['number', 'null'], minimum: 0 }, t: { type: 'string' } } });
    expect(() => validate({ id: 9223372036854775807n, n: 18446744073709551615n, t: 'x' }, 1)).not.toThrow();
    expect(() => validate({ id: 1, n: -9223372036854775808n, t: 'x' }, 2)).toThrow(/value -9223372036854775808 must be >= 0/);
    expect(() => validate({ id: 1, n: 1, t: 9223372036854775807n }, 3)).toThrow(/value 9223372036854775807 must be string/);
  });
});

describe('readStateFile with integers beyond 2^53', () => {
  it('reads a bookmark exactly, from a plain state and from appended STATE lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'state-exact-'));
    try {
      const plain = join(dir, 'plain.json');
      await writeFile(plain, '{"bookmarks":{"s":{"replication_key_value":18446744073709551615}}}\n');
      expect(await readStateFile(plain)).toEqual({ bookmarks: { s: { replication_key_value: 18446744073709551615n } } });
      const appended = join(dir, 'lines.jsonl');
      await writeFile(appended, '{"type":"STATE","value":{"v":1}}\n{"type":"STATE","value":{"v":-9223372036854775808}}\n');
      expect(await readStateFile(appended)).toEqual({ v: -9223372036854775808n });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
