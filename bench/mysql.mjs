// tap-mysql | target-mysql, tap-postgres | target-mysql and tap-mysql | target-postgres against the
// `mysqldump --no-create-info | mysql` pipe, in the same run; plus the peak RSS of each of our processes.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { MYSQL_ARGS, MYSQL_BENCH_DB, MYSQL_ORDERS_COLUMNS, ensureMysqlOrders, mysql } from './lib/mysql-dataset.mjs';
import { BENCH_DB, ensureOrders, psql } from './lib/postgres-dataset.mjs';
import { median, options, timeShell } from './lib/measure.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bins = {
  tapMysql: `node ${root}taps/mysql/bin/tap-mysql.js`,
  targetMysql: `node ${root}targets/mysql/bin/target-mysql.js`,
  tapPostgres: `node ${root}taps/postgres/bin/tap-postgres.js`,
  targetPostgres: `node ${root}targets/postgres/bin/target-postgres.js`,
};
const mysqlConnection = { host: '127.0.0.1', port: 3306, user: 'root' };
const pgConnection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: BENCH_DB };
const OUT_DB = `${MYSQL_BENCH_DB}_out`;
const COPY_DB = `${MYSQL_BENCH_DB}_copy`;

/** Discover with a tap, keep the one stream, select it for a full-table sync. */
async function catalogFor(tapBin, configPath, streamId, path) {
  const catalog = JSON.parse(execFileSync('node', [tapBin, '--config', configPath, '--discover'], { encoding: 'utf8', maxBuffer: 1 << 26 }));
  catalog.streams = catalog.streams.filter((stream) => stream.tap_stream_id === streamId);
  if (catalog.streams.length !== 1) throw new Error(`stream ${streamId} not found`);
  const top = catalog.streams[0].metadata.find((entry) => entry.breadcrumb.length === 0);
  Object.assign(top.metadata, { selected: true, 'replication-method': 'FULL_TABLE' });
  await writeFile(path, JSON.stringify(catalog));
}

async function prepare(rows) {
  const table = ensureMysqlOrders(rows);
  const pgTable = ensureOrders(rows);
  const dir = `${root}bench/data/mysql-${rows}`;
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}/tap-mysql.json`, JSON.stringify({ ...mysqlConnection, database: MYSQL_BENCH_DB, filter_tables: [table] }));
  await writeFile(`${dir}/target-mysql.json`, JSON.stringify({ ...mysqlConnection, default_target_schema: OUT_DB }));
  await writeFile(`${dir}/tap-postgres.json`, JSON.stringify({ ...pgConnection, filter_schemas: ['bench'], filter_tables: [pgTable] }));
  await writeFile(`${dir}/target-postgres.json`, JSON.stringify({ ...pgConnection, default_target_schema: 'bench_mysql_out' }));
  await catalogFor(`${root}taps/mysql/bin/tap-mysql.js`, `${dir}/tap-mysql.json`, `${MYSQL_BENCH_DB}-${table}`, `${dir}/catalog-mysql.json`);
  await catalogFor(`${root}taps/postgres/bin/tap-postgres.js`, `${dir}/tap-postgres.json`, `bench-${pgTable}`, `${dir}/catalog-postgres.json`);
  return { table, dir };
}

function resetDestinations(table) {
  mysql(`DROP DATABASE IF EXISTS ${OUT_DB}; DROP DATABASE IF EXISTS ${COPY_DB}; CREATE DATABASE ${COPY_DB} CHARACTER SET utf8mb4;
    CREATE TABLE ${COPY_DB}.${table} (${MYSQL_ORDERS_COLUMNS}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`, '');
  psql('DROP SCHEMA IF EXISTS bench_mysql_out CASCADE');
}

async function peakRss(command) {
  const { stderr } = await timeShell(command, { TAPLINE_LOG_LEVEL: 'warn' });
  return [...stderr.matchAll(/^RSS (\w+) (\d+)$/gm)].map(([, name, kb]) => ({ name, mb: Math.round(Number(kb) / 1024) }));
}

export async function run(argv) {
  const { rows, runs } = options(argv, { rows: 1_000_000, runs: 3 });
  const { table, dir } = await prepare(rows);
  const client = MYSQL_ARGS.join(' ');
  const dump = execFileSync('bash', ['-c', 'command -v mariadb-dump || command -v mysqldump'], { encoding: 'utf8' }).trim();
  const tapMysql = `${bins.tapMysql} --config ${dir}/tap-mysql.json --catalog ${dir}/catalog-mysql.json`;
  const tapPostgres = `${bins.tapPostgres} --config ${dir}/tap-postgres.json --catalog ${dir}/catalog-postgres.json`;
  const commands = {
    dump_pipe: `${dump} ${client} --no-create-info --single-transaction --skip-triggers ${MYSQL_BENCH_DB} ${table} | mysql ${client} ${COPY_DB}`,
    mysql_to_mysql: `${tapMysql} | ${bins.targetMysql} --config ${dir}/target-mysql.json > /dev/null`,
    postgres_to_mysql: `${tapPostgres} | ${bins.targetMysql} --config ${dir}/target-mysql.json > /dev/null`,
    mysql_to_postgres: `${tapMysql} | ${bins.targetPostgres} --config ${dir}/target-postgres.json > /dev/null`,
    tap_mysql_out: `${tapMysql} > /dev/null`,
  };
  const times = Object.fromEntries(Object.keys(commands).map((key) => [key, []]));
  // The copies must hold every row, or the timings mean nothing: counted after every run.
  const counts = {
    dump_pipe: () => mysql(`SELECT count(*) FROM ${COPY_DB}.${table}`, ''),
    mysql_to_mysql: () => mysql(`SELECT count(*) FROM \`${OUT_DB}\`.\`${MYSQL_BENCH_DB}-${table}\``, ''),
    postgres_to_mysql: () => mysql(`SELECT count(*) FROM \`${OUT_DB}\`.\`bench-orders_${rows}\``, ''),
    mysql_to_postgres: () => psql(`SELECT count(*) FROM bench_mysql_out."${MYSQL_BENCH_DB}-${table}"`),
  };
  const copied = {};
  for (let i = 0; i < runs; i += 1) {
    for (const [key, command] of Object.entries(commands)) {
      resetDestinations(table);
      const { seconds } = await timeShell(command, { TAPLINE_LOG_LEVEL: 'warn' });
      times[key].push(+seconds.toFixed(3));
      if (counts[key] !== undefined) copied[key] = Number(counts[key]());
      if (copied[key] !== undefined && copied[key] !== rows) throw new Error(`${key} copied ${copied[key]} rows, not ${rows}`);
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([key, list]) => [key, median(list)]));
  resetDestinations(table);
  const rss = await peakRss(
    `/usr/bin/time -f "RSS tap %M" ${tapMysql} | /usr/bin/time -f "RSS target %M" ${bins.targetMysql} --config ${dir}/target-mysql.json > /dev/null`,
  );
  const ratio = (key) => +(m.dump_pipe / m[key]).toFixed(3);
  const report = {
    scenario: 'mysql',
    rows,
    runs,
    seconds: m,
    all_runs: times,
    rows_copied: copied,
    rows_per_s: Object.fromEntries(Object.entries(m).map(([key, seconds]) => [key, Math.round(rows / seconds)])),
    ratio_vs_dump_pipe: { mysql_to_mysql: ratio('mysql_to_mysql'), postgres_to_mysql: ratio('postgres_to_mysql'), mysql_to_postgres: ratio('mysql_to_postgres') },
    goals: { mysql_to_mysql: 0.4, stretch: 0.7 },
    peak_rss_mb: rss,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
