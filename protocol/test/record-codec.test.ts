import { describe, expect, it } from 'vitest';
import { OTHER_STREAM, RecordCodec, createRecordValidator, decodeLine, readLineChunks, recordLineStream, type JsonSchema } from '../src/index.js';

const SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    customer_id: { type: ['null', 'integer'], minimum: -2147483648, maximum: 2147483647 },
    sku: { type: ['null', 'string'], maxLength: 10 },
    amount: { type: ['null', 'string'], format: 'singer.decimal' },
    score: { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }, { type: 'null' }] },
    paid: { type: ['null', 'boolean'] },
    created_at: { type: ['null', 'string'], format: 'date-time' },
    ship_date: { type: ['null', 'string'], format: 'date' },
    attrs: { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] },
  },
  required: ['id'],
};

const GOOD = '{"type":"RECORD","stream":"orders","record":{"id":1,"customer_id":7919,"sku":"SKU-1","amount":"0.37","score":2.5,"paid":false,"created_at":"2020-01-01T00:00:01+00:00","ship_date":"2020-01-02","attrs":{"channel": "store", "n": [1, 2.5e3, null]}},"version":17,"time_extracted":"2026-11-21T23:16:40.325Z"}';

function scan(codec: RecordCodec, line: string): { base: number; bytes: Buffer } {
  const bytes = Buffer.from(line);
  return { base: codec.scan(bytes, 0, bytes.length), bytes };
}

/** What the slow path makes of a line: the record, or the error it reports. */
function slow(line: string, schema = SCHEMA): { record?: Record<string, unknown>; error?: string } {
  try {
    const message = JSON.parse(line) as { record: Record<string, unknown> };
    createRecordValidator('orders', schema)(message.record, 1);
    return { record: message.record };
  } catch (error) {
    return { error: String(error) };
  }
}

function decoded(codec: RecordCodec, bytes: Buffer, base: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  codec.properties.forEach((name, index) => {
    const value = codec.value({ bytes, spans: codec.spans, base, version: undefined, timeExtracted: undefined }, index);
    if (value !== undefined) out[name] = value;
  });
  return out;
}

