import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DataError, Logger, MessageWriter, SyncError, type ProgramContext, type SchemaMessage } from '@tapline/protocol';
import { readProperty, runTarget, type BaseTargetConfig, type RecordBatch, type StreamSink, type TargetDriver } from '../src/index.js';

/** A destination in memory, whose `write` for one stream fails: the runtime's behaviour is what is tested. */
class MemoryDriver implements TargetDriver {
  readonly supportsActivateVersion = true;
  readonly tables = new Map<string, Record<string, unknown>[]>();
  readonly events: string[] = [];
  constructor(private readonly failing = new Set<string>()) {}
  async openStream(schema: SchemaMessage): Promise<StreamSink> {
    const rows = this.tables.get(schema.stream) ?? [];
    this.tables.set(schema.stream, rows);
    this.events.push(`open ${schema.stream} ${Object.keys(schema.schema.properties ?? {}).join(',')}`);
    return {
      write: async (batch: RecordBatch) => {
        if (this.failing.has(batch.stream)) throw new Error(`disk full while loading ${batch.stream}`);
        rows.push(...batch.records.map((r) => r.record));
        this.events.push(`write ${batch.stream} ${batch.records.length}`);
      },
      activateVersion: async (version: number) => {
        this.events.push(`activate ${schema.stream} ${version}`);
      },
    };
  }
}

async function run(lines: unknown[], driver: MemoryDriver, config: BaseTargetConfig = {}) {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const logLines: string[] = [];
  const context: ProgramContext<BaseTargetConfig> = {
    config,
    state: undefined,
    catalog: undefined,
    logger: new Logger({ program: 'target-memory', sink: { write: (text: string) => logLines.push(text.trimEnd()) } }),
    input: Readable.from([lines.map((line) => JSON.stringify(line)).join('\n')]),
    output: new MessageWriter(stdout),
    signal: new AbortController().signal,
    configFiles: [],
  };
  let error: unknown;
  try {
    await runTarget(context, driver);
  } catch (e) {
    error = e;
  }
  await context.output.drain();
  const states = Buffer.concat(chunks).toString().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { value: unknown }).value);
  return { error, states, logLines };
}

const schema = (stream: string) => ({ type: 'SCHEMA', stream, schema: { type: 'object', properties: { id: { type: 'integer' } } }, key_properties: ['id'] });
const record = (stream: string, id: number) => ({ type: 'RECORD', stream, record: { id } });

