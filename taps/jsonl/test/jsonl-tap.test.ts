import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProgram, type ProgramRun } from '@tapline/conformance';
import { parseExact } from '@tapline/protocol';

const bin = fileURLToPath(new URL('../bin/tap-jsonl.js', import.meta.url));

/** stdout read exactly (integers beyond 2^53 as bigints, as a Tapline target reads them), without time_extracted. */
function messages(run: ProgramRun): Record<string, unknown>[] {
  return run.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const { time_extracted: _, ...rest } = parseExact(line) as Record<string, unknown>;
      return rest;
    });
}
/** The RECORD lines of stdout as text, without time_extracted. */
function recordLines(run: ProgramRun): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{"type":"RECORD"'))
    .map((line) => line.replace(/,"time_extracted":"[^"]*"/, ''));
}
function records(run: ProgramRun): Record<string, unknown>[] {
  return run.messages.filter((m) => m.type === 'RECORD').map((m) => m.record as Record<string, unknown>);
}

describe('tap-jsonl', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tap-jsonl-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function file(name: string, content: string | Buffer, second = 0): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content);
    const time = new Date(Date.UTC(2024, 0, 1, 0, 0, second));
    await utimes(path, time, time);
    return path;
  }
  async function tap(config: Record<string, unknown>, extra: string[] = []): Promise<ProgramRun> {
    const configPath = join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify(config));
    return runProgram(bin, { args: ['--config', configPath, ...extra], cwd: dir });
  }

  it('infers a schema, keeps objects, arrays and every digit, and emits exact RECORD and STATE lines', async () => {
    const path = await file(
      'events.jsonl',
      '{"id":1,"kind":"click","at":"2024-01-05T10:00:00Z","day":"2024-01-05","n":1,"attrs":{"a":[1,2]},"tags":["x"],"big":123456789012345678901234567890}\r\n' +
        '\n' +
        '{"id":2,"kind":null,"at":"2024-01-06 11:00:00","day":"2024-01-06","n":2.5,"attrs":null,"tags":[],"big":1,"ok":true}\n',
    );
    const run = await tap({ streams: [{ name: 'events', paths: ['*.jsonl'], key_properties: ['id'] }] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('"big":123456789012345678901234567890}');
    expect(messages(run)).toEqual([
      {
        type: 'SCHEMA',
        stream: 'events',
        schema: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            kind: { type: ['null', 'string'] },
            at: { type: ['null', 'string'], format: 'date-time' },
            day: { type: ['null', 'string'], format: 'date' },
            n: { type: ['null', 'number'] },
            attrs: { type: ['null', 'object'] },
            tags: { type: ['null', 'array'] },
            big: { type: ['null', 'integer'] },
            ok: { type: ['null', 'boolean'] },
          },
        },
        key_properties: ['id'],
      },
      { type: 'RECORD', stream: 'events', record: { id: 1, kind: 'click', at: '2024-01-05T10:00:00Z', day: '2024-01-05', n: 1, attrs: { a: [1, 2] }, tags: ['x'], big: 123456789012345678901234567890n } },
      { type: 'RECORD', stream: 'events', record: { id: 2, kind: null, at: '2024-01-06 11:00:00', day: '2024-01-06', n: 2.5, attrs: null, tags: [], big: 1, ok: true } },
      {
        type: 'STATE',
        value: { bookmarks: { events: { last_replication_method: 'INCREMENTAL', last_modified: '2024-01-01T00:00:00.000Z', last_file: path } }, currently_syncing: null },
      },
    ]);
  });

  describe('integers beyond 2^53: read exactly, emitted with every digit', () => {
    const lines = [
      '{"id":9223372036854775807,"n":18446744073709551615,"o":{"a":[12345678901234567890]},"s":"x"}',
      '{"id":-9223372036854775808,"n":9007199254740993,"o":[9007199254740993,{"b":-9223372036854775808}],"s":"y"}',
      '{"id":9007199254740992,"n":1,"o":null,"s":"z"}',
    ];

    it('infers integer for them and emits the lines digit for digit; STATE holds the file bookmark', async () => {
      const path = await file('big.jsonl', `${lines.join('\n')}\n`, 3);
      const run = await tap({ streams: [{ name: 'big', paths: ['big.jsonl'], key_properties: ['id'] }] });
      expect(run.code, run.stderr).toBe(0);
      const out = run.stdout.split('\n').filter((line) => line !== '');
      expect(out[0]).toBe(
        '{"type":"SCHEMA","stream":"big","schema":{"type":"object","properties":{"id":{"type":"integer"},"n":{"type":["null","integer"]},"o":{"type":["null","object","array"]},"s":{"type":["null","string"]}}},"key_properties":["id"]}',
      );
      expect(recordLines(run)).toEqual(lines.map((line) => `{"type":"RECORD","stream":"big","record":${line}}`));
      expect(out.at(-1)).toBe(
        `{"type":"STATE","value":{"bookmarks":{"big":{"last_replication_method":"INCREMENTAL","last_modified":"2024-01-01T00:00:03.000Z","last_file":${JSON.stringify(path)}}},"currently_syncing":null}}`,
      );
    });

    it('keeps every digit when records are rebuilt: a deselected property, metadata columns, a schema from config', async () => {
      const path = await file('big.jsonl', `${lines.join('\n')}\n`, 3);
      const config = {
        add_metadata_columns: true,
        streams: [{ name: 'big', paths: ['big.jsonl'], key_properties: ['id'], schema: { type: 'object', properties: { id: { type: 'integer' }, n: { type: 'number' }, o: {}, s: { type: 'string' } } } }],
      };
      const discovered = await tap(config, ['--discover']);
      const catalog = JSON.parse(discovered.stdout) as { streams: { metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[] };
      catalog.streams[0]!.metadata.find((m) => m.breadcrumb[1] === 's')!.metadata.selected = false;
      await writeFile(join(dir, 'catalog.json'), JSON.stringify(catalog));
      const run = await tap(config, ['--catalog', join(dir, 'catalog.json')]);
      expect(run.code, run.stderr).toBe(0);
      const meta = (lineno: number) => `"_sdc_source_file":${JSON.stringify(path)},"_sdc_source_file_mtime":"2024-01-01T00:00:03.000Z","_sdc_source_lineno":${lineno}`;
      expect(recordLines(run)).toEqual([
        `{"type":"RECORD","stream":"big","record":{"id":9223372036854775807,"n":18446744073709551615,"o":{"a":[12345678901234567890]},${meta(1)}}}`,
        `{"type":"RECORD","stream":"big","record":{"id":-9223372036854775808,"n":9007199254740993,"o":[9007199254740993,{"b":-9223372036854775808}],${meta(2)}}}`,
        `{"type":"RECORD","stream":"big","record":{"id":9007199254740992,"n":1,"o":null,${meta(3)}}}`,
      ]);
    });

    it('errors still name the value with every digit', async () => {
      const path = await file('e.jsonl', '{"id":1,"s":"a"}\n{"id":2,"s":{"a":[12345678901234567890]}}\n');
      const run = await tap({ streams: [{ name: 'e', paths: ['e.jsonl'], schema: { properties: { id: { type: 'integer' }, s: { type: ['null', 'string'] } } } }] });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toContain(`file ${path}, line 2, stream "e", column "s": {"a":[12345678901234567890]} is not null or string`);
      await file('e.jsonl', '18446744073709551615\n');
      const number = await tap({ streams: [{ name: 'e', paths: ['e.jsonl'] }] });
      expect(number.code).toBe(6);
      expect(number.errLines.at(-1)).toContain(`file ${path}, line 1, stream "e": the line is a number, not a JSON object`);
    });
  });

  it('INCREMENTAL: a second run emits only the records of new files', async () => {
    await file('a.jsonl', '{"id":1}\n{"id":2}\n', 1);
    const config = { streams: [{ name: 's', paths: ['*.jsonl'], key_properties: ['id'] }] };
    const first = await tap(config);
    expect(records(first)).toEqual([{ id: 1 }, { id: 2 }]);
    await writeFile(join(dir, 'state.txt'), first.stdout); // a file of messages: the last STATE wins
    const later = await file('b.jsonl', '{"id":3}\n', 2);
    const second = await tap(config, ['--state', join(dir, 'state.txt')]);
    expect(second.code, second.stderr).toBe(0);
    expect(records(second)).toEqual([{ id: 3 }]);
    expect(second.states.at(-1)).toEqual({
      bookmarks: { s: { last_replication_method: 'INCREMENTAL', last_modified: '2024-01-01T00:00:02.000Z', last_file: later } },
      currently_syncing: null,
    });
  });

  it('a schema from config, deselected properties and metadata columns', async () => {
    const path = await file('p.jsonl', '{"id":1,"name":"Ada","secret":"x"}\n', 4);
    const config = {
      add_metadata_columns: true,
      streams: [{ name: 'p', paths: ['p.jsonl'], schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' }, secret: { type: 'string' } } } }],
    };
    const discovered = await tap(config, ['--discover']);
    const catalog = JSON.parse(discovered.stdout) as { streams: { metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[] };
    catalog.streams[0]!.metadata.find((m) => m.breadcrumb[1] === 'secret')!.metadata.selected = false;
    await writeFile(join(dir, 'catalog.json'), JSON.stringify(catalog));
    const run = await tap(config, ['--catalog', join(dir, 'catalog.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(records(run)).toEqual([{ id: 1, name: 'Ada', _sdc_source_file: path, _sdc_source_file_mtime: '2024-01-01T00:00:04.000Z', _sdc_source_lineno: 1 }]);
  });

  it('reads gzipped files (.gz) and says so when one is not gzip', async () => {
    await file('a.jsonl.gz', gzipSync('{"id":1}\n{"id":2}\n'), 1);
    const run = await tap({ streams: [{ name: 'z', paths: ['*.jsonl.gz'] }] });
    expect(run.code, run.stderr).toBe(0);
    expect(records(run)).toEqual([{ id: 1 }, { id: 2 }]);
    const bad = await file('b.jsonl.gz', '{"id":3}\n', 2);
    const failed = await tap({ streams: [{ name: 'z', paths: ['*.jsonl.gz'], schema: { properties: { id: { type: 'integer' } } } }] });
    expect(failed.code).toBe(6);
    expect(failed.errLines.at(-1)).toContain(`data error: file ${bad}: the file is not valid gzip`);
  });

  describe('bad input: one clear line and a non-zero exit', () => {
    it('a malformed line names the file and line (exit 6)', async () => {
      const path = await file('m.jsonl', '{"id":1}\n{"id":2,\n');
      const run = await tap({ streams: [{ name: 'm', paths: ['m.jsonl'], schema: { properties: { id: { type: 'integer' } } } }] });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toMatch(new RegExp(`data error: file ${path}, line 2, stream "m": malformed JSON: .*Each line must be one complete JSON object`));
    });

    it('a line that is not an object, a property outside the schema, a missing key', async () => {
      const path = await file('n.jsonl', '[1,2]\n');
      const schema = { properties: { id: { type: 'integer' } } };
      const notObject = await tap({ streams: [{ name: 'n', paths: ['n.jsonl'], schema }] });
      expect(notObject.code).toBe(6);
      expect(notObject.errLines.at(-1)).toContain(`file ${path}, line 1, stream "n": the line is an array, not a JSON object`);
      await file('n.jsonl', '{"id":1}\n{"id":2,"extra":true}\n');
      const extra = await tap({ streams: [{ name: 'n', paths: ['n.jsonl'], schema }] });
      expect(extra.errLines.at(-1)).toContain(`file ${path}, line 2, stream "n", column "extra": property "extra" is not in the stream's schema`);
      await file('n.jsonl', '{"id":1}\n{"id":null}\n');
      const key = await tap({ streams: [{ name: 'n', paths: ['n.jsonl'], key_properties: ['id'], schema }] });
      expect(key.code).toBe(6);
      expect(key.errLines.at(-1)).toContain(`file ${path}, line 2, stream "n", column "id": key property "id" is missing`);
    });

    it('invalid UTF-8 and a missing file', async () => {
      const path = await file('u.jsonl', Buffer.concat([Buffer.from('{"id":1}\n{"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
      const run = await tap({ streams: [{ name: 'u', paths: ['u.jsonl'] }] });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toContain(`data error: file ${path}, line 2: the file is not valid utf-8 (byte 7 of the line)`);
      const missing = await tap({ streams: [{ name: 'u', paths: ['missing.jsonl'] }] });
      expect(missing.code).toBe(4);
      expect(missing.errLines.at(-1)).toContain(`file ${join(dir, 'missing.jsonl')} does not exist`);
    });
  });
});
