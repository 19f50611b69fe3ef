// Each transform stage alone, JSONL in to JSONL out, against `cat` in the same position; and the
// three-stage chain between tap-postgres and target-postgres against tap | target (with --chain).
//
//   npm run bench -- transforms [--rows 1000000] [--runs 3] [--stages impute,normalize] [--chain]
//
// The input is the orders dataset as tap-postgres sends it (a true SCHEMA: exact decimals as
// singer.decimal strings, nullable columns), with a few nulls and outliers so every stage has work.
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, timeShell } from './lib/measure.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

const ORDERS_SCHEMA = {
  type: 'SCHEMA',
  stream: 'orders',
  schema: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      customer_id: { type: ['integer', 'null'] },
      sku: { type: ['string', 'null'], maxLength: 32 },
      note: { type: ['string', 'null'] },
      amount: { type: ['string', 'null'], format: 'singer.decimal' },
      score: { type: ['number', 'null'] },
      is_paid: { type: ['boolean', 'null'] },
      created_at: { type: ['string', 'null'], format: 'date-time' },
      ship_date: { type: ['string', 'null'], format: 'date' },
      attrs: {},
    },
  },
  key_properties: ['id'],
};

/** Deterministic orders JSONL: 20% null notes, 1% null scores, 0.1% score outliers. */
export async function generateOrders(path, rows) {
  const out = createWriteStream(path);
  out.write(`${JSON.stringify(ORDERS_SCHEMA)}\n`);
  out.write(`${JSON.stringify({ type: 'STATE', value: { bookmarks: {} } })}\n`);
  let seed = 42;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
  const lines = [];
  for (let id = 1; id <= rows; id += 1) {
    const r = random();
    const record = {
      id,
      customer_id: Math.floor(random() * 100000),
      sku: `SKU-${Math.floor(random() * 1e6).toString().padStart(6, '0')}`,
      note: random() < 0.2 ? null : `order note ${Math.floor(random() * 1e9)} with some text`,
      amount: (Math.floor(random() * 1e6) / 100).toFixed(2),
      score: r < 0.01 ? null : r > 0.999 ? 50000 + random() * 1000 : random() * 1000,
      is_paid: random() < 0.5,
      created_at: new Date(1.6e12 + id * 1000).toISOString(),
      ship_date: new Date(1.6e12 + Math.floor(random() * 1e11)).toISOString().slice(0, 10),
      attrs: { channel: random() < 0.5 ? 'web' : 'store', priority: Math.floor(random() * 5) },
    };
    lines.push(JSON.stringify({ type: 'RECORD', stream: 'orders', record, time_extracted: '2026-01-01T00:00:00.000Z' }));
    if (lines.length === 10000) {
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      lines.length = 0;
    }
    if (id % 100000 === 0) lines.push(JSON.stringify({ type: 'STATE', value: { bookmarks: { orders: { id } } } }));
  }
  if (lines.length) out.write(`${lines.join('\n')}\n`);
  out.write(`${JSON.stringify({ type: 'STATE', value: { bookmarks: { orders: { id: rows } } } })}\n`);
  out.end();
  await once(out, 'finish');
}

/** The stage runs measured: name -> [package dir, config]. */
function stageRuns(dir) {
  return {
    'clean-names': ['clean-names', {}],
    impute: ['impute', { spill_dir: dir }],
    'impute-median': ['impute', { spill_dir: dir, strategy: 'noop', columns: { score: 'median', note: 'mode' } }],
    normalize: ['normalize', { spill_dir: dir }],
    standardize: ['standardize', { spill_dir: dir }],
    'outliers-zscore': ['outliers', { spill_dir: dir, method: 'zscore' }],
    'outliers-auto': ['outliers', { spill_dir: dir }],
    profile: ['profile', { output_dir: `${dir}/profile` }],
  };
}

