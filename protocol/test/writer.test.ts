import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MessageWriter, recordMessage, stateMessage } from '../src/index.js';

describe('MessageWriter', () => {
  it('joins many messages into few writes, one line each', async () => {
    const writes: string[] = [];
    const output = new Writable({
      write(chunk, _encoding, callback) {
        writes.push(chunk.toString());
        callback();
      },
    });
    const writer = new MessageWriter(output, { flushSize: 1024 });
    for (let i = 0; i < 100; i += 1) writer.write(recordMessage('s', { i }));
    writer.write(stateMessage({ bookmarks: { s: { i: 99 } } }));
    await writer.close();
    const text = writes.join('');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(101);
    expect(JSON.parse(lines[0]!)).toEqual({ type: 'RECORD', stream: 's', record: { i: 0 } });
    expect(JSON.parse(lines[100]!)).toEqual({ type: 'STATE', value: { bookmarks: { s: { i: 99 } } } });
    expect(writes.length).toBeLessThan(10);
  });

  it('leaves no listeners behind after many waits for drain', async () => {
    const output = new PassThrough({ highWaterMark: 16 });
    output.resume();
    const writer = new MessageWriter(output, { flushSize: 1 });
    const before = { close: output.listenerCount('close'), error: output.listenerCount('error'), drain: output.listenerCount('drain') };
    for (let i = 0; i < 50; i += 1) {
      if (!writer.write(recordMessage('s', { text: 'x'.repeat(100), i }))) await writer.drain();
    }
    await writer.close();
    expect({ close: output.listenerCount('close'), error: output.listenerCount('error'), drain: output.listenerCount('drain') }).toEqual(before);
  });

  it('reports backpressure and waits for drain', async () => {
    const output = new PassThrough({ highWaterMark: 64 });
    const writer = new MessageWriter(output, { flushSize: 10 });
    const ok = writer.write(recordMessage('s', { text: 'x'.repeat(200) }));
    expect(ok).toBe(false);
    let drained = false;
    const waiting = writer.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false); // nobody is reading yet
    output.resume();
    await waiting;
    expect(drained).toBe(true);
  });

  it('flushes a slow trickle on a timer', async () => {
    const output = new PassThrough();
    const writer = new MessageWriter(output, { flushIntervalMs: 20 });
    writer.write(stateMessage({ a: 1 }));
    expect(output.read()).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(String(output.read())).toBe('{"type":"STATE","value":{"a":1}}\n');
  });
});

describe('MessageWriter.writeBytes', () => {
  it('keeps lines and byte blocks in the order they were queued', async () => {
    const sink = new PassThrough();
    const parts: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => parts.push(chunk));
    const writer = new MessageWriter(sink);
    writer.writeLine('{"type":"STATE","value":1}');
    writer.writeBytes(Buffer.from('{"type":"RECORD","stream":"s","record":{}}\n{"type":"RECORD","stream":"s","record":{}}\n'), 2);
    writer.writeLine('{"type":"STATE","value":2}');
    await writer.close();
    expect(Buffer.concat(parts).toString()).toBe(
      '{"type":"STATE","value":1}\n{"type":"RECORD","stream":"s","record":{}}\n{"type":"RECORD","stream":"s","record":{}}\n{"type":"STATE","value":2}\n',
    );
    expect(writer.linesWritten).toBe(4);
  });
});