describe('target runtime', () => {
  it('keeps confirming healthy streams when one stream fails, then fails the run', async () => {
    const driver = new MemoryDriver(new Set(['bad']));
    const { error, states, logLines } = await run(
      [
        schema('good'),
        schema('bad'),
        { type: 'STATE', value: { bookmarks: { good: { id: 0 }, bad: { id: 0 } } } },
        record('good', 1),
        record('bad', 1),
        { type: 'STATE', value: { bookmarks: { good: { id: 1 }, bad: { id: 1 } } } },
        record('good', 2),
        record('bad', 2),
        { type: 'STATE', value: { bookmarks: { good: { id: 2 }, bad: { id: 2 } } } },
      ],
      driver,
      { batch_size_rows: 1 },
    );
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).where.stream).toBe('bad');
    expect(driver.tables.get('good')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(states).toEqual([
      { bookmarks: { good: { id: 0 }, bad: { id: 0 } } },
      { bookmarks: { good: { id: 1 }, bad: { id: 0 } } },
      { bookmarks: { good: { id: 2 }, bad: { id: 0 } } },
    ]);
    expect(logLines.some((line) => line.includes('disk full while loading bad') && line.includes('continuing with the other streams'))).toBe(true);
  });

  it('stops at the first failure when continue_on_stream_failure is off', async () => {
    const driver = new MemoryDriver(new Set(['bad']));
    const { error, states } = await run(
      [schema('bad'), schema('good'), record('bad', 1), { type: 'STATE', value: { bookmarks: { bad: { id: 1 } } } }, record('good', 1)],
      driver,
      { batch_size_rows: 1, continue_on_stream_failure: false },
    );
    expect(error).toBeInstanceOf(SyncError);
    expect(states).toEqual([]);
    expect(driver.tables.get('good')).toEqual([]);
  });

  it('loads records under the schema they were sent with before applying a new SCHEMA', async () => {
    const driver = new MemoryDriver();
    const wider = { ...schema('s'), schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } } };
    await run([schema('s'), record('s', 1), schema('s'), record('s', 2), wider, { type: 'RECORD', stream: 's', record: { id: 3, name: 'x' } }], driver);
    expect(driver.events).toEqual(['open s id', 'write s 2', 'open s id,name', 'write s 1']);
  });

  it('flushes pending records before ACTIVATE_VERSION and confirms the STATE after it', async () => {
    const driver = new MemoryDriver();
    const { states } = await run(
      [schema('s'), record('s', 1), { type: 'ACTIVATE_VERSION', stream: 's', version: 5 }, { type: 'STATE', value: { bookmarks: { s: { version: 5 } } } }],
      driver,
    );
    expect(driver.events).toEqual(['open s id', 'write s 1', 'activate s 5']);
    expect(states).toEqual([{ bookmarks: { s: { version: 5 } } }]);
  });

  it('commits a batch once it is old enough, while the input is idle', async () => {
    const driver = new MemoryDriver();
    const input = new PassThrough();
    const stdout = new PassThrough();
    const context: ProgramContext<BaseTargetConfig> = {
      config: { batch_max_age_seconds: 0.05 },
      state: undefined,
      catalog: undefined,
      logger: new Logger({ program: 't', level: 'error', sink: { write: () => undefined } }),
      input,
      output: new MessageWriter(stdout),
      signal: new AbortController().signal,
      configFiles: [],
    };
    const done = runTarget(context, driver);
    input.write(`${JSON.stringify(schema('s'))}\n${JSON.stringify(record('s', 1))}\n${JSON.stringify({ type: 'STATE', value: { bookmarks: { s: { id: 1 } } } })}\n`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(driver.tables.get('s')).toEqual([{ id: 1 }]);
    expect(String(stdout.read())).toBe('{"type":"STATE","value":{"bookmarks":{"s":{"id":1}}}}\n');
    input.end();
    await done;
  });
});

describe('target runtime, values the destination rejects', () => {
  /** A destination that rejects one value at load time, as a database rejects a string too long for its column. */
  class RejectingDriver extends MemoryDriver {
    override async openStream(schema: SchemaMessage): Promise<StreamSink> {
      const sink = await super.openStream(schema);
      return {
        write: async (batch: RecordBatch) => {
          const bad = batch.records.find((r) => r.record.id === 99);
          if (bad) throw new DataError('value too long for type character varying(5)', { column: 'name', line: bad.line });
          await sink.write(batch);
        },
      };
    }
  }

  it('commits what the last STATE covers when the final batch holds a rejected value, then fails', async () => {
    const driver = new RejectingDriver();
    const { error, states } = await run(
      [schema('s'), record('s', 1), record('s', 2), { type: 'STATE', value: { bookmarks: { s: { id: 2 } } } }, record('s', 3), record('s', 99), record('s', 4)],
      driver,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).where).toMatchObject({ stream: 's', column: 'name', line: 6 });
    expect(driver.tables.get('s')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(states).toEqual([{ bookmarks: { s: { id: 2 } } }]);
  });

  it('commits the records before a rejected value and prints the STATE that covers only them, when a later STATE covers the value', async () => {
    const driver = new RejectingDriver();
    const { error, states } = await run(
      [schema('s'), record('s', 1), record('s', 2), { type: 'STATE', value: { bookmarks: { s: { id: 2 } } } }, record('s', 99), record('s', 5), { type: 'STATE', value: { bookmarks: { s: { id: 5 } } } }],
      driver,
    );
    expect(error).toBeInstanceOf(DataError);
    expect(driver.tables.get('s')).toEqual([{ id: 1 }, { id: 2 }]);
    expect(states).toEqual([{ bookmarks: { s: { id: 2 } } }]);
  });

  it('prints no STATE when the rejected value is one the last STATE covers', async () => {
    const driver = new RejectingDriver();
    const { error, states } = await run([schema('s'), record('s', 1), record('s', 99), { type: 'STATE', value: { bookmarks: { s: { id: 99 } } } }], driver);
    expect(error).toBeInstanceOf(DataError);
    expect(states).toEqual([]);
    expect(driver.tables.get('s')).toEqual([]);
  });
});

