/**
 * Every transform stage reads a RECORD line in the usual compact shape by locating only the columns it
 * needs (the fast path), and any other line by parsing it in full. The two must agree: the same stream
 * written compactly and written as Python's json.dumps writes it (spaces after `,` and `:`, non-ASCII
 * escaped, members of the message in another order) must come out as the same messages, with the same
 * report on stderr. The streams are random (seeded) and full of edges: nulls and absent keys, integers
 * beyond 2^53, `1.0`, `-0` and exponents, decimal strings, escapes, nested values, two interleaved streams.
 *
 * And a stage's saved params must hold everything its fit decided: a run restored from the last STATE
 * writes every record as the run that fitted did.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable } from 'node:stream';
import { executeProgram, stringifyExact, type ProgramDefinition } from '@tapline/protocol';
import { cleanNamesProgram } from '@tapline/transform-clean-names';
import { imputeProgram } from '@tapline/transform-impute';
import { normalizeProgram } from '@tapline/transform-normalize';
import { outliersProgram } from '@tapline/transform-outliers';
import { profileTransform } from '@tapline/transform-profile';
import { standardizeProgram } from '@tapline/transform-standardize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (stage: string): string => join(root, 'transforms', stage, 'bin', `transform-${stage}.js`);

/** A number written exactly as given (`1.0`, `-0`, `1E-7`). */
class Raw {
  constructor(readonly text: string) {}
}

type Value = null | boolean | string | number | bigint | Raw | Value[] | { [key: string]: Value };

/** Park-Miller style generator: the streams are the same on every run. */
function generator(seed: number): { next(): number; pick<T>(list: readonly T[]): T } {
  let state = seed;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
  return { next, pick: (list) => list[Math.floor(next() * list.length)] as (typeof list)[number] };
}

function serialize(value: Value, spaced: boolean, order: 'as-is' | 'reversed' = 'as-is'): string {
  if (value === null) return 'null';
  if (value instanceof Raw) return value.text;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    const text = JSON.stringify(value);
    // json.dumps' ensure_ascii: every character above 127 as \uXXXX.
    return spaced ? text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
  }
  const [comma, colon] = spaced ? [', ', ': '] : [',', ':'];
  if (Array.isArray(value)) return `[${value.map((item) => serialize(item, spaced)).join(comma)}]`;
  const entries = Object.entries(value);
  if (order === 'reversed') entries.reverse();
  return `{${entries.map(([key, item]) => `${serialize(key, spaced)}${colon}${serialize(item, spaced)}`).join(comma)}}`;
}

const SCHEMA_A = {
  type: 'SCHEMA',
  stream: 'orders',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      qty: { type: ['integer', 'null'] },
      score: { type: ['number', 'null'] },
      amount: { type: ['string', 'null'], format: 'singer.decimal' },
      'Customer Name ': { type: ['string', 'null'] },
      colour: { type: ['string', 'null'] },
      paid: { type: ['boolean', 'null'] },
      created_at: { type: ['string', 'null'], format: 'date-time' },
      attrs: {},
    },
  },
  key_properties: ['id'],
};

