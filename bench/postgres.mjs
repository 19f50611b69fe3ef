// tap-postgres | target-postgres against the psql COPY pipe, and tap-postgres > /dev/null against
// COPY TO STDOUT > /dev/null, in the same run; plus the peak RSS of each of our processes.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { BENCH_DB, ORDERS_COLUMNS, ensureOrders, psql } from './lib/postgres-dataset.mjs';
import { median, options, timeShell } from './lib/measure.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tap = `node ${root}taps/postgres/bin/tap-postgres.js`;
const target = `node ${root}targets/postgres/bin/target-postgres.js`;
const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: BENCH_DB };

async function prepare(rows) {
  const table = ensureOrders(rows);
  const dir = `${root}bench/data/pg-${rows}`;
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/tap.json`, JSON.stringify({ ...connection, filter_schemas: ['bench'], filter_tables: [table] }));
  await writeFile(`${dir}/target.json`, JSON.stringify({ ...connection, default_target_schema: 'bench_out' }));
  // Discover, then select the one stream for a full-table sync.
  const { execFileSync } = await import('node:child_process');
  const catalog = JSON.parse(execFileSync('node', [`${root}taps/postgres/bin/tap-postgres.js`, '--config', `${dir}/tap.json`, '--discover'], { encoding: 'utf8' }));
  catalog.streams = catalog.streams.filter((stream) => stream.tap_stream_id === `bench-${table}`);
  for (const stream of catalog.streams) {
    const top = stream.metadata.find((entry) => entry.breadcrumb.length === 0);
    Object.assign(top.metadata, { selected: true, 'replication-method': 'FULL_TABLE' });
  }
  await writeFile(`${dir}/catalog.json`, JSON.stringify(catalog));
  return { table, dir };
}

function resetDestinations(table) {
  psql(`DROP SCHEMA IF EXISTS bench_out CASCADE`);
  psql(`DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy; CREATE TABLE bench_copy.${table} (${ORDERS_COLUMNS})`);
}

/** Peak RSS (MB) of each node process of a pipeline, via GNU time. */
async function peakRss(command) {
  const { stderr } = await timeShell(command);
  return [...stderr.matchAll(/^RSS (\w+) (\d+)$/gm)].map(([, name, kb]) => ({ name, mb: Math.round(Number(kb) / 1024) }));
}

export async function run(argv) {
  const { rows, runs } = options(argv, { rows: 1_000_000, runs: 3 });
  const { table, dir } = await prepare(rows);
  const psqlCmd = `psql -h 127.0.0.1 -U postgres -d ${BENCH_DB} -qt`;
  const commands = {
    copy_pipe: `${psqlCmd} -c "COPY bench.${table} TO STDOUT" | ${psqlCmd} -c "COPY bench_copy.${table} FROM STDIN"`,
    ours_pipe: `${tap} --config ${dir}/tap.json --catalog ${dir}/catalog.json | ${target} --config ${dir}/target.json > /dev/null`,
    copy_out: `${psqlCmd} -c "COPY bench.${table} TO STDOUT" > /dev/null`,
    tap_out: `${tap} --config ${dir}/tap.json --catalog ${dir}/catalog.json > /dev/null`,
  };
  const times = Object.fromEntries(Object.keys(commands).map((key) => [key, []]));
  for (let i = 0; i < runs; i += 1) {
    for (const [key, command] of Object.entries(commands)) {
      resetDestinations(table);
      const { seconds } = await timeShell(command, { TAPLINE_LOG_LEVEL: 'warn' });
      times[key].push(seconds);
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([key, list]) => [key, median(list)]));
  resetDestinations(table);
  const rss = await peakRss(
    `/usr/bin/time -f "RSS tap %M" ${tap} --config ${dir}/tap.json --catalog ${dir}/catalog.json | /usr/bin/time -f "RSS target %M" ${target} --config ${dir}/target.json > /dev/null`,
  );
  const report = {
    scenario: 'postgres',
    rows,
    runs,
    seconds: m,
    rows_per_s: { copy_pipe: Math.round(rows / m.copy_pipe), ours_pipe: Math.round(rows / m.ours_pipe), tap_out: Math.round(rows / m.tap_out) },
    ratio_pipe_vs_copy: +(m.copy_pipe / m.ours_pipe).toFixed(3),
    ratio_tap_vs_copy_out: +(m.copy_out / m.tap_out).toFixed(3),
    goals: { pipe: 0.5, tap: 0.35 },
    peak_rss_mb: rss,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