async function chain(rows, runs) {
  const { ensureOrders, BENCH_DB, psql } = await import('./lib/postgres-dataset.mjs');
  const table = ensureOrders(rows);
  const dir = `${root}bench/data/pg-${rows}`;
  await mkdir(dir, { recursive: true });
  const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: BENCH_DB };
  await writeFile(`${dir}/tap.json`, JSON.stringify({ ...connection, filter_schemas: ['bench'], filter_tables: [table] }));
  await writeFile(`${dir}/target.json`, JSON.stringify({ ...connection, default_target_schema: 'bench_out' }));
  await writeFile(`${dir}/stage.json`, JSON.stringify({ spill_dir: dir }));
  // Fitted on the first 100,000 rows, the stages stream the rest instead of holding the table back.
  await writeFile(`${dir}/stage-streaming.json`, JSON.stringify({ spill_dir: dir, fit_max_rows: 100000 }));
  const { execFileSync } = await import('node:child_process');
  const tapBin = `${root}taps/postgres/bin/tap-postgres.js`;
  const catalog = JSON.parse(execFileSync('node', [tapBin, '--config', `${dir}/tap.json`, '--discover'], { encoding: 'utf8' }));
  catalog.streams = catalog.streams.filter((stream) => stream.tap_stream_id === `bench-${table}`);
  for (const stream of catalog.streams) {
    const top = stream.metadata.find((entry) => entry.breadcrumb.length === 0);
    Object.assign(top.metadata, { selected: true, 'replication-method': 'FULL_TABLE' });
  }
  await writeFile(`${dir}/catalog.json`, JSON.stringify(catalog));
  const tap = `node ${tapBin} --config ${dir}/tap.json --catalog ${dir}/catalog.json`;
  const target = `node ${root}targets/postgres/bin/target-postgres.js --config ${dir}/target.json > /dev/null`;
  const stage = (name, config = 'stage') => `node ${root}transforms/${name}/bin/transform-${name}.js --config ${dir}/${config}.json`;
  const commands = {
    tap_target: `${tap} | ${target}`,
    tap_chain_target: `${tap} | ${stage('impute')} | ${stage('normalize')} | ${stage('outliers')} | ${target}`,
    tap_chain_fit_first_100k_target: `${tap} | ${stage('impute', 'stage-streaming')} | ${stage('normalize', 'stage-streaming')} | ${stage('outliers', 'stage-streaming')} | ${target}`,
  };
  const times = Object.fromEntries(Object.keys(commands).map((key) => [key, []]));
  const cpu = Object.fromEntries(Object.keys(commands).map((key) => [key, []]));
  for (let i = 0; i < runs; i += 1) {
    for (const [key, command] of Object.entries(commands)) {
      psql('DROP SCHEMA IF EXISTS bench_out CASCADE');
      // GNU time around the whole pipe: the CPU seconds of all our processes (not the server's).
      const { seconds, stderr } = await timeShell(`/usr/bin/time -f "PIPE %U %S" bash -o pipefail -c '${command}'`, { TAPLINE_LOG_LEVEL: 'warn' });
      times[key].push(seconds);
      const usage = /^PIPE ([\d.]+) ([\d.]+)$/m.exec(stderr);
      if (usage) cpu[key].push(Number(usage[1]) + Number(usage[2]));
    }
  }
  psql('DROP SCHEMA IF EXISTS bench_out CASCADE');
  const seconds = Object.fromEntries(Object.entries(times).map(([key, list]) => [key, +median(list).toFixed(3)]));
  const clientCpuSeconds = Object.fromEntries(Object.entries(cpu).filter(([, list]) => list.length).map(([key, list]) => [key, +median(list).toFixed(2)]));
  const ratios = Object.fromEntries(Object.keys(commands).filter((key) => key !== 'tap_target').map((key) => [key, +(seconds[key] / seconds.tap_target).toFixed(3)]));
  return { rows, seconds, client_cpu_seconds: clientCpuSeconds, runs: times, ratio_vs_tap_target: ratios, goal_ratio: 1.3 };
}

export async function run(argv) {
  const { values } = parseArgs({
    args: argv,
    options: { rows: { type: 'string' }, runs: { type: 'string' }, stages: { type: 'string' }, chain: { type: 'boolean' } },
    allowPositionals: false,
  });
  const rows = Number(values.rows ?? 1_000_000);
  const runs = Number(values.runs ?? 3);
  const dir = `${root}bench/data/transforms`;
  await mkdir(dir, { recursive: true });
  const input = `${root}bench/data/orders-v2-${rows}.jsonl`;
  if (!existsSync(input)) {
    process.stderr.write(`generating ${rows} records into ${input}\n`);
    // Written aside and renamed, so an interrupted run never leaves a short file behind to be reused.
    await generateOrders(`${input}.partial`, rows);
    await rename(`${input}.partial`, input);
  }
  const wanted = values.stages ? new Set(values.stages.split(',')) : undefined;
  // The floor of any stage: the protocol reader (lazy records) and writer with nothing to do.
  const commands = {
    cat: `cat ${input} | cat > /dev/null`,
    passthrough: `cat ${input} | /usr/bin/time -f "STAGE %U %S %M" node ${root}bench/lib/passthrough.mjs lazy > /dev/null`,
  };
  for (const [name, [pkg, config]] of Object.entries(stageRuns(dir))) {
    if (wanted && !wanted.has(name)) continue;
    const bin = `${root}transforms/${pkg}/bin/transform-${pkg}.js`;
    if (!existsSync(bin)) continue;
    await writeFile(`${dir}/${name}.json`, JSON.stringify(config));
    // GNU time around the stage alone: its CPU seconds (the fair measure on a busy machine) and peak RSS.
    commands[name] = `cat ${input} | TAPLINE_LOG_LEVEL=warn /usr/bin/time -f "STAGE %U %S %M" node ${bin} --config ${dir}/${name}.json > /dev/null`;
  }
  // Alternate the commands run by run, so drift in a noisy machine hits all of them alike.
  const results = Object.fromEntries(Object.keys(commands).map((key) => [key, { runs: [], cpu: [], rss: [] }]));
  for (let i = 0; i < runs; i += 1) {
    for (const [key, command] of Object.entries(commands)) {
      const { seconds, stderr } = await timeShell(command);
      results[key].runs.push(seconds);
      const usage = /^STAGE ([\d.]+) ([\d.]+) (\d+)$/m.exec(stderr);
      if (usage) {
        results[key].cpu.push(Number(usage[1]) + Number(usage[2]));
        results[key].rss.push(Number(usage[3]) / 1024);
      }
    }
  }
  const report = { scenario: 'transforms', rows, runs, goal_records_per_s: 500_000, stages: {} };
  const base = (key) => median(results[key].runs);
  for (const [name, { runs: list, cpu, rss }] of Object.entries(results)) {
    const m = median(list);
    report.stages[name] = {
      seconds: +m.toFixed(3),
      records_per_s: Math.round(rows / m),
      vs_cat: +(base('cat') / m).toFixed(3),
      vs_passthrough: +(base('passthrough') / m).toFixed(3),
      ...(cpu.length ? { cpu_seconds: +median(cpu).toFixed(2), records_per_cpu_s: Math.round(rows / median(cpu)), peak_rss_mb: Math.round(Math.max(...rss)) } : {}),
      runs: list.map((s) => +s.toFixed(3)),
    };
  }
  if (values.chain) report.chain = await chain(rows, runs);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
