import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { executeProgram, validateConfig } from '@tapline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArrayRow,
  LazyRow,
  RecordEnvelope,
  RecordScanner,
  Spool,
  decodeBytes,
  numericKind,
  paramsFromState,
  paramsPlace,
  readParamsFile,
  revivedForm,
  savedForm,
  savedParamsText,
  stageConfigSchema,
  stageProgram,
  stateLineWithParams,
  stateWithParams,
  streamOptionsFor,
  writeParamsFile,
  type StageDefinition,
} from '../src/index.js';

/** A toy stage: subtracts the stream's mean from `x` (fitted), so order and params are easy to see. */
interface Params { mean: number }
function centerStage(options: { withColumns?: boolean } = {}): StageDefinition<{ columns?: string[] }, Params> {
  return {
    name: 'transform-center',
    planStream(schema) {
      if (!('x' in (schema.schema.properties ?? {}))) return undefined;
      let sum = 0;
      let count = 0;
      let mean = 0;
      return {
        outputSchema: { ...schema, schema: { ...schema.schema, properties: { ...schema.schema.properties, x: { type: 'number' } } } },
        ...(options.withColumns ? { columns: ['x'] } : {}),
        observe(record) {
          sum += record.x as number;
          count += 1;
        },
        fit: () => ({ mean: (mean = count === 0 ? 0 : sum / count) }),
        restore(params) {
          mean = params.mean;
        },
        transform(record) {
          if (record.x === 'drop') return null;
          record.x = (record.x as number) - mean;
          return record;
        },
        report: () => [`mean ${mean}`],
      };
    },
  };
}

/** The same toy stage by position (observeValues, transformValues), plus a `seen` flag it adds to every row. */
function centerByPosition(): StageDefinition<{ columns?: string[] }, Params> {
  return {
    name: 'transform-center',
    planStream(schema) {
      const record = centerStage({ withColumns: true }).planStream(schema, {}, undefined as never);
      if (record === undefined) return undefined;
      const plan = { ...record, columns: ['x', 'seen'] };
      return {
        ...plan,
        observeValues: (values) => {
          if (typeof values[0] === 'number') record.observe?.({ x: values[0] }, 0);
        },
        transformValues(values) {
          const row = record.transform({ x: values[0] }, 0);
          if (row === null) return false;
          values[0] = row.x;
          values[1] = true;
          return true;
        },
        transform(row) {
          const result = record.transform(row, 0);
          if (result !== null) result.seen = true;
          return result;
        },
      };
    },
  };
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'transform-base-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(stage: StageDefinition<{ columns?: string[] }, Params>, config: Record<string, unknown>, input: string) {
  const program = stageProgram({ stage, version: '0.0.1', description: 'test stage', configSchema: stageConfigSchema({ options: {} }) });
  const configPath = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(configPath, JSON.stringify(config));
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  let stderr = '';
  const code = await executeProgram(program, ['--config', configPath], {
    stdin: Readable.from([input]),
    stdout,
    stderr: { write: (text: string) => (stderr += text) },
    env: { TAPLINE_LOG_LEVEL: 'info' },
  });
  const text = Buffer.concat(chunks).toString('utf8');
  return { code, lines: text.split('\n').filter((line) => line !== ''), stderr };
}

const schemaLine = (stream: string) => JSON.stringify({ type: 'SCHEMA', stream, schema: { type: 'object', properties: { x: { type: 'integer' } } }, key_properties: [] });
const recordLine = (stream: string, x: unknown) => JSON.stringify({ type: 'RECORD', stream, record: { x } });
const stateLine = (value: unknown) => JSON.stringify({ type: 'STATE', value });

