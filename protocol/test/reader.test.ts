import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LazyRecordMessage, LineTooLongError, MessageFormatError, readMessages, type ReadMessage } from '../src/index.js';

async function collect(chunks: (string | Buffer)[], maxLineLength?: number): Promise<{ messages: ReadMessage[]; error?: unknown }> {
  const messages: ReadMessage[] = [];
  try {
    for await (const item of readMessages(Readable.from(chunks, { objectMode: true }), maxLineLength === undefined ? {} : { maxLineLength })) {
      messages.push(item);
    }
    return { messages };
  } catch (error) {
    return { messages, error };
  }
}

describe('readMessages', () => {
  it('numbers lines, skips blank ones, and tolerates CRLF and a missing final newline', async () => {
    const { messages } = await collect([
      '{"type":"SCHEMA","stream":"s","schema":{},"key_properties":[]}\r\n\n   \n',
      '{"type":"RECORD","stream":"s","record":{"a":1}}\n{"type":"STATE","value":{"x":1}}',
    ]);
    expect(messages.map((m) => [m.line, m.message.type])).toEqual([
      [1, 'SCHEMA'],
      [4, 'RECORD'],
      [5, 'STATE'],
    ]);
    expect(messages[1]!.raw).toBe('{"type":"RECORD","stream":"s","record":{"a":1}}');
  });

  it('keeps a multi-byte character whole when a chunk boundary cuts it', async () => {
    const line = Buffer.from('{"type":"RECORD","stream":"s","record":{"name":"Zoë 🚀 日本"}}\n', 'utf8');
    const chunks: Buffer[] = [];
    for (let i = 0; i < line.length; i += 3) chunks.push(line.subarray(i, i + 3)); // cuts through every sequence
    const { messages, error } = await collect(chunks);
    expect(error).toBeUndefined();
    expect((messages[0]!.message as { record: { name: string } }).record.name).toBe('Zoë 🚀 日本');
  });

  it('joins a line spread over many chunks', async () => {
    const big = 'x'.repeat(100_000);
    const text = `{"type":"RECORD","stream":"s","record":{"big":"${big}"}}\n`;
    const chunks = text.match(/.{1,1000}/gs)!;
    const { messages } = await collect(chunks);
    expect((messages[0]!.message as { record: { big: string } }).record.big).toHaveLength(100_000);
  });

  it('matches message types case-insensitively', async () => {
    const { messages } = await collect(['{"type":"record","stream":"s","record":{}}\n{"type":"Activate_Version","stream":"s","version":3}\n']);
    expect(messages.map((m) => m.message.type)).toEqual(['RECORD', 'ACTIVATE_VERSION']);
  });

  it('yields every good line before failing on malformed JSON, and names the line', async () => {
    const { messages, error } = await collect(['{"type":"STATE","value":{}}\n{"type":"RECORD","stream":"s","record":{}}\n{"type": "RECORD", oops}\n']);
    expect(messages).toHaveLength(2);
    expect(error).toBeInstanceOf(MessageFormatError);
    expect((error as MessageFormatError).where.line).toBe(3);
    expect((error as Error).message).toMatch(/malformed JSON/);
  });

  it('rejects a truncated last line (a writer killed mid-line)', async () => {
    const { error } = await collect(['{"type":"STATE","value":{}}\n{"type":"RECORD","stream":"s","rec']);
    expect((error as MessageFormatError).where.line).toBe(2);
  });

  it.each([
    ['[1,2]', /must be a JSON object/],
    ['{"stream":"s"}', /no "type"/],
    ['{"type":"RECORD","record":{}}', /no "stream"/],
    ['{"type":"RECORD","stream":"s"}', /no "record" object/],
    ['{"type":"SCHEMA","stream":"s"}', /no "schema" object/],
    ['{"type":"SCHEMA","stream":"s","schema":{},"key_properties":"id"}', /key_properties/],
    ['{"type":"STATE"}', /no "value"/],
    ['{"type":"ACTIVATE_VERSION","stream":"s"}', /numeric "version"/],
    ['{"type":"BATCH","stream":"s","encoding":{"format":"jsonl"}}', /manifest/],
  ])('rejects %s', async (line, pattern) => {
    const { error } = await collect([`${line}\n`]);
    expect(error).toBeInstanceOf(MessageFormatError);
    expect((error as Error).message).toMatch(pattern);
    expect((error as MessageFormatError).where.line).toBe(1);
  });

  it('defaults missing key_properties to none, and passes unknown types through', async () => {
    const { messages } = await collect(['{"type":"SCHEMA","stream":"s","schema":{}}\n{"type":"CUSTOM","payload":1}\n']);
    expect((messages[0]!.message as { key_properties: string[] }).key_properties).toEqual([]);
    expect(messages[1]!.message).toEqual({ type: 'CUSTOM', payload: 1 });
  });

  it('enforces the maximum line length, even before the line ends', async () => {
    const { messages, error } = await collect(['{"type":"STATE","value":{}}\n', 'y'.repeat(600), 'y'.repeat(600)], 1000);
    expect(messages).toHaveLength(1);
    expect(error).toBeInstanceOf(LineTooLongError);
    expect((error as LineTooLongError).where.line).toBe(2);
  });
});

describe('lazy RECORD bodies', () => {
  async function lazy(text: string) {
    const out: ReadMessage[] = [];
    for await (const item of readMessages(Readable.from([text]), { lazyRecords: true })) out.push(item);
    return out;
  }

  it('reads the stream without parsing the body, and parses it on first access', async () => {
    const [compact, spaced] = await lazy('{"type":"RECORD","stream":"orders","record":{"id":1},"version":3}\n{"type": "RECORD", "stream": "orders", "record": {"id": 2}}\n');
    expect(compact!.message).toBeInstanceOf(LazyRecordMessage);
    const message = compact!.message as LazyRecordMessage;
    expect(message.stream).toBe('orders');
    expect(message.isParsed).toBe(false);
    expect(message.record).toEqual({ id: 1 });
    expect(message.version).toBe(3);
    expect(JSON.parse(JSON.stringify(message))).toEqual({ type: 'RECORD', stream: 'orders', record: { id: 1 }, version: 3 });
    expect((spaced!.message as LazyRecordMessage).stream).toBe('orders');
  });

  it('reports a malformed body when it is read, naming the line', async () => {
    const [, bad] = await lazy('{"type":"STATE","value":{}}\n{"type":"RECORD","stream":"s","record":{"id":}}\n');
    expect(() => (bad!.message as LazyRecordMessage).record).toThrow(MessageFormatError);
    try {
      void (bad!.message as LazyRecordMessage).record;
    } catch (error) {
      expect((error as MessageFormatError).where.line).toBe(2);
    }
  });

  it('parses in full anything not in the exact envelope shape', async () => {
    const items = await lazy('{"stream":"s","type":"RECORD","record":{}}\n{"type":"RECORD","stream":"a\\"b","record":{}}\n{"type":"STATE","value":{}}\n');
    expect(items.map((item) => item.message instanceof LazyRecordMessage)).toEqual([false, false, false]);
    expect(items[1]!.message).toMatchObject({ stream: 'a"b' });
  });

  it('rejects a body whose duplicate keys contradict the envelope', async () => {
    const [item] = await lazy('{"type":"RECORD","stream":"a","record":{},"stream":"b"}\n');
    expect(() => (item!.message as LazyRecordMessage).record).toThrow(/envelope does not match/);
  });
});
