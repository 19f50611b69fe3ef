/**
 * The pipeline of issue #5 against the real server:
 *   tap-postgres | transform-impute | transform-normalize | transform-outliers | target-postgres
 * A source table with nulls and one outlier goes in; the destination must hold exactly the rows the
 * three stages' rules give (computed here independently of the stages' code), and the STATE the tap
 * emits must come out carrying every stage's fitted parameters.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { postgresGate } from '@tapline/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const gate = postgresGate();
const url = gate.url;
const SOURCE = 'tapline_transform_pipeline';
const DESTINATION = 'tapline_transform_pipeline_out';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = (path: string): string => join(root, path);

function psql(sql: string): string {
  return execFileSync('psql', [url as string, '-v', 'ON_ERROR_STOP=1', '-qtA', '-c', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  }).trim();
}

/** The source rows: temp has two nulls and one outlier (id 20), amount one null (its average is exact in binary), label one null. */
const IDS = Array.from({ length: 20 }, (_, i) => i + 1);
const tempOf = (id: number): number | null => (id === 7 || id === 13 ? null : id === 20 ? 500 : 20 + (id % 5));
const amountOf = (id: number): string | null => (id === 1 ? null : (10 + id * 0.5).toFixed(2));
const labelOf = (id: number): string | null => (id === 9 ? null : `l${id % 3}`);

/** What the three stages must do, written out from the reference's rules. */
function expectedRows(): string[] {
  const temps = IDS.map(tempOf);
  const amounts = IDS.map((id) => {
    const text = amountOf(id);
    return text === null ? null : Number(text);
  });
  // impute: temp by median (pandas: mean of the two middle values), amount by average, label constant.
  const present = temps.filter((x): x is number => x !== null).sort((a, b) => a - b);
  const median = present.length % 2 === 1 ? (present[(present.length - 1) / 2] as number) : ((present[present.length / 2 - 1] as number) + (present[present.length / 2] as number)) / 2;
  const known = amounts.filter((x): x is number => x !== null);
  let sum = 0;
  for (const x of known) sum += x;
  const average = sum / known.length;
  const filledTemp = temps.map((x) => x ?? median);
  // amount is an exact decimal (singer.decimal): the average travels as its text, read back as a number.
  const filledAmount = amounts.map((x) => x ?? Number(String(average)));
  // normalize: (x - min) / (max - min) over the whole stream.
  const scale = (values: number[]): number[] => {
    const min = Math.min(...values);
    const max = Math.max(...values);
    return values.map((x) => (x - min) / (max - min));
  };
  const temp = scale(filledTemp);
  const amount = scale(filledAmount);
  // outliers (zscore): drop a row when any value is more than 3 sample standard deviations from the mean.
  const zLimits = (values: number[]): [number, number] => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    return [mean - 3 * std, mean + 3 * std];
  };
  const [tLow, tHigh] = zLimits(temp);
  const [aLow, aHigh] = zLimits(amount);
  const rows: string[] = [];
  IDS.forEach((id, i) => {
    const t = temp[i] as number;
    const a = amount[i] as number;
    if (t < tLow || t > tHigh || a < aLow || a > aHigh) return;
    rows.push(`${id}|${t}|${a}|${labelOf(id) ?? 'none'}`);
  });
  return rows;
}

