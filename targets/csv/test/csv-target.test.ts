import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProgram } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/target-csv.js', import.meta.url));
const schema = (properties: string[]) =>
  JSON.stringify({ type: 'SCHEMA', stream: 'users', schema: { type: 'object', properties: Object.fromEntries(properties.map((p) => [p, {}])) }, key_properties: [] });
const record = (values: Record<string, unknown>) => JSON.stringify({ type: 'RECORD', stream: 'users', record: values });

describe('target-csv', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'target-csv-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ destination_path: join(dir, 'out') }));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const file = () => readFile(join(dir, 'out', 'users.csv'), 'utf8');
  const run = (lines: string[], extra: string[] = []) => runProgram(bin, { args: ['--config', join(dir, 'config.json'), ...extra], stdinText: `${lines.join('\n')}\n` });

  it('keeps null and the empty string apart, quotes what needs quoting, writes objects as JSON', async () => {
    const result = await run([schema(['id', 'text', 'obj']), record({ id: 1, text: '', obj: { a: [1, 'x'] } }), record({ id: 2, text: null, obj: null }), record({ id: 3, text: 'a,"b"\nc' })]);
    expect(result.code, result.stderr).toBe(0);
    expect(await file()).toBe('id,text,obj\n1,"","{""a"":[1,""x""]}"\n2,,\n3,"a,""b""\nc",\n');
  });

  it('widens the file when a later schema adds a column, in this run or a later one', async () => {
    await run([schema(['id', 'name']), record({ id: 1, name: 'Ada' })]);
    const result = await run([schema(['id', 'name', 'age']), record({ id: 2, name: 'Grace', age: 85 })]);
    expect(result.code, result.stderr).toBe(0);
    expect(await file()).toBe('id,name,age\n1,Ada,\n2,Grace,85\n');
    await run([schema(['id', 'name', 'age', 'city']), record({ id: 3, city: 'Paris' })]);
    expect(await file()).toBe('id,name,age,city\n1,Ada,,\n2,Grace,85,\n3,,,Paris\n');
  });

  it('keeps the file order of columns a narrower schema omits', async () => {
    await run([schema(['id', 'name', 'age']), record({ id: 1, name: 'Ada', age: 36 })]);
    await run([schema(['age', 'id']), record({ id: 2, age: 40 })]);
    expect(await file()).toBe('id,name,age\n1,Ada,36\n2,,40\n');
  });

  it('overwrite replaces the file once per run; delimiter is configurable', async () => {
    await run([schema(['id']), record({ id: 1 })]);
    await writeFile(join(dir, 'semi.json'), JSON.stringify({ mode: 'overwrite', delimiter: ';' }));
    await run([schema(['id', 'b']), record({ id: 2, b: 'x;y' }), schema(['id', 'b']), record({ id: 3, b: 'z' })], ['--config', join(dir, 'semi.json')]);
    expect(await file()).toBe('id;b\n2;"x;y"\n3;z\n');
  });

  describe('integers beyond 2^53 (read exactly by the protocol as bigints)', () => {
    // Raw message text: JSON.stringify of a JS number could not even hold these values.
    const bigRecords = [
      '{"type":"RECORD","stream":"users","record":{"id":9223372036854775807,"u":18446744073709551615,"obj":{"a":[12345678901234567890]}}}',
      '{"type":"RECORD","stream":"users","record":{"id":-9223372036854775808,"u":9007199254740993,"obj":[9007199254740993,{"b":-9223372036854775808}]}}',
      '{"type":"RECORD","stream":"users","record":{"id":1,"u":2.5,"obj":{"c":1.5,"d":"x"}}}',
    ];

    it('writes every digit: a bigint cell is its digits, a nested one is exact JSON', async () => {
      const result = await run([schema(['id', 'u', 'obj']), ...bigRecords]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toContain('BigInt');
      expect(await file()).toBe(
        'id,u,obj\n' +
          '9223372036854775807,18446744073709551615,"{""a"":[12345678901234567890]}"\n' +
          '-9223372036854775808,9007199254740993,"[9007199254740993,{""b"":-9223372036854775808}]"\n' +
          '1,2.5,"{""c"":1.5,""d"":""x""}"\n',
      );
    });

    it('keeps the digits through a widening rewrite, with integer/number schemas and metadata columns, and in STATE', async () => {
      const typed = JSON.stringify({
        type: 'SCHEMA',
        stream: 'users',
        schema: { type: 'object', properties: { id: { type: 'integer' }, u: { type: ['null', 'number'] }, obj: { type: ['null', 'object', 'array'] } } },
        key_properties: ['id'],
      });
      const first = await run([typed, ...bigRecords.slice(0, 2)]);
      expect(first.code, first.stderr).toBe(0);
      await writeFile(join(dir, 'meta.json'), JSON.stringify({ add_record_metadata: true }));
      const second = await run(
        [typed, '{"type":"RECORD","stream":"users","record":{"id":18446744073709551615,"u":-9223372036854775808,"obj":null},"version":7}', '{"type":"STATE","value":{"bookmarks":{"users":{"replication_key_value":9223372036854775807}}}}'],
        ['--config', join(dir, 'meta.json')],
      );
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toBe('{"type":"STATE","value":{"bookmarks":{"users":{"replication_key_value":9223372036854775807}}}}\n');
      const lines = (await file()).split('\n');
      expect(lines[0]).toBe('id,u,obj,_sdc_extracted_at,_sdc_received_at,_sdc_sequence,_sdc_table_version');
      expect(lines[1]).toBe('9223372036854775807,18446744073709551615,"{""a"":[12345678901234567890]}",,,,');
      expect(lines[2]).toBe('-9223372036854775808,9007199254740993,"[9007199254740993,{""b"":-9223372036854775808}]",,,,');
      expect(lines[3]).toMatch(/^18446744073709551615,-9223372036854775808,,,[^,]+,\d+,7$/);
    });
  });

  it('fills {date} in file_naming and creates the subfolder; STATE follows the rows', async () => {
    await writeFile(join(dir, 'dated.json'), JSON.stringify({ file_naming: 'exports/{date}/{stream}.csv' }));
    const result = await run([schema(['id']), record({ id: 1 }), '{"type":"STATE","value":{"bookmarks":{"users":{"id":1}}}}'], ['--config', join(dir, 'dated.json')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.states).toEqual([{ bookmarks: { users: { id: 1 } } }]);
    const [day] = await readdir(join(dir, 'out', 'exports'));
    expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await readFile(join(dir, 'out', 'exports', day!, 'users.csv'), 'utf8')).toBe('id\n1\n');
  });
});
