// The orders dataset of performance.md, generated deterministically inside PostgreSQL.
import { execFileSync } from 'node:child_process';

export const BENCH_DB = process.env.TAPLINE_BENCH_DATABASE ?? 'tapline_bench';
const PG = ['-h', process.env.PGHOST ?? '127.0.0.1', '-U', process.env.PGUSER ?? 'postgres', '-v', 'ON_ERROR_STOP=1', '-qtA'];

export function psql(sql, database = BENCH_DB) {
  return execFileSync('psql', [...PG, '-d', database, '-c', sql], { encoding: 'utf8', env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } }).trim();
}

export function ensureDatabase() {
  const exists = psql(`SELECT 1 FROM pg_database WHERE datname = '${BENCH_DB}'`, 'postgres');
  if (exists !== '1') psql(`CREATE DATABASE ${BENCH_DB}`, 'postgres');
}

export const ORDERS_COLUMNS = `id bigint PRIMARY KEY, customer_id integer, sku varchar(32), note text, amount numeric(12,2),
  score double precision, is_paid boolean, created_at timestamptz, ship_date date, attrs jsonb`;

/** Create bench.orders_<rows> once (generation takes a while at 10M rows); returns its name. */
export function ensureOrders(rows) {
  ensureDatabase();
  const table = `orders_${rows}`;
  psql('CREATE SCHEMA IF NOT EXISTS bench');
  const count = psql(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'bench' AND table_name = '${table}'`);
  if (count === '0') {
    process.stderr.write(`generating bench.${table} (${rows} rows)\n`);
    // One query string is one transaction: a failed generation leaves no empty table behind.
    psql(`CREATE TABLE bench.${table} (${ORDERS_COLUMNS});
      INSERT INTO bench.${table}
      SELECT g, ((g * 7919) % 100000)::int, 'SKU-' || lpad(((g * 104729) % 1000000)::text, 6, '0'),
        CASE WHEN g % 5 = 0 THEN NULL ELSE 'order note ' || g || ' with some text' END,
        ((g * 37) % 100000) / 100.0, ((g * 7) % 1000) / 3.0, g % 2 = 0,
        timestamptz '2020-01-01 00:00:00+00' + make_interval(secs => g),
        date '2020-01-01' + (g % 1500)::int,
        jsonb_build_object('channel', CASE WHEN g % 2 = 0 THEN 'web' ELSE 'store' END, 'priority', g % 5)
      FROM generate_series(1::bigint, ${rows}) AS g`);
    psql(`VACUUM ANALYZE bench.${table}`);
  }
  return table;
}