describe('transform-base runtime', () => {
  it('keeps every message in input order while a stream is fitted, and carries the params in STATE', async () => {
    const input = [
      schemaLine('a'),
      stateLine({ bookmarks: {} }),
      '{"type":"SCHEMA","stream":"other","schema":{"type":"object","properties":{"y":{"type":"string"}}},"key_properties":[]}',
      recordLine('a', 1),
      '{"type": "RECORD", "stream": "other", "record": {"y": "kept   as is"}}',
      stateLine({ bookmarks: { a: 1 } }),
      recordLine('a', 3),
      '{"type":"ACTIVATE_VERSION","stream":"a","version":7}',
      '{"type":"MYSTERY","payload":[1, 2]}',
      stateLine({ bookmarks: { a: 3 } }),
    ].join('\n');
    const { code, lines, stderr } = await run(centerStage(), {}, input);
    expect(code, stderr).toBe(0);
    const params = { 'transform-center': { version: 1, streams: { a: { mean: 2 } } } };
    expect(lines).toEqual([
      JSON.stringify({ type: 'SCHEMA', stream: 'a', schema: { type: 'object', properties: { x: { type: 'number' } } }, key_properties: [] }),
      stateLine({ bookmarks: {} }),
      '{"type":"SCHEMA","stream":"other","schema":{"type":"object","properties":{"y":{"type":"string"}}},"key_properties":[]}',
      recordLine('a', -1),
      '{"type": "RECORD", "stream": "other", "record": {"y": "kept   as is"}}',
      stateLine({ bookmarks: { a: 1 }, ...params }),
      recordLine('a', 1),
      '{"type":"ACTIVATE_VERSION","stream":"a","version":7}',
      '{"type":"MYSTERY","payload":[1, 2]}',
      stateLine({ bookmarks: { a: 3 }, ...params }),
    ]);
    expect(stderr).toContain('stream "a": mean 2');
  });

  it('spools to disk under spill_dir beyond the memory limit and replays in order', async () => {
    const spill = await mkdtemp(join(dir, 'spill-'));
    const lines = [schemaLine('a')];
    const n = 60_000; // ~2.6 MB of records plus long notes: past the 8 MB memory limit
    const pad = 'p'.repeat(120);
    for (let i = 0; i < n; i += 1) {
      lines.push(JSON.stringify({ type: 'RECORD', stream: 'a', record: { x: i % 2 === 0 ? 0 : 2, pad } }));
      if (i % 10_000 === 9_999) lines.push(stateLine({ at: i }));
    }
    const { code, lines: out, stderr } = await run(centerStage(), { spill_dir: spill }, lines.join('\n'));
    expect(code, stderr).toBe(0);
    expect(out).toHaveLength(lines.length);
    const states = out.filter((line) => line.includes('"STATE"')).map((line) => JSON.parse(line).value.at);
    expect(states).toEqual([9999, 19999, 29999, 39999, 49999, 59999]);
    // Every STATE comes right after the 10,000th record before it, as in the input.
    expect(out.findIndex((line) => line.includes('"STATE"'))).toBe(10_001);
    expect(JSON.parse(out[1] as string).record.x).toBe(-1);
    expect(await readdir(spill)).toEqual([]); // the spool file is removed
  });

  it('shows a plan that asks for it every record it fits on once more, in order, before fit', async () => {
    // A toy plan: the first pass only counts; the second records what it sees, by row or by record.
    const seen: string[][] = [];
    const twoPass = (byRow: boolean): StageDefinition<{ columns?: string[] }, Params> => ({
      name: 'transform-center',
      planStream(schema) {
        if (!('x' in (schema.schema.properties ?? {}))) return undefined;
        let pass = 0;
        let count = 0;
        let sum = 0;
        const look = (x: unknown, line: number) => {
          if (pass === 0) count += 1;
          else {
            (seen[pass - 1] ??= []).push(`${line}:${JSON.stringify(x)}`);
            sum += x as number;
          }
        };
        return {
          outputSchema: schema,
          columns: ['x'],
          ...(byRow ? { observeRow: (row, line) => look(row.value(0), line) } : {}),
          observe: (record, line) => look(record.x, line),
          observeAgain: () => {
            pass += 1;
            return pass === 1 && count > 1; // asked again after the second pass: no
          },
          fit: () => ({ mean: count === 0 ? 0 : sum / count }),
          restore() {},
          transform: (record) => ({ ...record, n: count }),
          transformRow: () => true,
          report: () => [`counted ${count}`],
        };
      },
    });
    const spill = await mkdtemp(join(dir, 'spill-'));
    const pad = 'q'.repeat(200);
    const input = [schemaLine('a'), schemaLine('b')];
    const wanted: string[] = [];
    for (let i = 0; i < 50_000; i += 1) {
      const line = input.length + 1;
      // Compact lines (scanned, their scan spooled) and json.dumps-style ones (parsed in full), two streams.
      if (i % 5 === 0) input.push(`{"type": "RECORD", "stream": "a", "record": {"x": ${i}, "pad": "${pad}"}}`);
      else input.push(JSON.stringify({ type: 'RECORD', stream: i % 7 === 0 ? 'b' : 'a', record: { x: i, pad } }));
      if (i % 5 === 0 || i % 7 !== 0) wanted.push(`${line}:${i}`);
      if (i % 10_000 === 0) input.push(stateLine({ at: i }));
    }
    for (const byRow of [true, false]) {
      seen.length = 0;
      const { code, lines, stderr } = await run(twoPass(byRow), { spill_dir: spill, streams: { b: { enabled: false } } }, input.join('\n'));
      expect(code, stderr).toBe(0);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.join('\n')).toBe(wanted.join('\n'));
      // Order kept and nothing changed, but the params carried in STATE.
      const withoutParams = (line: string) => (line.includes('"STATE"') ? JSON.stringify({ type: 'STATE', value: { at: JSON.parse(line).value.at } }) : line);
      expect(lines.map(withoutParams).join('\n')).toBe(input.join('\n'));
      expect(stderr).toContain(`counted ${wanted.length}`);
      expect(await readdir(spill)).toEqual([]);
    }
    // With fit_max_rows, the second pass sees the records fitted on, not those streamed after.
    seen.length = 0;
    const { code } = await run(twoPass(true), { fit_max_rows: 3, streams: { b: { enabled: false } } }, input.join('\n'));
    expect(code).toBe(0);
    expect(seen[0]).toEqual(wanted.slice(0, 3));
  });

  it('fits on the first fit_max_rows records and streams the rest with those parameters', async () => {
    const input = [schemaLine('a'), recordLine('a', 10), recordLine('a', 20), stateLine({ s: 1 }), recordLine('a', 100)].join('\n');
    const { lines } = await run(centerStage(), { fit_max_rows: 2 }, input);
    expect(lines.slice(1).map((line) => JSON.parse(line).record?.x ?? 'STATE')).toEqual([-5, 5, 'STATE', 85]);
  });

  it('fits the records under a changed SCHEMA on their own, carries the last plan\'s params, and restores them for every plan', async () => {
    const changed = JSON.stringify({ type: 'SCHEMA', stream: 'a', schema: { type: 'object', properties: { x: { type: 'integer' }, note: { type: 'string' } } }, key_properties: [] });
    const input = [schemaLine('a'), recordLine('a', 1), recordLine('a', 3), schemaLine('a'), recordLine('a', 5), changed, recordLine('a', 10), stateLine({ s: 1 }), recordLine('a', 30)];
    const xs = (lines: string[]) => lines.map((line) => JSON.parse(line)).filter((m) => m.type === 'RECORD').map((m) => m.record.x);
    // An unchanged SCHEMA keeps the plan; the changed one starts another, fitted on 10 and 30 alone.
    const first = await run(centerStage(), {}, input.join('\n'));
    expect(first.code, first.stderr).toBe(0);
    expect(xs(first.lines)).toEqual([-2, 0, 2, -10, 10]);
    expect(first.stderr).toContain('stream "a": SCHEMA changed at line 6; its records from here on get a plan of their own');
    expect(first.stderr).toContain('stream "a": mean 3');
    expect(first.stderr).toContain('stream "a": mean 20');
    const state = JSON.parse(first.lines.find((line) => line.startsWith('{"type":"STATE"')) as string).value;
    expect(state).toEqual({ s: 1, 'transform-center': { version: 1, streams: { a: { mean: 20 } } } });
    // The same with fit_max_rows: each plan fitted on its own first records.
    const capped = await run(centerStage(), { fit_max_rows: 1 }, input.join('\n'));
    expect(xs(capped.lines)).toEqual([0, 2, 4, 0, 20]);
    // The next run restores the saved params for every plan of the stream, whatever SCHEMA it comes under.
    const next = await run(centerStage(), {}, [stateLine(state), ...input.slice(0, 7)].join('\n'));
    expect(xs(next.lines)).toEqual([-19, -17, -15, -10]);
  });

  it('saves params to params_file, reuses them next run, and refits on request', async () => {
    const paramsFile = join(dir, 'center-params.json');
    const first = await run(centerStage(), { params_file: paramsFile }, [schemaLine('a'), recordLine('a', 4), recordLine('a', 6)].join('\n'));
    expect(first.code).toBe(0);
    expect(JSON.parse(await readFile(paramsFile, 'utf8'))).toEqual({ stage: 'transform-center', version: 1, streams: { a: { mean: 5 } } });
    const second = await run(centerStage(), { params_file: paramsFile }, [schemaLine('a'), recordLine('a', 100)].join('\n'));
    expect(JSON.parse(second.lines[1] as string).record.x).toBe(95);
    expect(second.stderr).toContain('parameters restored');
    const refit = await run(centerStage(), { params_file: paramsFile, refit: true }, [schemaLine('a'), recordLine('a', 100)].join('\n'));
    expect(JSON.parse(refit.lines[1] as string).record.x).toBe(0);
    expect(JSON.parse(await readFile(paramsFile, 'utf8')).streams.a.mean).toBe(100);
  });

  it('takes params from a STATE that arrives before the stream first record', async () => {
    const incoming = stateLine({ bookmarks: {}, 'transform-center': { version: 1, streams: { a: { mean: 1000 } } } });
    const { lines } = await run(centerStage(), {}, [incoming, schemaLine('a'), recordLine('a', 1001)].join('\n'));
    expect(lines[0]).toBe(incoming);
    expect(JSON.parse(lines[2] as string).record.x).toBe(1);
  });

  it('puts its params into an echoed STATE in place of the last run\'s, keeping the other members byte for byte', async () => {
    // A tap echoes the state it was given: the last run's params of every stage, and bookmarks in its own spelling.
    const echoed = (id: string) =>
      `{"type":"STATE","value":{"bookmarks":{"a":{"id":${id},"at":"2026-01-01T00:00:00.0Z"}},"transform-center":{"version":1,"streams":{"a":{"mean":7}}},"transform-other":{"version":1,"streams":{"a":{"k":1.50}}}}}`;
    const input = [schemaLine('a'), recordLine('a', 1), echoed('1.0E3'), recordLine('a', 3), echoed('12345678901234567890')].join('\n');
    const { code, lines, stderr } = await run(centerStage(), { refit: true }, input);
    expect(code, stderr).toBe(0);
    const params = '"transform-center":{"version":1,"streams":{"a":{"mean":2}}}';
    expect(lines[2]).toBe(echoed('1.0E3').replace('"transform-center":{"version":1,"streams":{"a":{"mean":7}}}', params));
    expect(lines[4]).toBe(echoed('12345678901234567890').replace('"transform-center":{"version":1,"streams":{"a":{"mean":7}}}', params));
    // A STATE in another shape is written in full, with the params after its other members.
    const spaced = '{"type": "STATE", "value": {"bookmarks": {"a": 1}}}';
    const second = await run(centerStage(), {}, [schemaLine('a'), recordLine('a', 1), spaced].join('\n'));
    expect(second.lines[2]).toBe(`{"type":"STATE","value":{"bookmarks":{"a":1},${params.replace('2', '1')}}}`);
  });

  it('drops rows a plan rejects and uses the column fast path with identical output', async () => {
    const input = [schemaLine('a'), recordLine('a', 1), recordLine('a', 'drop'), '{"type":"RECORD","stream":"a","record":{"z":[1,{"x":9}],"x":3}}'].join('\n');
    const slow = await run(centerStage(), { fit_max_rows: 1 }, input);
    const fast = await run(centerStage({ withColumns: true }), { fit_max_rows: 1 }, input);
    expect(fast.lines).toEqual(slow.lines);
    expect(fast.lines).toEqual([
      JSON.stringify({ type: 'SCHEMA', stream: 'a', schema: { type: 'object', properties: { x: { type: 'number' } } }, key_properties: [] }),
      recordLine('a', 0),
      '{"type":"RECORD","stream":"a","record":{"z":[1,{"x":9}],"x":2}}',
    ]);
    expect(fast.stderr).toContain('1 dropped');
  });

  it('hands values by position to plans that take them, adding the ones a record lacked', async () => {
    const input = [
      schemaLine('a'),
      recordLine('a', 1),
      recordLine('a', 'drop'),
      '{"type":"RECORD","stream":"a","record":{"z":[1,{"x":9}],"x":3}}',
      '{"type":"RECORD","stream":"a","record":{"seen":false,"x":5}}',
      '{"type":"RECORD","stream":"a","record":{"\\u0078":7}}',
    ].join('\n');
    const { lines, stderr } = await run(centerByPosition(), {}, input);
    expect(lines.slice(1)).toEqual([
      // Fitted mean 4 (1, 3, 5 by position; 7 from the record the scanner could not read).
      '{"type":"RECORD","stream":"a","record":{"x":-3,"seen":true}}',
      '{"type":"RECORD","stream":"a","record":{"z":[1,{"x":9}],"x":-1,"seen":true}}',
      '{"type":"RECORD","stream":"a","record":{"seen":true,"x":1}}',
      // An escaped key cannot be scanned: the line is parsed in full and transformed as a record.
      '{"type":"RECORD","stream":"a","record":{"x":3,"seen":true}}',
    ]);
    expect(stderr).toContain('1 dropped');
  });

  it('warns once at the end about streams and columns named in options that never appeared', async () => {
    const { code, stderr } = await run(centerStage(), { columns: ['nope'], streams: { a: { columns: ['x', 'missing'] }, ghost: {} } }, [schemaLine('a'), recordLine('a', 1)].join('\n'));
    expect(code).toBe(0);
    expect(stderr).toMatch(/WARN .*column "nope" named in columns never appeared/);
    expect(stderr).toMatch(/WARN .*column "missing" named in streams\.a\.columns never appeared in the SCHEMA of stream "a"/);
    expect(stderr).toMatch(/WARN .*stream "ghost" named in streams never appeared/);
    expect(stderr).not.toMatch(/column "x" named/);
  });

  it('rejects a RECORD before its SCHEMA with exit 6 and the line number', async () => {
    const { code, stderr } = await run(centerStage(), {}, [recordLine('a', 1)].join('\n'));
    expect(code).toBe(6);
    expect(stderr).toMatch(/line 1, stream "a": RECORD before any SCHEMA/);
  });

  it('rejects a malformed value of a column the stage reads with the line number, and writes no record of the unfinished fit', async () => {
    for (const bad of ['{"type":"RECORD","stream":"a","record":{"x":2x}}', '{"type":"RECORD","stream":"a","record":{"x":"tab\there"}}']) {
      const { code, stderr, lines } = await run(centerByPosition(), {}, [schemaLine('a'), recordLine('a', 1), bad, recordLine('a', 3)].join('\n'));
      expect(code, bad).toBe(6);
      expect(stderr).toMatch(/line 3: malformed JSON/);
      // The stream was still being fitted: no record of it was written.
      expect(lines.filter((line) => line.includes('"RECORD"'))).toEqual([]);
    }
  });

  it('writes integers beyond 2^53 back exactly, in records parsed in full and in STATE it adds params to', async () => {
    const input = [
      schemaLine('a'),
      '{"type":"STATE","value":{"bookmarks":{"a":{"replication_key_value":18446744073709551615}}}}',
      '{"type":"RECORD","stream":"a","record":{"\\u0078":4,"id":9223372036854775807,"n":{"m":[-12345678901234567890]}}}',
      '{"type":"RECORD","stream":"a","record":{"x":6,"id":9223372036854775806}}',
      '{"type":"STATE","value":{"bookmarks":{"a":{"replication_key_value":9223372036854775806}}}}',
    ].join('\n');
    for (const stage of [centerStage(), centerStage({ withColumns: true })]) {
      const { code, lines } = await run(stage, {}, input);
      expect(code).toBe(0);
      expect(lines.slice(1)).toEqual([
        '{"type":"STATE","value":{"bookmarks":{"a":{"replication_key_value":18446744073709551615}}}}',
        '{"type":"RECORD","stream":"a","record":{"x":-1,"id":9223372036854775807,"n":{"m":[-12345678901234567890]}}}',
        '{"type":"RECORD","stream":"a","record":{"x":1,"id":9223372036854775806}}',
        '{"type":"STATE","value":{"bookmarks":{"a":{"replication_key_value":9223372036854775806}},"transform-center":{"version":1,"streams":{"a":{"mean":5}}}}}',
      ]);
    }
  });

  it('keeps the text of lines in other shapes (json.dumps spaces, members in another order) and only edits values', async () => {
    const lines = [
      '{"type": "SCHEMA", "stream": "a", "schema": {"type": "object", "properties": {"x": {"type": "integer"}}}, "key_properties": []}',
      '{"type": "RECORD", "stream": "a", "record": {"x": 1, "note": "caf\u00e9"}}',
      '{"stream":"a","type":"RECORD","version":2,"record":{"x":3,"note":"é"}}',
      '{"type":"RECORD","record":{"x":5},"stream":"a"}',
    ];
    const { code, lines: out } = await run(centerByPosition(), {}, lines.join('\r\n'));
    expect(code).toBe(0);
    expect(out.slice(1)).toEqual([
      '{"type": "RECORD", "stream": "a", "record": {"x": -2, "note": "caf\u00e9","seen":true}}',
      '{"stream":"a","type":"RECORD","version":2,"record":{"x":0,"note":"é","seen":true}}',
      '{"type":"RECORD","record":{"x":2,"seen":true},"stream":"a"}',
    ]);
  });
});

