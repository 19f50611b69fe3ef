// The orders dataset of performance.md in MariaDB/MySQL, generated deterministically inside the server
// with the same formulas as bench/lib/postgres-dataset.mjs and the closest MySQL types.
import { execFileSync } from 'node:child_process';

export const MYSQL_BENCH_DB = process.env.TAPLINE_BENCH_MYSQL_DATABASE ?? 'tapline_bench';
export const MYSQL_ARGS = ['-h', process.env.MYSQL_HOST ?? '127.0.0.1', '-P', process.env.MYSQL_PORT ?? '3306', '-u', process.env.MYSQL_USER ?? 'root'];

export function mysql(sql, database = MYSQL_BENCH_DB) {
  return execFileSync('mysql', [...MYSQL_ARGS, '--default-character-set=utf8mb4', '-N', '-B', '-e', sql, ...(database ? [database] : [])], { encoding: 'utf8' }).trim();
}

export const MYSQL_ORDERS_COLUMNS = `id bigint PRIMARY KEY, customer_id int, sku varchar(32), note text, amount decimal(12,2),
  score double, is_paid tinyint(1), created_at timestamp(6) NULL DEFAULT NULL, ship_date date, attrs json`;

/** Create tapline_bench.orders_<rows> once; returns its name. Needs MariaDB's sequence engine (seq_1_to_N). */
export function ensureMysqlOrders(rows) {
  mysql(`CREATE DATABASE IF NOT EXISTS ${MYSQL_BENCH_DB} CHARACTER SET utf8mb4`, '');
  const table = `orders_${rows}`;
  const count = mysql(`SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${MYSQL_BENCH_DB}' AND TABLE_NAME = '${table}'`);
  if (count === '0') {
    process.stderr.write(`generating ${MYSQL_BENCH_DB}.${table} in MySQL (${rows} rows)\n`);
    mysql(`SET time_zone = '+00:00'; CREATE TABLE ${table}_loading (${MYSQL_ORDERS_COLUMNS}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
      INSERT INTO ${table}_loading
      SELECT seq, (seq * 7919) % 100000, CONCAT('SKU-', LPAD((seq * 104729) % 1000000, 6, '0')),
        IF(seq % 5 = 0, NULL, CONCAT('order note ', seq, ' with some text')),
        ((seq * 37) % 100000) / 100, ((seq * 7) % 1000) / 3e0, seq % 2 = 0,
        TIMESTAMP '2020-01-01 00:00:00' + INTERVAL seq SECOND,
        DATE '2020-01-01' + INTERVAL (seq % 1500) DAY,
        JSON_OBJECT('channel', IF(seq % 2 = 0, 'web', 'store'), 'priority', seq % 5)
      FROM seq_1_to_${rows};
      RENAME TABLE ${table}_loading TO ${table}; ANALYZE TABLE ${table}`);
  }
  return table;
}
