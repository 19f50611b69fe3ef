#!/usr/bin/env node
/**
 * Not a test: pipes an orders-shaped JSONL file (see shared docs, performance.md) into target-postgres and
 * reports rows/s beside the physical limit measured in the same run (`psql -c "COPY ... FROM STDIN"` of
 * the same rows as COPY text into an empty table with the same primary key).
 *
 *   node targets/postgres/bench/measure-load.mjs [--rows 1000000] [--runs 3] [--cpu-prof DIR]
 *
 * Needs TAPLINE_TEST_POSTGRES_URL and `npm run build`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, 'cpu-prof': { type: 'string' } } });
const rows = Number(values.rows);
const runs = Number(values.runs);
const url = process.env.TAPLINE_TEST_POSTGRES_URL;
if (!url) throw new Error('set TAPLINE_TEST_POSTGRES_URL');
const bin = fileURLToPath(new URL('../bin/target-postgres.js', import.meta.url));
const dir = join(tmpdir(), 'tapline-target-postgres-bench');
mkdirSync(dir, { recursive: true });
const jsonl = join(dir, `orders-${rows}.jsonl`);
const copyText = join(dir, `orders-${rows}.copy`);

const schema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    customer_id: { type: ['null', 'integer'] },
    sku: { type: ['null', 'string'], maxLength: 32 },
    note: { type: ['null', 'string'] },
    amount: { type: ['null', 'string'], format: 'singer.decimal' },
    score: { type: ['null', 'number'] },
    is_paid: { type: ['null', 'boolean'] },
    created_at: { type: ['null', 'string'], format: 'date-time' },
    ship_date: { type: ['null', 'string'], format: 'date' },
    attrs: { type: ['null', 'object'] },
  },
};

async function generate() {
  if (existsSync(jsonl) && existsSync(copyText)) return;
  const out = createWriteStream(jsonl);
  const copy = createWriteStream(copyText);
  out.write(`${JSON.stringify({ type: 'SCHEMA', stream: 'orders', schema, key_properties: ['id'] })}\n`);
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const base = Date.UTC(2023, 0, 1);
  let text = '';
  let copyChunk = '';
  for (let id = 1; id <= rows; id += 1) {
    const at = new Date(base + Math.floor(random() * 3e10));
    const record = {
      id,
      customer_id: Math.floor(random() * 100000),
      sku: `SKU-${Math.floor(random() * 1e6).toString(36).toUpperCase()}`,
      note: random() < 0.1 ? null : `note ${id} for customer`,
      amount: (Math.floor(random() * 1e7) / 100).toFixed(2),
      score: random() * 100,
      is_paid: random() < 0.5,
      created_at: at.toISOString(),
      ship_date: at.toISOString().slice(0, 10),
      attrs: { channel: random() < 0.5 ? 'web' : 'store', items: Math.floor(random() * 5) + 1 },
    };
    text += `{"type":"RECORD","stream":"orders","record":${JSON.stringify(record)}}\n`;
    if (id % 10000 === 0) text += `{"type":"STATE","value":{"bookmarks":{"orders":{"id":${id}}}}}\n`;
    copyChunk += [record.id, record.customer_id, record.sku, record.note ?? '\\N', record.amount, record.score, record.is_paid ? 't' : 'f', record.created_at, record.ship_date, JSON.stringify(record.attrs)].join('\t') + '\n';
    if (text.length > 1 << 20) {
      if (!out.write(text)) await new Promise((r) => out.once('drain', r));
      if (!copy.write(copyChunk)) await new Promise((r) => copy.once('drain', r));
      text = '';
      copyChunk = '';
    }
  }
  out.write(text);
  copy.write(copyChunk);
  await Promise.all([new Promise((r) => out.end(r)), new Promise((r) => copy.end(r))]);
}

function psql(sql, input) {
  const result = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', sql], input === undefined ? {} : { stdio: [openSync(input, 'r'), 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(String(result.stderr));
}

const SCHEMA = 'tapline_bench_target';
const DDL = `DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE; CREATE SCHEMA ${SCHEMA}; CREATE TABLE ${SCHEMA}.orders (id bigint primary key, customer_id bigint, sku text, note text, amount numeric, score double precision, is_paid boolean, created_at timestamptz, ship_date date, attrs jsonb)`;

function baseline() {
  psql(DDL);
  const start = process.hrtime.bigint();
  psql(`COPY ${SCHEMA}.orders FROM STDIN`, copyText);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function target(profileDir) {
  psql(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  const parsed = new URL(url);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ host: parsed.hostname, port: Number(parsed.port || 5432), user: decodeURIComponent(parsed.username), database: parsed.pathname.slice(1), default_target_schema: SCHEMA }));
  const args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), bin, '--config', config];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: [openSync(jsonl, 'r'), 'ignore', 'inherit'], env: { ...process.env, TAPLINE_LOG_LEVEL: 'warn' } });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e9) : reject(new Error(`target exited ${code}`))));
  });
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
await generate();
const base = [];
const ours = [];
for (let i = 0; i < runs; i += 1) {
  base.push(baseline());
  ours.push(await target(i === 0 ? values['cpu-prof'] : undefined));
}
const b = median(base);
const t = median(ours);
console.log(`rows ${rows}: psql COPY FROM ${b.toFixed(2)} s (${Math.round(rows / b)} rows/s); target-postgres ${t.toFixed(2)} s (${Math.round(rows / t)} rows/s); ratio ${(b / t).toFixed(2)}x`);
psql(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