/** Scan a whole line: the envelope first, then the record object. */
function scanLine(scanner: RecordScanner, line: string): { ok: boolean; bytes: Buffer } {
  const bytes = Buffer.from(line);
  const envelope = new RecordEnvelope();
  return { ok: envelope.read(bytes, 0, bytes.length) && scanner.scan(bytes, envelope.open, bytes.length), bytes };
}

describe('RecordScanner', () => {
  it('finds top-level members only, skipping nested objects, arrays and escaped quotes', () => {
    const scanner = new RecordScanner(['x', 'note', 'é']);
    const line = '{"type": "RECORD", "stream":"s","version":3,"record":{"note":"a \\"x\\": 1 ✓","nested":{"x":1,"arr":["}"]},"x" : -1.5e3 ,"é":"ü"},"time_extracted":"t"}';
    const { ok, bytes } = scanLine(scanner, line);
    expect(ok).toBe(true);
    expect(scanner.value(bytes, 0)).toBe(-1500);
    expect(scanner.value(bytes, 1)).toBe('a "x": 1 ✓');
    expect(scanner.value(bytes, 2)).toBe('ü');
    expect(scanner.members).toBe(4);
    expect(scanner.unknownKeys).toBe(1);
  });

  it('gives up on escaped keys, truncated lines, control characters and malformed wanted values', () => {
    const scanner = new RecordScanner(['x']);
    for (const line of [
      '{"type":"RECORD","stream":"s","record":{"\\u0078":1}}',
      '{"type":"RECORD","stream":"s","record":{"x":1',
      '{"type":"RECORD","stream":"s","record":{"x":"a\tb"}}', // a raw tab inside a string
      '{"type":"RECORD","stream":"s","record":{"x":01}}',
      '{"type":"RECORD","stream":"s","record":{"x":tru}}',
    ]) {
      expect(scanLine(scanner, line).ok, line).toBe(false);
    }
  });
});