describe('target runtime, records read from their bytes (a driver that scans records)', () => {
  class ScanningDriver extends MemoryDriver {
    readonly scansRecords = true;
    readonly seen: { stream: string; line: number; sequence: number; scanned: boolean; values: Record<string, unknown>; version: number | undefined }[] = [];
    override async openStream(schema: SchemaMessage): Promise<StreamSink> {
      const names = Object.keys(schema.schema.properties ?? {});
      return {
        write: async (batch: RecordBatch) => {
          for (const pending of batch.records) {
            const values: Record<string, unknown> = {};
            for (const name of names) {
              const value = readProperty(pending, name);
              if (value !== undefined) values[name] = value;
            }
            this.seen.push({ stream: batch.stream, line: pending.line, sequence: pending.sequence, scanned: pending.scanned !== undefined, values, version: pending.version });
          }
        },
      };
    }
  }
  const typed = (stream: string) => ({
    type: 'SCHEMA',
    stream,
    schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: ['null', 'string'], maxLength: 20 }, at: { type: 'string', format: 'date-time' } } },
    key_properties: ['id'],
  });

  it('gives the driver the same values, lines and order whether a line was scanned or parsed', async () => {
    const driver = new ScanningDriver();
    const lines = [
      typed('a'),
      typed('b'),
      { type: 'RECORD', stream: 'a', record: { id: 1, name: 'plain', at: '2020-01-01T00:00:00Z' }, version: 7 },
      { type: 'RECORD', stream: 'b', record: { id: 2, name: 'tab\there', at: '2020-01-01T00:00:00+05:30' } },
      { type: 'RECORD', stream: 'a', record: { id: 3, name: null, at: '2020-01-01 00:00:00' } },
      { type: 'RECORD', stream: 'b', record: { id: 4, name: 'caf\u00e9', at: '2020-01-01T00:00:00.123Z' } },
      { type: 'record', stream: 'a', record: { id: 5, at: '2020-02-29T23:59:59Z' } },
      { type: 'STATE', value: { n: 1 } },
    ];
    const { error, states } = await run(lines, driver);
    expect(error).toBeUndefined();
    expect(states).toEqual([{ n: 1 }]);
    const byLine = [...driver.seen].sort((x, y) => x.line - y.line);
    expect(byLine.map((s) => [s.stream, s.line, s.values, s.version])).toEqual([
      ['a', 3, { id: 1, name: 'plain', at: '2020-01-01T00:00:00Z' }, 7],
      ['b', 4, { id: 2, name: 'tab\there', at: '2020-01-01T00:00:00+05:30' }, undefined],
      ['a', 5, { id: 3, name: null, at: '2020-01-01 00:00:00' }, undefined],
      ['b', 6, { id: 4, name: 'caf\u00e9', at: '2020-01-01T00:00:00.123Z' }, undefined],
      ['a', 7, { id: 5, at: '2020-02-29T23:59:59Z' }, undefined],
    ]);
    // Sequences follow the input, and the plain lines really took the fast path (escapes and lower case did not).
    expect(byLine.map((s) => s.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(byLine.map((s) => s.scanned)).toEqual([true, false, true, false, false]);
  });

  it('reports a record that breaks its schema with the same error as without scanning', async () => {
    const lines = [typed('a'), { type: 'RECORD', stream: 'a', record: { id: 1, name: 'x'.repeat(21), at: '2020-01-01T00:00:00Z' } }];
    const scanned = await run(lines, new ScanningDriver());
    const parsed = await run(lines, new MemoryDriver());
    expect(scanned.error).toBeInstanceOf(DataError);
    expect(String(scanned.error)).toBe(String(parsed.error));
    expect((scanned.error as DataError).where).toMatchObject({ stream: 'a', line: 2, column: 'name' });
  });
});
