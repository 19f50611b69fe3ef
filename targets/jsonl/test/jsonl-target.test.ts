import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runProgram } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/target-jsonl.js', import.meta.url));

const schema = '{"type":"SCHEMA","stream":"s","schema":{"type":"object","properties":{"id":{"type":"integer"}}},"key_properties":["id"]}';
const record = (id: number) => `{"type":"RECORD","stream":"s","record":{"id":${id}},"version":7,"time_extracted":"2024-01-01T00:00:00Z"}`;

describe('target-jsonl', () => {
  let dir: string;
  let configPath: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'target-jsonl-'));
    configPath = join(dir, 'config.yml');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const lines = async (name = 's.jsonl') => (await readFile(join(dir, 'out', name), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it('appends across runs, and overwrite replaces the file once per run', async () => {
    await writeFile(configPath, `destination_path: ${join(dir, 'out')}\n`);
    const input = `${schema}\n${record(1)}\n${record(2)}\n{"type":"STATE","value":{"bookmarks":{"s":{"id":2}}}}\n`;
    await runProgram(bin, { args: ['--config', configPath], stdinText: input });
    await runProgram(bin, { args: ['--config', configPath], stdinText: input });
    expect(await lines()).toHaveLength(4);
    await writeFile(join(dir, 'overwrite.yml'), 'mode: overwrite\n');
    const run = await runProgram(bin, { args: ['--config', configPath, '--config', join(dir, 'overwrite.yml')], stdinText: `${input}${schema}\n${record(3)}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect((await lines()).map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('adds _sdc metadata on request and names files by template', async () => {
    await writeFile(configPath, `destination_path: ${join(dir, 'out')}\nfile_naming: "export-{stream}.ndjson"\nadd_record_metadata: true\n`);
    const run = await runProgram(bin, { args: ['--config', configPath], stdinText: `${schema}\n${record(1)}\n` });
    expect(run.code, run.stderr).toBe(0);
    const [row] = await lines('export-s.ndjson');
    expect(row).toMatchObject({ id: 1, _sdc_extracted_at: '2024-01-01T00:00:00Z', _sdc_sequence: 1, _sdc_table_version: 7 });
    expect(typeof row!._sdc_received_at).toBe('string');
  });

  it('fills {date} and {datetime} in file_naming with the run start (UTC), creating subfolders', async () => {
    await writeFile(configPath, `destination_path: ${join(dir, 'out')}\nfile_naming: "{date}/{stream}-{datetime}.jsonl"\n`);
    const before = new Date().toISOString().slice(0, 10);
    const run = await runProgram(bin, { args: ['--config', configPath], stdinText: `${schema}\n${record(1)}\n{"type":"STATE","value":{"bookmarks":{"s":{"id":1}}}}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.states).toEqual([{ bookmarks: { s: { id: 1 } } }]);
    const [day] = await readdir(join(dir, 'out'));
    expect(day! >= before && /^\d{4}-\d{2}-\d{2}$/.test(day!)).toBe(true);
    const [name] = await readdir(join(dir, 'out', day!));
    expect(name).toMatch(new RegExp(`^s-${day!.replace(/-/g, '')}T\\d{6}Z\\.jsonl$`));
    expect(await lines(join(day!, name!))).toEqual([{ id: 1 }]);
  });

  it('commits by batch size and prints each STATE only after its batch, logging record_count metrics', async () => {
    await writeFile(configPath, `destination_path: ${join(dir, 'out')}\nbatch_size_rows: 2\n`);
    const input = [schema, record(1), '{"type":"STATE","value":{"bookmarks":{"s":{"id":1}}}}', record(2), record(3), '{"type":"STATE","value":{"bookmarks":{"s":{"id":3}}}}'].join('\n');
    const run = await runProgram(bin, { args: ['--config', configPath], stdinText: input });
    expect(run.states).toEqual([{ bookmarks: { s: { id: 1 } } }, { bookmarks: { s: { id: 3 } } }]);
    expect(run.errLines.some((line) => line.startsWith('METRIC: {"type":"counter","metric":"record_count","value":3'))).toBe(true);
  });

  it('writes integers beyond 2^53 (bigints after the protocol reads them) with every digit, nested too, and in STATE', async () => {
    await writeFile(configPath, `destination_path: ${join(dir, 'out')}\n`);
    const bigSchema = '{"type":"SCHEMA","stream":"s","schema":{"type":"object","properties":{"id":{"type":"integer"},"n":{"type":["null","number"]},"o":{}}},"key_properties":["id"]}';
    const input = [
      bigSchema,
      '{"type":"RECORD","stream":"s","record":{"id":9223372036854775807,"n":18446744073709551615,"o":{"a":[12345678901234567890]}}}',
      '{"type":"RECORD","stream":"s","record":{"id":-9223372036854775808,"n":9007199254740993,"o":[9007199254740993,{"b":-9223372036854775808}]}}',
      '{"type":"RECORD","stream":"s","record":{"id":9007199254740992,"n":1.5,"o":"x"}}',
      '{"type":"STATE","value":{"bookmarks":{"s":{"replication_key_value":9223372036854775807}}}}',
    ].join('\n');
    const run = await runProgram(bin, { args: ['--config', configPath], stdinText: `${input}\n` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('BigInt');
    expect(run.stdout).toBe('{"type":"STATE","value":{"bookmarks":{"s":{"replication_key_value":9223372036854775807}}}}\n');
    expect(await readFile(join(dir, 'out', 's.jsonl'), 'utf8')).toBe(
      '{"id":9223372036854775807,"n":18446744073709551615,"o":{"a":[12345678901234567890]}}\n' +
        '{"id":-9223372036854775808,"n":9007199254740993,"o":[9007199254740993,{"b":-9223372036854775808}]}\n' +
        '{"id":9007199254740992,"n":1.5,"o":"x"}\n',
    );
    await writeFile(join(dir, 'meta.yml'), `file_naming: "meta-{stream}.jsonl"\nadd_record_metadata: true\n`);
    const meta = await runProgram(bin, { args: ['--config', configPath, '--config', join(dir, 'meta.yml')], stdinText: `${input}\n` });
    expect(meta.code, meta.stderr).toBe(0);
    const written = (await readFile(join(dir, 'out', 'meta-s.jsonl'), 'utf8')).split('\n');
    expect(written[0]).toMatch(/^\{"id":9223372036854775807,"n":18446744073709551615,"o":\{"a":\[12345678901234567890\]\},"_sdc_extracted_at":null,"_sdc_received_at":"[^"]+","_sdc_sequence":\d+,"_sdc_table_version":null\}$/);
    expect(written[1]).toMatch(/^\{"id":-9223372036854775808,"n":9007199254740993,"o":\[9007199254740993,\{"b":-9223372036854775808\}\],"_sdc_extracted_at"/);
  });

  it('fails on a BATCH message rather than silently dropping its records', async () => {
    await writeFile(configPath, `destination_path: ${join(dir, 'out')}\n`);
    const run = await runProgram(bin, {
      args: ['--config', configPath],
      stdinText: `${schema}\n{"type":"BATCH","stream":"s","encoding":{"format":"jsonl"},"manifest":["file:///tmp/x.jsonl"]}\n`,
    });
    expect(run.code).toBe(6);
    expect(run.errLines.at(-1)).toMatch(/line 2, stream "s": BATCH messages are not loaded by this target/);
  });

  it('empty input is a successful run with no output', async () => {
    const run = await runProgram(bin, { stdinText: '' , cwd: dir});
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
  });
});