describe.skipIf(url === undefined)(
  `tap-postgres | impute | normalize | outliers | target-postgres${gate.skipReason ? ` (SKIPPED: ${gate.skipReason})` : ''}`,
  () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'transform-pipeline-'));
      const values = IDS.map((id) => {
        const temp = tempOf(id);
        const amount = amountOf(id);
        const label = labelOf(id);
        return `(${id}, ${temp ?? 'NULL'}, ${amount ?? 'NULL'}, ${label === null ? 'NULL' : `'${label}'`})`;
      });
      psql(
        `DROP SCHEMA IF EXISTS ${SOURCE} CASCADE; DROP SCHEMA IF EXISTS ${DESTINATION} CASCADE; CREATE SCHEMA ${SOURCE};
         CREATE TABLE ${SOURCE}.readings (id integer PRIMARY KEY, temp double precision, amount numeric(10,2), label text);
         INSERT INTO ${SOURCE}.readings VALUES ${values.join(', ')};
         CREATE TABLE ${SOURCE}.ids (id bigint PRIMARY KEY, ref bigint, temp double precision);
         INSERT INTO ${SOURCE}.ids VALUES (9223372036854775807, 9007199254740993, 1), (9007199254740993, 9007199254740993, 2),
           (9007199254740992, NULL, 3), (-9223372036854775808, -9223372036854775807, 4);`,
      );
    });
    afterAll(async () => {
      psql(`DROP SCHEMA IF EXISTS ${SOURCE} CASCADE; DROP SCHEMA IF EXISTS ${DESTINATION} CASCADE`);
      await rm(dir, { recursive: true, force: true });
    });

    /** tap-postgres | impute | normalize | outliers | target-postgres with these configs (written under `dir`). */
    async function runPipeline(configs: Record<string, unknown>): Promise<{ code: number | null; stdout: string; stderr: string }> {
      for (const [name, config] of Object.entries(configs)) await writeFile(join(dir, `${name}.json`), JSON.stringify(config));
      const stage = (name: string): string => `node ${bin(`transforms/${name}/bin/transform-${name}.js`)} --config ${join(dir, `${name}.json`)}`;
      const command = [
        `node ${bin('taps/postgres/bin/tap-postgres.js')} --config ${join(dir, 'tap.json')}`,
        stage('impute'),
        stage('normalize'),
        stage('outliers'),
        // The target prints the STATE lines it confirms: what a runner would persist.
        `node ${bin('targets/postgres/bin/target-postgres.js')} --config ${join(dir, 'target.json')}`,
      ].join(' | ');
      return new Promise((resolve, reject) => {
        const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('error', reject);
        child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
      });
    }

    function connection(): Record<string, unknown> {
      const server = new URL(url as string);
      return {
        host: server.hostname,
        port: Number(server.port || 5432),
        user: decodeURIComponent(server.username),
        database: server.pathname.slice(1),
        ...(server.password ? { password: decodeURIComponent(server.password) } : {}),
      };
    }

    it('loads exactly the imputed, normalized rows without the outlier, and STATE carries every stage’s parameters', async () => {
      const { code, stdout, stderr } = await runPipeline({
        tap: { ...connection(), filter_schemas: [SOURCE], select: [`${SOURCE}-readings`] },
        impute: { columns: { temp: 'median', amount: 'average', label: { strategy: 'constant', value: 'none' } } },
        normalize: {},
        outliers: { method: 'zscore' },
        target: { ...connection(), default_target_schema: DESTINATION },
      });
      expect(code, stderr).toBe(0);

      const tables = psql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${DESTINATION}'`).split('\n');
      expect(tables).toHaveLength(1);
      const rows = psql(`SELECT id, temp, amount, label FROM ${DESTINATION}."${tables[0]}" ORDER BY id`).split('\n');
      const expected = expectedRows();
      expect(expected).toHaveLength(19); // the outlier (id 20) is gone
      // Compare numbers as numbers: PostgreSQL and JavaScript may spell the same double differently.
      const asValues = (line: string): unknown[] => line.split('|').map((field, i) => (i === 0 || i === 1 || i === 2 ? Number(field) : field));
      expect(rows.map(asValues)).toEqual(expected.map(asValues));

      // The final STATE went through every stage, so it holds each one's fitted parameters.
      const states = stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { value: Record<string, unknown> });
      const last = states.at(-1)?.value ?? {};
      expect(Object.keys(last)).toEqual(expect.arrayContaining(['bookmarks', 'transform-impute', 'transform-normalize', 'transform-outliers']));
      expect(last['transform-normalize']).toEqual({
        version: 1,
        streams: { [`${SOURCE}-readings`]: { columns: { temp: { min: 20, max: 500 }, amount: { min: 11, max: 20 } } } },
      });
      // And each stage said what it did.
      expect(stderr).toMatch(/transform-impute: stream "[^"]+": column "temp": 2 missing values imputed by median/);
      expect(stderr).toMatch(/transform-impute: stream "[^"]+": column "label": 1 missing values imputed by constant "none"/);
      expect(stderr).toMatch(/transform-outliers: stream "[^"]+": 1 of 20 rows dropped/);
    }, 120_000);

    it('keeps bigint ids and an imputed bigint with every digit, from the source table to the destination', async () => {
      const { code, stdout, stderr } = await runPipeline({
        tap: { ...connection(), filter_schemas: [SOURCE], select: [`${SOURCE}-ids`] },
        impute: { strategy: 'noop', columns: { ref: 'mode' } },
        normalize: { columns: ['temp'] },
        outliers: { method: 'zscore', columns: ['temp'] },
        target: { ...connection(), default_target_schema: `${DESTINATION}_ids` },
      });
      expect(code, stderr).toBe(0);
      try {
        const table = psql(`SELECT table_name FROM information_schema.tables WHERE table_schema = '${DESTINATION}_ids'`);
        expect(psql(`SELECT id::text || '|' || ref::text || '|' || temp::text FROM ${DESTINATION}_ids."${table}" ORDER BY id`).split('\n')).toEqual([
          '-9223372036854775808|-9223372036854775807|1',
          '9007199254740992|9007199254740993|0.6666666666666666',
          '9007199254740993|9007199254740993|0.3333333333333333',
          '9223372036854775807|9007199254740993|0',
        ]);
        expect(stderr).toMatch(/column "ref": 1 missing values imputed by mode/);
        // The fitted mode travels in STATE as a saved bigint, so any state store keeps its digits.
        expect(stdout).toContain('"ref":{"strategy":"fill","value":{"$bigint":"9007199254740993"},"how":"mode"}');
      } finally {
        psql(`DROP SCHEMA IF EXISTS ${DESTINATION}_ids CASCADE`);
      }
    }, 120_000);
  },
);