const SCHEMA_B = {
  type: 'SCHEMA',
  stream: 'readings',
  schema: {
    type: 'object',
    properties: {
      sensor: { type: 'string' },
      value: { type: ['number', 'null'] },
      count: { type: ['integer', 'null'] },
      taken_at: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  key_properties: ['sensor', 'taken_at'],
};

const SCHEMA_B2 = {
  ...SCHEMA_B,
  schema: { ...SCHEMA_B.schema, properties: { ...SCHEMA_B.schema.properties, unit: { type: ['string', 'null'] } } },
};

/** The messages of a two-stream run: SCHEMAs, interleaved RECORDs, STATEs, an ACTIVATE_VERSION. */
function messages(seed: number, rows: number, schemaChange = true): Value[] {
  const random = generator(seed);
  const maybe = (value: Value, nulls = 0.12): Value | undefined => {
    const r = random.next();
    return r < nulls / 2 ? undefined : r < nulls ? null : value;
  };
  const out: Value[] = [SCHEMA_A as unknown as Value, SCHEMA_B as unknown as Value, { type: 'STATE', value: { bookmarks: {} } }];
  const names = ['Ann', 'Bob', 'Zoë', 'Ünal', 'O"Brien', 'back\\slash', 'tab\there', '😀 smile', 'line\u2028sep'];
  for (let i = 1; i <= rows; i += 1) {
    const record: Record<string, Value> = { id: i < rows - 3 ? i : 9007199254740993n + BigInt(i) };
    const fields: [string, Value][] = [
      ['qty', random.pick<Value>([Math.floor(random.next() * 50), new Raw(`${Math.floor(random.next() * 9)}.0`), new Raw('-0'), 12345678901234567890n])],
      ['score', random.next() < 0.02 ? 5000 + random.next() * 100 : random.pick<Value>([random.next() * 100, new Raw('1E-7'), new Raw('2.5e1'), -random.next() * 10])],
      ['amount', random.pick<Value>([(random.next() * 1000).toFixed(2), '-3.10', '0.00', '1000000.01', '-0.0', '42'])],
      ['Customer Name ', random.pick(names)],
      ['colour', random.pick<Value>(['red', 'green', 'blue', 'red', ''])],
      ['paid', random.next() < 0.5],
      ['created_at', new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString()],
      ['attrs', random.pick<Value>([{ a: 1, b: [1, 2, { c: 'x' }] }, [], 'text', 3.5, { nested: { deep: null } }])],
    ];
    for (const [key, value] of fields) {
      const kept = key === 'created_at' ? maybe(value, 0.04) : maybe(value);
      if (kept !== undefined) record[key] = kept;
    }
    out.push({ type: 'RECORD', stream: 'orders', record, time_extracted: '2026-01-01T00:00:00.000Z' });
    if (i % 3 === 0) {
      const reading: Record<string, Value> = { sensor: random.pick(['s1', 's2']), taken_at: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() };
      const value = maybe(random.next() < 0.03 ? 900 : random.next() * 10, 0.3);
      if (value !== undefined) reading.value = value;
      const count = maybe(Math.floor(random.next() * 5));
      if (count !== undefined) reading.count = count;
      if (schemaChange && i > (2 * rows) / 3 && random.next() < 0.8) reading.unit = random.pick(['°C', 'K']);
      out.push({ type: 'RECORD', stream: 'readings', record: reading, version: 7 });
    }
    if (i % 97 === 0) out.push({ type: 'STATE', value: { bookmarks: { orders: { id: i } } } });
    if (i === Math.floor(rows / 2)) out.push({ type: 'ACTIVATE_VERSION', stream: 'readings', version: 7 });
    // Taps repeat an unchanged SCHEMA; and a stream may change its SCHEMA midway (a column added).
    if (i === Math.floor(rows / 3)) out.push(SCHEMA_A as unknown as Value);
    if (schemaChange && i === Math.floor((2 * rows) / 3)) out.push(SCHEMA_B2 as unknown as Value);
  }
  out.push({ type: 'STATE', value: { bookmarks: { orders: { id: rows } } } });
  return out;
}

/** A message as the canonical text compared: members sorted at every level, integers exact. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
}

/** The stage's end-of-run report: its stderr lines without time stamps, rates and file names. */
function report(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.includes('stream "') || line.includes('WARN') || line.includes('ERROR'))
    .map((line) => line.replace(/^\S+\s+/, '').replace(/ \(\d+ parsed in full\)/, ''));
}

const CASES: [string, string, Record<string, unknown>][] = [
  ['clean-names', 'clean-names', {}],
  ['impute auto', 'impute', {}],
  ['impute, a strategy per column', 'impute', {
    strategy: 'sequential',
    streams: { orders: { columns: {
      qty: 'average',
      score: 'median',
      amount: 'median',
      colour: 'mode',
      paid: { strategy: 'random' },
      created_at: { strategy: 'sequential', direction: 'backward' },
      'Customer Name ': { strategy: 'column', source_column: 'colour' },
      attrs: { strategy: 'constant', value: 'none' },
    } } },
  }],
  ['impute drop_row, fitted on the first 40 records', 'impute', { strategy: 'drop_row', fit_max_rows: 40 }],
  ['normalize', 'normalize', {}],
  ['standardize, fitted on the first 100 records', 'standardize', { fit_max_rows: 100 }],
  ['outliers z-score', 'outliers', { method: 'zscore' }],
  ['outliers IQR, flagged', 'outliers', { method: 'iqr', action: 'flag' }],
  ['outliers isolation forest', 'outliers', { method: 'isolation_forest', action: 'flag' }],
  ['outliers LOF', 'outliers', { method: 'lof' }],
  ['outliers auto', 'outliers', { columns: ['qty', 'score', 'amount'] }],
];

describe('transform stages on one stream full of edges', () => {
  let dir: string;
  const inputs: Record<string, string> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-paths-'));
    const stream = messages(20261122, 600);
    const variants: Record<string, string> = {
      compact: stream.map((message) => serialize(message, false)).join('\n'),
      spaced: stream.map((message) => serialize(message, true)).join('\n'),
      reordered: stream.map((message) => serialize(message, false, 'reversed')).join('\n'),
      // Records under a changed SCHEMA are fitted on their own, and a restored run uses the last plan's
      // params for all: the restore cases compare a stream whose SCHEMA does not change.
      oneSchema: messages(20261122, 600, false).map((message) => serialize(message, false)).join('\n'),
    };
    for (const [name, text] of Object.entries(variants)) {
      inputs[name] = join(dir, `${name}.jsonl`);
      await writeFile(inputs[name], `${text}\n`);
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [title, stage, config] of CASES) {
    it(`${title}: compact, spaced and reordered, the same output`, async () => {
      const outputs: Record<string, { messages: unknown[]; report: string[] }> = {};
      for (const variant of ['compact', 'spaced', 'reordered']) {
        const configPath = join(dir, `${stage}-${variant}.json`);
        // The spaced run holds its records back in files from the first byte, the others in memory.
        await writeFile(configPath, JSON.stringify({ spill_dir: dir, ...(variant === 'spaced' ? { spool_memory_mb: 0 } : {}), ...config }));
        const run = await runProgram(bin(stage), { args: ['--config', configPath], stdinFile: inputs[variant] });
        expect(run.code, run.stderr).toBe(0);
        // clean-names says how many records it parsed in full: none compact, all of them reordered.
        if (stage === 'clean-names') expect(run.stderr.includes('(600 parsed in full)')).toBe(variant === 'reordered');
        outputs[variant] = { messages: run.messages.map((message) => stringifyExact(canonical(message))), report: report(run.stderr) };
      }
      const compact = outputs.compact as { messages: string[]; report: string[] };
      // The stage did something: records written, and a report naming both streams.
      expect(compact.messages.filter((line) => line.includes('"type":"RECORD"')).length).toBeGreaterThan(100);
      expect(compact.report.some((line) => line.includes('stream "orders"'))).toBe(true);
      expect(outputs.spaced).toEqual(compact);
      expect(outputs.reordered).toEqual(compact);
    });
  }

  // A later run given the last STATE (as an orchestrator persists it) must transform every record as the
  // run that fitted did: the params a stage saves hold everything its fit decided.
  for (const [title, stage, config] of CASES.filter(([, stage]) => stage !== 'clean-names')) {
    it(`${title}: restored from the last STATE, the same output`, async () => {
      const configPath = join(dir, `${stage}-restore.json`);
      await writeFile(configPath, JSON.stringify({ spill_dir: dir, ...config }));
      const fitted = await runProgram(bin(stage), { args: ['--config', configPath], stdinFile: inputs.oneSchema });
      expect(fitted.code, fitted.stderr).toBe(0);
      const statePath = join(dir, `${stage}-state.json`);
      await writeFile(statePath, stringifyExact(fitted.states.at(-1)));
      const restored = await runProgram(bin(stage), { args: ['--config', configPath, '--state', statePath], stdinFile: inputs.oneSchema });
      expect(restored.code, restored.stderr).toBe(0);
      // Backward fill keeps one value per gap and is fitted on every run (the impute README says so);
      // drop_row fits nothing.
      const how = JSON.stringify(config).includes('backward') ? 'fitted on 600 records' : stage === 'impute' && config.strategy === 'drop_row' ? 'no fitting needed' : 'parameters restored from an earlier run';
      expect(restored.stderr).toMatch(new RegExp(`stream "orders": \\d+ records written(, \\d+ dropped)?; ${how}`));
      // Every record as the fitted run wrote it, and the same last STATE. (A STATE before the first record
      // now carries the params too: they are known from the start.)
      const records = (stdout: string): string[] => stdout.split('\n').filter((line) => !line.startsWith('{"type":"STATE"'));
      expect(records(restored.stdout)).toEqual(records(fitted.stdout));
      expect(restored.states.at(-1)).toEqual(fitted.states.at(-1));
    });
  }

  // However the input arrives (here in pieces of 1 to 3,000 bytes, cut inside lines, escapes and UTF-8
  // characters), the output is the same bytes.
  const PROGRAMS: Record<string, ProgramDefinition<never>> = {
    'clean-names': cleanNamesProgram as ProgramDefinition<never>,
    impute: imputeProgram as ProgramDefinition<never>,
    normalize: normalizeProgram as ProgramDefinition<never>,
    standardize: standardizeProgram as ProgramDefinition<never>,
    outliers: outliersProgram as ProgramDefinition<never>,
    profile: profileTransform as unknown as ProgramDefinition<never>,
  };
  async function runInPieces(stage: string, config: Record<string, unknown>, input: Buffer, pieces: 'whole' | 'random'): Promise<{ code: number; stdout: string; stderr: string }> {
    const configPath = join(dir, `${stage}-pieces-${pieces}.json`);
    await writeFile(configPath, JSON.stringify(config));
    const chunks: Buffer[] = [];
    if (pieces === 'whole') chunks.push(input);
    else {
      const random = generator(7);
      for (let at = 0; at < input.length; ) {
        const size = 1 + Math.floor(random.next() ** 3 * 3000);
        chunks.push(input.subarray(at, at + size));
        at += size;
      }
    }
    const stdout = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    let stderr = '';
    const code = await executeProgram(PROGRAMS[stage] as ProgramDefinition<never>, ['--config', configPath], {
      stdin: Readable.from(chunks),
      stdout,
      stderr: { write: (text: string) => (stderr += text) },
      env: { TAPLINE_LOG_LEVEL: 'warn' },
    });
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr };
  }
  for (const [title, stage, config] of [...CASES, ['profile', 'profile', {}] as (typeof CASES)[number]]) {
    it(`${title}: input in pieces of any size, the same bytes out`, async () => {
      const input = await readFile(inputs.compact as string);
      const settings = (pieces: string): Record<string, unknown> => (stage === 'profile' ? { output_dir: join(dir, `profile-${pieces}`) } : { spill_dir: dir, ...config });
      const whole = await runInPieces(stage, settings('whole'), input, 'whole');
      expect(whole.code, whole.stderr).toBe(0);
      const pieces = await runInPieces(stage, settings('random'), input, 'random');
      expect(pieces.code, pieces.stderr).toBe(0);
      expect(pieces.stdout).toBe(whole.stdout);
      expect(whole.stdout.split('\n').length).toBeGreaterThan(300);
      if (stage === 'profile') {
        const report = (pieces: string) => readFile(join(dir, `profile-${pieces}`, 'orders.json'), 'utf8');
        expect(await report('random')).toBe(await report('whole'));
      }
    });
  }

  it('profile: the same reports, and every line passed on', async () => {
    const reports: Record<string, string[]> = {};
    for (const variant of ['compact', 'spaced', 'reordered']) {
      const outputDir = join(dir, `profile-${variant}`);
      const configPath = join(dir, `profile-${variant}.json`);
      await writeFile(configPath, JSON.stringify({ output_dir: outputDir }));
      const run = await runProgram(bin('profile'), { args: ['--config', configPath], stdinFile: inputs[variant] });
      expect(run.code, run.stderr).toBe(0);
      expect(`${run.stdout}`).toBe(await readFile(inputs[variant] as string, 'utf8'));
      const files = (await readdir(outputDir)).filter((name) => name.endsWith('.json')).sort();
      expect(files).toEqual(['orders.json', 'readings.json']);
      reports[variant] = await Promise.all(files.map(async (name) => JSON.stringify(canonical(JSON.parse(await readFile(join(outputDir, name), 'utf8'))))));
    }
    expect(reports.spaced).toEqual(reports.compact);
    expect(reports.reordered).toEqual(reports.compact);
  });
});
