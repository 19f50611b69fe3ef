import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProgram, type ProgramRun } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/tap-csv.js', import.meta.url));

/** stdout messages without time_extracted, which changes every run. */
function messages(run: ProgramRun): Record<string, unknown>[] {
  return run.messages.map(({ time_extracted: _, ...rest }) => rest);
}
function records(run: ProgramRun): Record<string, unknown>[] {
  return run.messages.filter((m) => m.type === 'RECORD').map((m) => m.record as Record<string, unknown>);
}

describe('tap-csv', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tap-csv-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Write a file with a fixed modification time (seconds since 2024-01-01). */
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

  it('keeps messy header names, infers types, and emits exact RECORD and STATE lines', async () => {
    const path = await file(
      'orders.csv',
      'Order ID,Customer Name ,amount ($),Order Date,paid,created,note\n' +
        '1,Ada,12.50,2024-01-05,true,2024-01-05 10:00:00,"hello, ""world"""\n' +
        '2,,7,01/06/2024,FALSE,2024-01-06T11:30:00Z,\n' +
        '3,Grace,0.25,Jan 7 2024,true,2024-01-07T00:00:00+02:00,"two\nlines"\n',
    );
    const run = await tap({ streams: [{ name: 'orders', paths: ['orders.csv'], key_properties: ['Order ID'] }] });
    expect(run.code, run.stderr).toBe(0);
    expect(messages(run)).toEqual([
      {
        type: 'SCHEMA',
        stream: 'orders',
        schema: {
          type: 'object',
          properties: {
            'Order ID': { type: 'integer' },
            'Customer Name ': { type: ['null', 'string'] },
            'amount ($)': { type: ['null', 'string'], format: 'singer.decimal' },
            'Order Date': { type: ['null', 'string'] },
            paid: { type: ['null', 'boolean'] },
            created: { type: ['null', 'string'], format: 'date-time' },
            note: { type: ['null', 'string'] },
          },
        },
        key_properties: ['Order ID'],
      },
      { type: 'RECORD', stream: 'orders', record: { 'Order ID': 1, 'Customer Name ': 'Ada', 'amount ($)': '12.50', 'Order Date': '2024-01-05', paid: true, created: '2024-01-05 10:00:00', note: 'hello, "world"' } },
      { type: 'RECORD', stream: 'orders', record: { 'Order ID': 2, 'Customer Name ': null, 'amount ($)': '7', 'Order Date': '01/06/2024', paid: false, created: '2024-01-06T11:30:00Z', note: null } },
      { type: 'RECORD', stream: 'orders', record: { 'Order ID': 3, 'Customer Name ': 'Grace', 'amount ($)': '0.25', 'Order Date': 'Jan 7 2024', paid: true, created: '2024-01-07T00:00:00+02:00', note: 'two\nlines' } },
      {
        type: 'STATE',
        value: {
          bookmarks: { orders: { last_replication_method: 'INCREMENTAL', last_modified: '2024-01-01T00:00:00.000Z', last_file: path } },
          currently_syncing: null,
        },
      },
    ]);
    expect(run.errLines).toContain('METRIC: {"type":"counter","metric":"record_count","value":3,"tags":{"stream":"orders"}}');
  });

  it('discovers: dates, decimals as numbers on request, null_values, ambiguous values stay strings, BOM skipped', async () => {
    await file('a.csv', '\uFEFFid;zip;day;score;flag;mixed\n1;007;2024-02-29;1.5;true;1\n2;01234;2024-03-01;NA;false;x\n3;NA;NA;2;NA;2.5\n');
    const run = await tap({ delimiter: ';', decimals: 'number', null_values: ['', 'NA'], streams: [{ name: 'a', paths: ['*.csv'] }] }, ['--discover']);
    expect(run.code, run.stderr).toBe(0);
    const catalog = JSON.parse(run.stdout) as { streams: { schema: unknown; metadata: unknown[] }[] };
    expect(catalog.streams[0]!.schema).toEqual({
      type: 'object',
      properties: {
        id: { type: ['null', 'integer'] },
        zip: { type: ['null', 'string'] },
        day: { type: ['null', 'string'], format: 'date' },
        score: { type: ['null', 'number'] },
        flag: { type: ['null', 'boolean'] },
        mixed: { type: ['null', 'string'] },
      },
    });
    expect(catalog.streams[0]!.metadata[0]).toEqual({ breadcrumb: [], metadata: { inclusion: 'available', 'table-key-properties': [], 'replication-method': 'INCREMENTAL', 'selected-by-default': true } });
  });

  it('INCREMENTAL: a second run reads only files newer than the bookmark (by modification time, then name)', async () => {
    await file('orders-1.csv', 'id,amount\n1,10\n2,20\n', 10);
    const second = await file('orders-2.csv', 'id,amount\n3,30\n', 20);
    const config = { streams: [{ name: 'orders', paths: ['orders-*.csv'], key_properties: ['id'] }] };
    const first = await tap(config);
    expect(first.code, first.stderr).toBe(0);
    expect(records(first).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(first.states.at(-1)).toEqual({
      bookmarks: { orders: { last_replication_method: 'INCREMENTAL', last_modified: '2024-01-01T00:00:20.000Z', last_file: second } },
      currently_syncing: null,
    });
    await writeFile(join(dir, 'state.json'), `${JSON.stringify(first.states.at(-1))}\n`);

    // Same modification time as orders-2 but a later name: new. An older time: already read.
    const third = await file('orders-3.csv', 'id,amount\n4,40\n5,50\n', 20);
    await file('orders-0.csv', 'id,amount\n99,0\n', 5);
    const next = await tap(config, ['--state', join(dir, 'state.json')]);
    expect(next.code, next.stderr).toBe(0);
    expect(messages(next).filter((m) => m.type !== 'SCHEMA')).toEqual([
      { type: 'STATE', value: first.states.at(-1) },
      { type: 'RECORD', stream: 'orders', record: { id: 4, amount: 40 } },
      { type: 'RECORD', stream: 'orders', record: { id: 5, amount: 50 } },
      {
        type: 'STATE',
        value: { bookmarks: { orders: { last_replication_method: 'INCREMENTAL', last_modified: '2024-01-01T00:00:20.000Z', last_file: third } }, currently_syncing: null },
      },
    ]);

    // Nothing new: no records, the same bookmark is emitted again.
    await writeFile(join(dir, 'state.json'), `${JSON.stringify(next.states.at(-1))}\n`);
    const idle = await tap(config, ['--state', join(dir, 'state.json')]);
    expect(records(idle)).toEqual([]);
    expect(idle.states.at(-1)).toEqual(next.states.at(-1));

    // A file rewritten later (a new modification time) is read again, whole.
    const rewritten = await file('orders-1.csv', 'id,amount\n1,10\n2,20\n6,60\n', 30);
    const again = await tap(config, ['--state', join(dir, 'state.json')]);
    expect(records(again).map((r) => r.id)).toEqual([1, 2, 6]);
    expect(again.states.at(-1)).toEqual({
      bookmarks: { orders: { last_replication_method: 'INCREMENTAL', last_modified: '2024-01-01T00:00:30.000Z', last_file: rewritten } },
      currently_syncing: null,
    });
  });

  it('files may differ in columns: every header counts, even past the sample, and a missing column is null', async () => {
    await file('v1.csv', 'id,name\n1,Ada\n2,Grace\n', 1);
    await file('v2.csv', 'name,id,city\nLinus,3,Helsinki\n', 2);
    const run = await tap({ sample_rows: 1, streams: [{ name: 'v', paths: ['v*.csv'] }] });
    expect(run.code, run.stderr).toBe(0);
    expect((run.messages[0]!.schema as { properties: unknown }).properties).toEqual({
      id: { type: ['null', 'integer'] },
      name: { type: ['null', 'string'] },
      city: { type: ['null', 'string'] },
    });
    expect(records(run)).toEqual([
      { id: 1, name: 'Ada', city: null },
      { id: 2, name: 'Grace', city: null },
      { id: 3, name: 'Linus', city: 'Helsinki' },
    ]);
  });

  it('checkpoints inside a large file and resumes after the records already emitted', async () => {
    const path = await file('big.csv', `id\n${Array.from({ length: 5 }, (_, i) => i + 1).join('\n')}\n`, 1);
    const run = await tap({ state_every_rows: 2, streams: [{ name: 'big', paths: ['big.csv'] }] });
    expect(run.states).toEqual([
      { bookmarks: { big: { last_replication_method: 'INCREMENTAL', file_resume: { file: path, modified: '2024-01-01T00:00:01.000Z', records: 2 } } }, currently_syncing: 'big' },
      { bookmarks: { big: { last_replication_method: 'INCREMENTAL', file_resume: { file: path, modified: '2024-01-01T00:00:01.000Z', records: 4 } } }, currently_syncing: 'big' },
      { bookmarks: { big: { last_replication_method: 'INCREMENTAL', last_modified: '2024-01-01T00:00:01.000Z', last_file: path } }, currently_syncing: null },
    ]);
    // As if the run had died after the second checkpoint.
    await writeFile(join(dir, 'state.json'), JSON.stringify(run.states[1]));
    const resumed = await tap({ streams: [{ name: 'big', paths: ['big.csv'] }] }, ['--state', join(dir, 'state.json')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(records(resumed)).toEqual([{ id: 5 }]);
  });

  it('reads a file again from the start when it changed since the checkpoint inside it', async () => {
    const path = await file('c.csv', 'id\n1\n2\n3\n', 1);
    const state = { bookmarks: { c: { last_replication_method: 'INCREMENTAL', file_resume: { file: path, modified: '2024-01-01T00:00:00.500Z', records: 2 } } } };
    await writeFile(join(dir, 'state.json'), JSON.stringify(state));
    const run = await tap({ streams: [{ name: 'c', paths: ['c.csv'] }] }, ['--state', join(dir, 'state.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(records(run)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  it('FULL_TABLE reads every file on every run', async () => {
    await file('x.csv', 'id\n1\n', 1);
    const config = { streams: [{ name: 'x', paths: ['x.csv'], replication_method: 'FULL_TABLE' }] };
    const first = await tap(config);
    await writeFile(join(dir, 'state.json'), JSON.stringify(first.states.at(-1)));
    const second = await tap(config, ['--state', join(dir, 'state.json')]);
    expect(records(second)).toEqual([{ id: 1 }]);
    expect(second.states.at(-1)).toEqual({ bookmarks: { x: { last_replication_method: 'FULL_TABLE' } }, currently_syncing: null });
  });

  it('reads latin1 files, a schema from config, no header, a custom quote and escape, and metadata columns', async () => {
    const path = await file('people.tsv', Buffer.from('1\t\'Caf\xe9 \\\'Noir\\\'\'\t+07\n2\tM\xfcller\t\n', 'latin1'), 3);
    const run = await tap({
      encoding: 'latin1',
      add_metadata_columns: true,
      streams: [{
        name: 'people',
        paths: ['people.tsv'],
        header: false,
        delimiter: '\t',
        quote_character: "'",
        escape_character: '\\',
        schema: { properties: { id: { type: 'integer' }, name: { type: 'string' }, rank: { type: ['null', 'integer'] } } },
      }],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(records(run)).toEqual([
      { id: 1, name: "Café 'Noir'", rank: 7, _sdc_source_file: path, _sdc_source_file_mtime: '2024-01-01T00:00:03.000Z', _sdc_source_lineno: 1 },
      { id: 2, name: 'Müller', rank: null, _sdc_source_file: path, _sdc_source_file_mtime: '2024-01-01T00:00:03.000Z', _sdc_source_lineno: 2 },
    ]);
  });

  it('emits only the columns the catalog selects', async () => {
    await file('s.csv', 'id,secret,name\n1,x,Ada\n');
    const config = { streams: [{ name: 's', paths: ['s.csv'], key_properties: ['id'] }] };
    const discovered = await tap(config, ['--discover']);
    const catalog = JSON.parse(discovered.stdout) as { streams: { metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[] };
    catalog.streams[0]!.metadata.find((m) => m.breadcrumb[1] === 'secret')!.metadata.selected = false;
    await writeFile(join(dir, 'catalog.json'), JSON.stringify(catalog));
    const run = await tap(config, ['--catalog', join(dir, 'catalog.json')]);
    expect(run.code, run.stderr).toBe(0);
    expect(records(run)).toEqual([{ id: 1, name: 'Ada' }]);
  });

  describe('bad input: one clear line and a non-zero exit', () => {
    it('a missing file names the path (discovery error, exit 4)', async () => {
      const run = await tap({ streams: [{ name: 'orders', paths: ['nope.csv'] }] });
      expect(run.code).toBe(4);
      expect(run.stdout).toBe('');
      expect(run.errLines.at(-1)).toContain(`discovery error: file ${join(dir, 'nope.csv')}, stream "orders": file ${join(dir, 'nope.csv')} does not exist`);
    });

    it('a ragged row names the file and line (exit 6)', async () => {
      const path = await file('r.csv', 'id,name\n1,a\n2,"b\nc"\n3,x,extra\n');
      const run = await tap({ streams: [{ name: 'r', paths: ['r.csv'], schema: { properties: { id: { type: 'integer' }, name: { type: 'string' } } } }] });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toMatch(new RegExp(`data error: file ${path}, line 5, stream "r": the row has 3 fields but the header has 2\\. Quote fields`));
    });

    it('invalid UTF-8 names the file and line (exit 6)', async () => {
      const path = await file('e.csv', Buffer.concat([Buffer.from('id,name\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
      const run = await tap({ streams: [{ name: 'e', paths: ['e.csv'] }] });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toContain(`data error: file ${path}, line 3: the file is not valid utf-8 (byte 6 of the line). Set "encoding" to the file's encoding`);
    });

    it('a value that breaks the declared type names file, line and column (exit 6)', async () => {
      const path = await file('t.csv', 'id,n\n1,2\n2,N/A\n');
      const run = await tap({ sample_rows: 1, streams: [{ name: 't', paths: ['t.csv'] }] });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toContain(`data error: file ${path}, line 3, stream "t", column "n": "N/A" is not integer`);
    });

    it('an unclosed quote and an unknown encoding', async () => {
      const path = await file('q.csv', 'id,name\n1,"abc\n');
      const run = await tap({ streams: [{ name: 'q', paths: ['q.csv'] }] });
      expect(run.code).toBe(6);
      expect(run.errLines.at(-1)).toContain(`file ${path}, line 2: a quoted field is never closed`);
      const encoding = await tap({ encoding: 'klingon', streams: [{ name: 'q', paths: ['q.csv'] }] });
      expect(encoding.code).toBe(2);
      expect(encoding.errLines.at(-1)).toContain('unknown encoding "klingon"');
    });
  });
});
