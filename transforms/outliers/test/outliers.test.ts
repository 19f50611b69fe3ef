import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeProgramConformance, runProgram, type ProgramRun } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/transform-outliers.js', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.jsonl`, import.meta.url));

describeProgramConformance({ name: 'transform-outliers', bin, kind: 'transform' });

describe('transform-outliers', () => {
  let dir = '';
  let input: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transform-outliers-'));
    input = (await readFile(fixture('known-outliers'), 'utf8')).trimEnd().split('\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  let configs = 0;
  async function run(config: Record<string, unknown>, stdinFile: string, args: string[] = []): Promise<ProgramRun> {
    configs += 1;
    const configPath = join(dir, `config-${configs}.json`);
    await writeFile(configPath, JSON.stringify(config));
    return runProgram(bin, { args: ['--config', configPath, ...args], stdinFile });
  }

  const lines = (text: string): string[] => text.trimEnd().split('\n');
  const isRecordOf = (line: string, ...ids: number[]): boolean => ids.some((id) => line.includes(`"record":{"id":${id},`));
  const withoutState = (all: string[]): string[] => all.filter((line) => !line.startsWith('{"type":"STATE"'));

  for (const method of ['zscore', 'iqr', 'lof', 'isolation_forest', 'auto']) {
    it(`${method}: drops exactly the two outlier rows and keeps the rest as they were, in order`, async () => {
      const result = await run({ method }, fixture('known-outliers'));
      expect(result.code, result.stderr).toBe(0);
      const out = lines(result.stdout);
      // Every RECORD and SCHEMA line is passed exactly as read; rows 13 (temp 95) and 27 (pressure 1500) are gone;
      // row 31 (pressure null) is kept.
      expect(withoutState(out)).toEqual(withoutState(input).filter((line) => !isRecordOf(line, 13, 27)));
      expect(out.some((line) => isRecordOf(line, 31))).toBe(true);
      // STATE lines stay where they were (after record 20, at the end) with their bookmarks, plus the fitted model.
      const states = result.states as Record<string, unknown>[];
      expect(states.map((state) => state.bookmarks)).toEqual([{ readings: { id: 20 } }, { readings: { id: 40 } }]);
      expect(out[20]).toMatch(/^\{"type":"STATE"/);
      expect((states[1] as Record<string, any>)['transform-outliers'].streams.readings.method).toBe(method === 'auto' ? 'lof' : method);
      expect(result.stderr).toMatch(/2 of 40 rows dropped/);
    });
  }

  it('a string in an integer column is missing, not modelled, whether the line is read from its bytes or parsed', async () => {
    const schema = JSON.stringify({ type: 'SCHEMA', stream: 's', schema: { type: 'object', properties: { x: { type: ['integer', 'null'] } } }, key_properties: [] });
    const records = Array.from({ length: 50 }, (_, i) => JSON.stringify({ type: 'RECORD', stream: 's', record: { x: i % 5 } }));
    for (const odd of ['{"type":"RECORD","stream":"s","record":{"x":"1000"}}', '{"type": "RECORD", "stream": "s", "record": {"x": "1000"}}']) {
      const file = join(dir, `string-in-integer-${configs}.jsonl`);
      await writeFile(file, `${[schema, ...records, odd].join('\n')}\n`);
      const result = await run({ method: 'zscore' }, file);
      expect(result.code, result.stderr).toBe(0);
      expect(lines(result.stdout).at(-1)).toBe(odd);
      expect(result.stderr).toMatch(/0 of 51 rows dropped/);
    }
  });

  it('flag: keeps every row, adds the boolean column to SCHEMA and records', async () => {
    const result = await run({ method: 'iqr', action: 'flag', flag_column: 'odd' }, fixture('known-outliers'));
    expect(result.code, result.stderr).toBe(0);
    const out = lines(result.stdout);
    const schema = result.messages[0] as Record<string, any>;
    expect(schema.schema.properties.odd).toEqual({ type: 'boolean' });
    expect(schema.key_properties).toEqual(['id']);
    const records = result.messages.filter((m) => m.type === 'RECORD').map((m) => m.record as Record<string, unknown>);
    expect(records).toHaveLength(40);
    expect(records.filter((r) => r.odd === true).map((r) => r.id)).toEqual([13, 27]);
    expect(records.every((r) => typeof r.odd === 'boolean')).toBe(true);
    // The flag is appended to the line; the other values are untouched.
    expect(out[1]).toBe(input[1]?.replace(/\}\}$/, ',"odd":false}}'));
    expect(result.stderr).toMatch(/2 of 40 rows flagged in odd/);
  });

  it('auto picks local outlier factor up to 5 columns, isolation forest above, PCA above 20', async () => {
    const wide = async (columns: number): Promise<string> => {
      const properties = Object.fromEntries(Array.from({ length: columns }, (_, c) => [`c${c}`, { type: 'number' }]));
      const rows = Array.from({ length: 60 }, (_, i) => ({
        type: 'RECORD',
        stream: 'wide',
        record: Object.fromEntries(Array.from({ length: columns }, (_, c) => [`c${c}`, i === 7 ? 1000 : ((i * (c + 3)) % 17) / 4])),
      }));
      const path = join(dir, `wide-${columns}.jsonl`);
      await writeFile(path, [{ type: 'SCHEMA', stream: 'wide', schema: { type: 'object', properties }, key_properties: [] }, ...rows].map((m) => JSON.stringify(m)).join('\n'));
      return path;
    };
    const five = await run({}, await wide(5));
    expect(five.stderr).toMatch(/outliers by lof \(auto: 5 columns\)/);
    const six = await run({}, await wide(6));
    expect(six.stderr).toMatch(/outliers by isolation_forest \(auto: 6 columns\)/);
    const many = await run({}, await wide(22));
    expect(many.stderr).toMatch(/outliers by isolation_forest \(auto: 22 columns\).*PCA 22 -> 20 dimensions/);
    for (const result of [five, six, many]) {
      expect(result.code, result.stderr).toBe(0);
      // Row 7 is far out in every column.
      expect(result.messages.filter((m) => m.type === 'RECORD').some((m) => (m.record as Record<string, number>).c0 === 1000)).toBe(false);
    }
  });

  it('params round trip: a second run restores the saved model and judges new rows exactly as the first run would', async () => {
    const paramsFile = join(dir, 'outliers-params.json');
    const config = { method: 'lof', action: 'flag', params_file: paramsFile };
    const first = await run(config, fixture('known-outliers'));
    expect(first.code, first.stderr).toBe(0);
    const saved = JSON.parse(await readFile(paramsFile, 'utf8')) as Record<string, any>;
    expect(saved.streams.readings.model.kind).toBe('outlier_remover');

    const again = await run(config, fixture('known-outliers'));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stderr).toMatch(/restored/);

    // New rows are judged by the saved model, not a model refitted on them.
    const restored = await run(config, fixture('new-rows'));
    const refitted = await run({ ...config, params_file: join(dir, 'other.json') }, fixture('new-rows'));
    const flags = (result: ProgramRun): unknown[] => result.messages.filter((m) => m.type === 'RECORD').map((m) => (m.record as Record<string, unknown>).is_outlier);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stderr).toMatch(/restored/);
    // Every reading of the warmer week is far from what the saved model knows; a model fitted on the week
    // itself would find only its one extreme row.
    expect(flags(restored)).toEqual(new Array(20).fill(true));
    expect(flags(refitted).filter((flag) => flag === true)).toHaveLength(1);
    expect(JSON.parse(await readFile(paramsFile, 'utf8'))).toEqual(saved);
  });

  it('a named column that is not numeric is a configuration error naming stream and column', async () => {
    const result = await run({ columns: ['label'] }, fixture('known-outliers'));
    expect(result.code).toBe(2);
    expect(result.errLines.at(-1)).toMatch(/readings.*label|label.*readings/);
    expect(result.errLines.at(-1)).toMatch(/not numeric/);
  });
});