describe('RecordEnvelope', () => {
  it('reads the stream of RECORD lines in the usual shapes and leaves the others to the full parse', () => {
    const envelope = new RecordEnvelope();
    const read = (line: string) => (envelope.read(Buffer.from(line), 0, Buffer.byteLength(line)) ? envelope.stream : undefined);
    expect(read('{"type":"RECORD","stream":"a","record":{}}')).toBe('a');
    expect(read('{"type":"RECORD","stream":"a","record":{"x":1}}')).toBe('a');
    expect(read('{"stream": "b", "type": "RECORD", "version": 2, "record": {}}')).toBe('b');
    expect(read('{"type":"RECORD","record":{},"stream":"a"}')).toBeUndefined();
    expect(read('{"type":"STATE","stream":"a","record":{}}')).toBeUndefined();
    expect(read('{"type":"RECORD","stream":"\\u0061","record":{}}')).toBeUndefined();
  });
});

/** What decodeBytes must give for a JSON text: JSON.parse's value, but an integer literal beyond 2^53 exact. */
function exactlyParsed(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return /^-?\d+$/.test(text) && !Number.isSafeInteger(value) ? BigInt(text) : value;
}

describe('decodeBytes', () => {
  it('reads values as JSON.parse does, integers beyond 2^53 as exact bigints', () => {
    for (const text of ['0', '-0', '12', '-3.25', '1e5', '1E-7', '2.5e+3', '1e300', '0.1', '"a\\"b"', '"ü"', 'null', 'true', '{"a":[1]}']) {
      const bytes = Buffer.from(text);
      expect(Object.is(decodeBytes(bytes, 0, bytes.length), JSON.parse(text)) || JSON.stringify(decodeBytes(bytes, 0, bytes.length)) === JSON.stringify(JSON.parse(text)), text).toBe(true);
    }
    for (const text of ['123456789012345678901', '9007199254740993', '-9223372036854775808', '18446744073709551615']) {
      const bytes = Buffer.from(text);
      expect(decodeBytes(bytes, 0, bytes.length), text).toBe(BigInt(text));
    }
    // 2^53 itself is a double exactly, but so is 2^53 + 1's rounding: past MAX_SAFE_INTEGER digits decide.
    expect(decodeBytes(Buffer.from('9007199254740991'), 0, 16)).toBe(9007199254740991);
    expect(decodeBytes(Buffer.from('9007199254740992'), 0, 16)).toBe(9007199254740992n);
    expect(decodeBytes(Buffer.from('12345678901234567890.5'), 0, 22)).toBe(12345678901234567890.5);
    expect(decodeBytes(Buffer.from('{"a":[12345678901234567890,1.5]}'), 0, 32)).toEqual({ a: [12345678901234567890n, 1.5] });
  });

  it('reads plain decimals from their digits to the same double as JSON.parse', () => {
    // Shortest forms of random doubles, fixed-point decimals, and the edges of the exact-mantissa path.
    let seed = 12345;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
    const texts = ['9007199254740991', '9007199254740992', '9007199254740993', '900719925474099.3', '90071992547409.93', '-9007199254740993', '0.0000000000000001', '-0.0', '00', '1.', '.5', '1.2.3', '12345678901234567.5'];
    for (let k = 0; k < 200_000; k += 1) {
      const scale = 10 ** Math.floor(random() * 30 - 12);
      const x = (random() - 0.3) * scale;
      texts.push(String(x), x.toFixed(Math.floor(random() * 17)), String(Math.floor(random() * 2 ** 54)));
    }
    let mismatches = 0;
    for (const text of texts) {
      let expected: unknown;
      try {
        expected = exactlyParsed(text);
      } catch {
        continue; // not JSON: isDecodable keeps such values away from decodeBytes
      }
      const bytes = Buffer.from(text);
      if (!Object.is(decodeBytes(bytes, 0, bytes.length), expected)) mismatches += 1;
    }
    expect(mismatches).toBe(0);
  });
});