describe('RecordCodec: RECORD lines checked from their bytes', () => {
  const codec = RecordCodec.compile('orders', SCHEMA, true)!;

  it('locates every value of a usual line, compact or spaced, and reads version and time_extracted', () => {
    // Python's json.dumps puts a space after every separator; a repeated key counts once, the last, as in JSON.parse.
    const spaced = '{"type": "RECORD", "stream": "orders", "record": {"id": 1, "sku": "A:B, C", "paid": true, "attrs": [1, {"a": "b"}]}, "version": 17, "time_extracted": "2026-11-21T23:16:40.325Z"}';
    for (const line of [GOOD, spaced, GOOD.replace('"record":{', '"record":{"id":2,')]) {
      const { base, bytes } = scan(codec, line);
      expect(base).toBeGreaterThanOrEqual(0);
      expect(decoded(codec, bytes, base)).toEqual(slow(line).record);
      expect(codec.version).toBe(17);
      expect(codec.timeExtracted).toBe('2026-11-21T23:16:40.325Z');
    }
    expect(recordLineStream(Buffer.from(GOOD), 0, GOOD.length)).toBe('orders');
  });

  it('leaves to the full parse every line the full parse would reject', () => {
    const bad = [
      GOOD.replace('"id":1', '"id":01'),
      GOOD.replace('"id":1', '"id":1.'),
      GOOD.replace('"paid":false', '"paid":fals'),
      GOOD.replace('"SKU-1"', '"SKU\t1"'),
      GOOD.replace('"channel": "store"', '"channel": "st\\qore"'),
      GOOD.replace('"n": [1,', '"n": [1,,'),
      GOOD.replace('"time_extracted"', 'time_extracted'),
      GOOD.slice(0, -1),
      `${GOOD}x`,
    ];
    for (const line of bad) {
      expect(scan(codec, line).base, line).toBe(-1);
    }
    expect(slow(bad[0]!).error).toBeDefined();
  });

  it('leaves to the validator every record that breaks its schema', () => {
    const invalid = [
      GOOD.replace('"id":1,', ''), // required
      GOOD.replace('"id":1', '"id":1.5'),
      GOOD.replace('"id":1', '"id":"1"'),
      GOOD.replace('7919', '2147483648'),
      GOOD.replace('SKU-1', 'SKU-1234567'),
      GOOD.replace('"0.37"', '"0.3.7"'),
      GOOD.replace('"score":2.5', '"score":"nan"'),
      GOOD.replace('2020-01-01T00:00:01', '2020-02-30T00:00:01'),
      GOOD.replace('2020-01-01T00:00:01', '2020-01-01T25:00:01'),
      GOOD.replace('"2020-01-02"', '"2021-02-29"'),
      GOOD.replace('"paid":false', '"paid":"no"'),
    ];
    for (const line of invalid) {
      expect(scan(codec, line).base, line).toBe(-1);
      expect(slow(line).error, line).toBeDefined();
    }
  });

  it('never accepts a line the full parse rejects, and decodes what it accepts exactly (random mutations)', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const alphabet = '{}[]":,.-+eE0123456789 tfnulrs\\\tTZ';
    let accepted = 0;
    // Half the edits land inside the nested attrs value, which is checked on its bytes too.
    const attrsStart = GOOD.indexOf('"attrs":') + 8;
    const attrsLength = GOOD.indexOf('}},"version"') + 1 - attrsStart;
    for (let round = 0; round < 30000; round += 1) {
      const chars = [...GOOD];
      for (let edits = 1 + random(2); edits > 0; edits -= 1) {
        const at = random(2) === 0 ? attrsStart + random(attrsLength) : random(chars.length);
        const kind = random(3);
        if (kind === 0) chars.splice(at, 1);
        else if (kind === 1) chars[at] = alphabet[random(alphabet.length)]!;
        else chars.splice(at, 0, alphabet[random(alphabet.length)]!);
      }
      const line = chars.join('');
      const { base, bytes } = scan(codec, line);
      if (base < 0) continue;
      accepted += 1;
      const reference = slow(line);
      expect(reference.error, line).toBeUndefined();
      expect(decoded(codec, bytes, base), line).toEqual(reference.record);
    }
    expect(accepted).toBeGreaterThan(100);
  });

  it('takes no schema it cannot prove, so such streams are parsed and validated in full', () => {
    const withProperty = (property: JsonSchema) => ({ type: 'object', properties: { a: property } }) as JsonSchema;
    expect(RecordCodec.compile('s', withProperty({ type: 'string', pattern: '^a' }), true)).toBeUndefined();
    expect(RecordCodec.compile('s', withProperty({ type: 'object', properties: { b: { type: 'integer' } } }), true)).toBeUndefined();
    expect(RecordCodec.compile('s', withProperty({ $ref: '#/definitions/x' }), true)).toBeUndefined();
    expect(RecordCodec.compile('s', withProperty({ type: 'number', multipleOf: 0.01 }), true)).toBeUndefined();
    expect(RecordCodec.compile('s', { type: 'object', properties: { 'caf\u00e9': { type: 'string' } } }, true)).toBeUndefined();
    expect(RecordCodec.compile('s', withProperty({ type: 'string', format: 'email', maxLength: 3 }), true)).toBeDefined();
    // Without validation the types do not matter, only well-formed JSON.
    expect(RecordCodec.compile('s', withProperty({ type: 'string', pattern: '^a' }), false)).toBeDefined();
  });

  it('leaves non-ASCII text, escapes and undeclared members to the full parse', () => {
    expect(scan(codec, GOOD.replace('SKU-1', 'SK\u00dc-1')).base).toBe(-1);
    expect(scan(codec, GOOD.replace('SKU-1', 'SKU\\"1')).base).toBe(-1);
    expect(scan(codec, GOOD.replace('"paid":false', '"paid":false,"extra":1')).base).toBe(-1);
    // Another stream's line: its own codec may take it.
    expect(scan(codec, GOOD.replace('"stream":"orders"', '"stream":"other"')).base).toBe(OTHER_STREAM);
  });
});

describe('readLineChunks and decodeLine', () => {
  async function* pieces(...parts: string[]) {
    for (const part of parts) yield Buffer.from(part);
  }

  it('hands out whole lines with their numbers, across chunk boundaries, CRLF and a last line without newline', async () => {
    const lines: [number, string][] = [];
    for await (const { buffer, firstLine } of readLineChunks(pieces('{"type":"STATE","value":1}\r\n{"type":"ST', 'ATE","value":2}\n\n{"type":"STATE","value":', '3}'))) {
      let line = firstLine;
      for (let start = 0; start < buffer.length; line += 1) {
        let end = buffer.indexOf(10, start);
        if (end < 0) end = buffer.length;
        const message = decodeLine(buffer, start, end, line);
        if (message !== undefined) lines.push([line, JSON.stringify(message)]);
        start = end + 1;
      }
    }
    expect(lines).toEqual([
      [1, '{"type":"STATE","value":1}'],
      [2, '{"type":"STATE","value":2}'],
      [4, '{"type":"STATE","value":3}'],
    ]);
  });

  it('reports a line too long with its number', async () => {
    const read = async () => {
      for await (const chunk of readLineChunks(pieces('{"type":"STATE","value":1}\n', 'x'.repeat(50), 'y'.repeat(50)), { maxLineLength: 80 })) void chunk;
    };
    await expect(read()).rejects.toThrow(/line is longer than the maximum of 80 characters/);
  });
});