describe('fitted params with exact integers', () => {
  it('save a bigint as {"$bigint": digits} and read it back exact, from STATE and from params_file', async () => {
    const params = { s: { value: 9223372036854775807n, pool: [1, -12345678901234567890n, 'x'], mean: 2.5 } };
    const state = stateWithParams({ bookmarks: {} }, 'transform-x', params) as Record<string, unknown>;
    expect(JSON.stringify(state)).toBe('{"bookmarks":{},"transform-x":{"version":1,"streams":{"s":{"value":{"$bigint":"9223372036854775807"},"pool":[1,{"$bigint":"-12345678901234567890"},"x"],"mean":2.5}}}}');
    expect(paramsFromState(JSON.parse(JSON.stringify(state)), 'transform-x')).toEqual(params);
    const file = join(dir, 'bigint-params.json');
    await writeParamsFile(file, 'transform-x', params);
    expect(await readParamsFile(file, 'transform-x')).toEqual(params);
    // Only the exact one-member shape is a saved bigint.
    expect(revivedForm({ $bigint: '12', other: 1 })).toEqual({ $bigint: '12', other: 1 });
    expect(revivedForm({ $bigint: '1.5' })).toEqual({ $bigint: '1.5' });
    expect(savedForm([1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('read a double beyond 2^53 that a state reader took for an exact integer back as that double', async () => {
    const { parseExact, stringifyExact } = await import('@tapline/protocol');
    // A range fitted on bigint ids: its max is the nearest double, written in its shortest form.
    const params = { s: { columns: { id: { min: 1, max: 12345678901234567890 } }, fill: 9007199254740993n } };
    const line = stringifyExact(stateWithParams({}, 'transform-x', params));
    expect(line).toContain('"max":12345678901234567000');
    expect(paramsFromState(parseExact(line), 'transform-x')).toEqual(params);
  });
});

describe('stateLineWithParams', () => {
  it('writes the same line as serializing the state with its params set, whatever the state holds', async () => {
    const { parseExact, stringifyExact } = await import('@tapline/protocol');
    const params = { s: { min: 0, max: 9223372036854775807n, pool: ['a', null] } };
    const text = savedParamsText(params);
    const lines = [
      '{"type":"STATE","value":{"bookmarks":{"s":{"id":12345678901234567890}}}}',
      // The stage's own key in the middle (a tap echoing the state it was given) stays in its place.
      '{"type":"STATE","value":{"a":1,"transform-x":{"version":1,"streams":{}},"z":[1,"é\\u0000"]}}',
      '{"type":"STATE","value":{"2":"integer-like keys come first","b":{},"1":true}}',
      '{"type":"STATE","value":{},"extra":{"kept":[1,2]}}',
      '{"value":{"__proto__":{"x":1},"q":"\\"quoted\\""},"type":"STATE"}',
    ];
    for (const line of lines) {
      const message = parseExact(line) as Record<string, unknown>;
      const expected = stringifyExact({ ...message, value: stateWithParams(message.value, 'transform-x', params) });
      expect(stateLineWithParams(message, 'transform-x', text)).toBe(expected);
    }
    expect(stateLineWithParams(parseExact(lines[0] as string) as Record<string, unknown>, 'transform-x', text)).toBe(
      '{"type":"STATE","value":{"bookmarks":{"s":{"id":12345678901234567890}},"transform-x":{"version":1,"streams":{"s":{"min":0,"max":{"$bigint":"9223372036854775807"},"pool":["a",null]}}}}}',
    );
  });
});

describe('paramsPlace', () => {
  const params = { s: { min: 0, max: 9223372036854775807n } };
  const text = savedParamsText(params);
  const spliced = (line: string): string | undefined => {
    const bytes = Buffer.from(line);
    const place = paramsPlace(bytes, 0, bytes.length, 'transform-x');
    if (place === undefined) return undefined;
    return `${bytes.subarray(0, place.from).toString()}${place.before}${text}${bytes.subarray(place.to).toString()}`;
  };

  it('puts the params in a compact STATE line as serializing the whole state would, leaving the other bytes as they came', async () => {
    const { parseExact, stringifyExact } = await import('@tapline/protocol');
    const lines = [
      '{"type":"STATE","value":{}}',
      '{"type":"STATE","value":{"bookmarks":{"s":{"id":12345678901234567890,"note":"a \\"}\\" ]["}}}}',
      // A tap echoes the state it was given: the stage's own params of the last run are replaced in place.
      '{"type":"STATE","value":{"a":[1,{"b":"}"}],"transform-x":{"version":1,"streams":{"s":{"min":5}}},"z":null}}',
      '{"type":"STATE","value":{"transform-x":{"version":1,"streams":{}}}}',
      '{"type":"STATE","value":{"transform-xy":1,"y":{"transform-x":2}}}',
    ];
    for (const line of lines) {
      const message = parseExact(line) as Record<string, unknown>;
      expect(spliced(line)).toBe(stringifyExact({ ...message, value: stateWithParams(message.value, 'transform-x', params) }));
    }
    // Bytes outside the params are kept as they came (a serializer would write 100 and 1).
    expect(spliced('{"type":"STATE","value":{"n":1e2,"m":1.0}}')).toBe(`{"type":"STATE","value":{"n":1e2,"m":1.0,"transform-x":${text}}}`);
  });

  it('leaves any other shape to a full serialization', () => {
    for (const line of [
      '{"value":{"a":1},"type":"STATE"}',
      '{"type":"STATE","value":{"a":1},"extra":{}}',
      '{"type":"STATE","value":{"transform\\u002dx":1}}',
      '{"type":"STATE","value":{"transform-x":1,"transform-x":2}}',
      '{"type":"STATE","value":{"transform-x" :1}}',
      '{"type":"STATE","value":{"a":1} }',
      '{"type":"STATE","value":[]}',
      '{"type":"STATE","value":null}',
      '{"type":"STATE","value":{"a":"unterminated}}',
    ]) {
      expect(spliced(line), line).toBeUndefined();
    }
  });
});

describe('RecordScanner.numberOrValue', () => {
  it('gives a string holding a decimal as the finite number Number() reads, and any other value as value() does', () => {
    const texts = ['12.50', '-0', '0', '00012', '.5', '5.', '-.5', '9007199254740991', '9007199254740993', '123456789012345678', '0.1234567890123456',
      '.', '-', '', ' 1', '1 ', '+1', '1e5', '1e400', '1.2.3', 'NaN', 'Infinity', '12a', 'é1', '1\\u0030'];
    const scanner = new RecordScanner(['v', 'n']);
    for (const text of texts) {
      const line = `{"type":"RECORD","stream":"s","record":{"v":"${text}","n":${text === '' || !/^-?\d/.test(text) ? 1 : 7}}}`;
      const bytes = Buffer.from(line);
      const envelope = new RecordEnvelope();
      expect(envelope.read(bytes, 0, bytes.length) && scanner.scan(bytes, envelope.open, bytes.length)).toBe(true);
      const value = scanner.value(bytes, 0);
      const number = scanner.numberOrValue(bytes, 0);
      if (typeof number === 'number') {
        // Only decimals are read from their digits, and to the double Number() gives.
        expect(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text), text).toBe(true);
        expect(Object.is(number, Number(value)), text).toBe(true);
      } else expect(number, text).toBe(value); // any other text (and 1e400, not finite): as value()
      // The usual decimals take the fast path.
      if (texts.indexOf(text) < 8) expect(typeof number, text).toBe('number');
      expect(scanner.numberOrValue(bytes, 1)).toBe(scanner.value(bytes, 1)); // numbers stay what decodeBytes gives
    }
  });
});

describe('RecordScanner with stopWhenFound', () => {
  it('stops at the last wanted column, and reads to the end when one is absent', () => {
    const scanner = new RecordScanner(['b'], true);
    const first = scanLine(scanner, '{"type":"RECORD","stream":"s","record":{"a":1,"b":"x","c":{"d":[1,2]}}}');
    expect(first.ok).toBe(true);
    expect(scanner.stoppedEarly).toBe(true);
    expect(scanner.value(first.bytes, 0)).toBe('x');
    const without = scanLine(scanner, '{"type":"RECORD","stream":"s","record":{"a":1,"c":2}}');
    expect(without.ok).toBe(true);
    expect(scanner.stoppedEarly).toBe(false);
    expect(scanner.keyStarts[0]).toBe(-1);
    expect(scanner.members).toBe(2);
    expect(String.fromCharCode(without.bytes[scanner.close] as number)).toBe('}');
  });
});

describe('Spool', () => {
  it('returns entries in order from memory and from disk, long ones included', async () => {
    for (const limit of [100, 1 << 30]) {
      const spool = new Spool(dir, limit);
      const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ✓`);
      lines.push('x'.repeat(3 * 1024 * 1024));
      lines.push('after the long one');
      // Lines of one buffer (kept as one run), lines of their own buffers, some with numbers.
      const text = Buffer.from(lines.slice(0, 300).map((line) => `${line}\r\n`).join(''));
      let start = 0;
      lines.forEach((line, i) => {
        const numbers = Int32Array.from([i, -i, 7]);
        const count = i % 3;
        if (i < 300) {
          const length = Buffer.byteLength(line);
          spool.append(i * 4 + 3, i + 1, text, start, start + length, start + length + 2, numbers, 1, count);
          start += length + 2;
          return;
        }
        const bytes = Buffer.from(`>${line}<`);
        spool.append(i * 4 + 3, i + 1, bytes, 1, bytes.length - 1, bytes.length - 1, numbers, 1, count);
      });
      const read: string[] = [];
      for (const entry of spool.drain()) {
        const i = read.length;
        expect(entry.tag).toBe(i * 4 + 3);
        expect(entry.line).toBe(i + 1);
        expect([...entry.index.subarray(entry.numbersAt, entry.numbersAt + entry.numbers)]).toEqual([-i, 7].slice(0, i % 3));
        expect(entry.next - entry.end).toBe(i < 300 ? 2 : 0);
        read.push(entry.bytes.toString('utf8', entry.start, entry.end));
      }
      expect(read).toEqual(lines);
    }
  });
});

describe('Spool.reread', () => {
  it('reads what is queued without taking it, from memory and from disk, and takes appends afterwards', async () => {
    for (const limit of [64, 1 << 30]) {
      const spool = new Spool(dir, limit);
      const text = (i: number) => `entry ${i} ${'z'.repeat(i % 50)}`;
      const append = (i: number) => {
        const bytes = Buffer.from(`${text(i)}\n`);
        spool.append(i, i + 1, bytes, 0, bytes.length - 1, bytes.length, Int32Array.from([i * 10]), 0, i % 2);
      };
      // The entry object is refilled from one entry to the next: read each as it comes.
      const read = (entries: Iterable<{ tag: number; line: number; bytes: Buffer; start: number; end: number; numbers: number; index: Int32Array; numbersAt: number }>) => {
        const texts: string[] = [];
        for (const e of entries) texts.push(`${e.tag}:${e.line}:${e.bytes.toString('utf8', e.start, e.end)}:${e.numbers > 0 ? e.index[e.numbersAt] : '-'}`);
        return texts;
      };
      const expected = (n: number) => Array.from({ length: n }, (_, i) => `${i}:${i + 1}:${text(i)}:${i % 2 ? i * 10 : '-'}`);
      for (let i = 0; i < 70_000; i += 1) append(i); // index slabs of 256 Ki int32s: more than one
      expect(read(spool.reread())).toEqual(expected(70_000));
      expect(read(spool.reread())).toEqual(expected(70_000));
      for (let i = 70_000; i < 70_010; i += 1) append(i);
      expect(read(spool.drain())).toEqual(expected(70_010));
      expect(() => [...spool.reread()]).toThrow(/after it was drained/);
    }
  });
});

describe('stageConfigSchema', () => {
  const schema = stageConfigSchema({
    options: { strategy: { type: 'string', enum: ['auto', 'mean'], default: 'auto' }, seed: { type: 'integer', default: 0 } },
  });

  it('fills defaults at the top level only, so a top-level value is not overridden per stream', () => {
    const config = validateConfig({ strategy: 'mean', streams: { orders: { seed: 7 } } }, schema as never);
    expect(config.streams).toEqual({ orders: { seed: 7 } });
    expect(streamOptionsFor<Record<string, unknown>>(config, 'orders')).toMatchObject({ strategy: 'mean', seed: 7, enabled: true });
    expect(streamOptionsFor<Record<string, unknown>>(config, 'other')).toMatchObject({ strategy: 'mean', seed: 0 });
  });

  it('per-stream option schemas carry no default anywhere', () => {
    const perStream = JSON.stringify((schema.properties as Record<string, { additionalProperties: unknown }>).streams.additionalProperties);
    expect(perStream).not.toContain('"default"');
    expect(JSON.stringify(schema.properties)).toContain('"default"');
  });
});

describe('numericKind', () => {
  it('reads integer, number, singer.decimal and the float-with-NaN-text shape tap-postgres sends', () => {
    expect(numericKind({ type: ['integer', 'null'] })).toBe('integer');
    expect(numericKind({ type: 'number' })).toBe('number');
    expect(numericKind({ type: ['null', 'string'], format: 'singer.decimal' })).toBe('decimal_string');
    expect(numericKind({ anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }, { type: 'null' }] })).toBe('number');
    expect(numericKind({ anyOf: [{ type: 'number' }, { type: 'string' }] })).toBeUndefined();
    expect(numericKind({ type: ['string', 'null'] })).toBeUndefined();
  });
});

describe('LazyRow', () => {
  it('answers missing, isNumber and value as an ArrayRow over the parsed record does', () => {
    const texts = ['null', '""', '" "', '"\\t"', "\"''\"", '"\\"\\""', '"a"', '" a"', '"a "', '"\\u0020"', '"\\u00a0"', '"\u00a0"', '"é"', '" é "', '"x\\ny"', '"\'"', '"\u007f"', '0', '-0', '-1.5e3', '12.25', 'true', 'false', '{}', '[]', '{"a":null}', '[""]'];
    const columns = ['a', 'b', 'c'];
    const scanner = new RecordScanner(columns);
    const lazy = new LazyRow();
    let compared = 0;
    for (const a of texts) {
      for (const b of texts) {
        // Column c is absent from every line.
        const { ok, bytes } = scanLine(scanner, `{"type":"RECORD","stream":"s","record":{"a":${a},"b":${b}}}`);
        expect(ok).toBe(true);
        const parsed = JSON.parse(`{"a":${a},"b":${b}}`) as Record<string, unknown>;
        const array = new ArrayRow(columns.map((column) => parsed[column]));
        for (const askValueFirst of [false, true]) {
          lazy.reset(scanner, bytes);
          for (let i = 0; i < columns.length; i += 1) {
            if (askValueFirst) expect(lazy.value(i)).toEqual(array.value(i));
            expect(lazy.missing(i), `${columns[i]} of ${a}, ${b}`).toBe(array.missing(i));
            expect(lazy.isNumber(i)).toBe(array.isNumber(i));
            expect(lazy.value(i)).toEqual(array.value(i));
            compared += 1;
          }
        }
      }
    }
    expect(compared).toBe(texts.length * texts.length * 6);
  });

  it('decodes only what is asked for, and set values are what is written', () => {
    const scanner = new RecordScanner(['a', 'b']);
    const { bytes } = scanLine(scanner, '{"type":"RECORD","stream":"s","record":{"a":"x","b":null}}');
    const row = new LazyRow();
    row.reset(scanner, bytes);
    expect(row.missing(0)).toBe(false);
    expect(row.missing(1)).toBe(true);
    expect(row.values[0]).toBe(row.before[0]); // neither decoded: both still the unread marker
    expect(typeof row.values[0]).toBe('symbol');
    row.set(1, 5);
    expect(row.value(1)).toBe(5);
    expect(row.before[1]).toBeNull();
    expect(row.missing(1)).toBe(false);
    expect(row.isNumber(1)).toBe(true);
  });
});
