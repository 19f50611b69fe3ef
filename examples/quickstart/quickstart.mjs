#!/usr/bin/env node
/**
 * `npm run quickstart`: runs pipeline.yml through `tapline run` (tap-csv, five transforms, target-duckdb),
 * shows the programs' own lines as they come, then says in a few lines what happened and where the
 * results are. Extra arguments go to `tapline run` (`--full-refresh`, say).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const here = import.meta.dirname;
const root = resolve(here, '..', '..');
const show = (path) => relative(process.cwd(), path) || '.';
const database = join(here, '.tapline', 'quickstart.duckdb');
const report = join(here, '.tapline', 'profile', 'orders.html');

const child = spawn(process.execPath, [join(root, 'runner', 'bin', 'tapline.js'), 'run', join(here, 'pipeline.yml'), ...process.argv.slice(2)], {
  stdio: ['ignore', 'inherit', 'pipe'],
  env: { TAPLINE_LOG_LEVEL: 'info', ...process.env },
});
const lines = [];
createInterface({ input: child.stderr }).on('line', (line) => {
  lines.push(line);
  process.stderr.write(`${line}\n`);
});
const code = await new Promise((done) => child.on('close', (status, signal) => done(status ?? (signal ? 128 : 1))));
if (code !== 0) process.exit(code);

/** The lines a stage printed at the end, without the runner's prefix and the log level. */
const said = (label, pattern) =>
  lines
    .filter((line) => line.startsWith(`[${label}]`))
    .map((line) => line.replace(/^.*?transform-[\w-]+: /, '').replace(/^stream "orders": /, ''))
    .filter((text) => pattern.test(text));

const { DuckDBInstance } = await import('@duckdb/node-api');
const instance = await DuckDBInstance.create(database);
const connection = await instance.connect();
const count = Number((await connection.runAndReadAll('SELECT count(*) FROM main.orders')).getRows()[0][0]);
connection.closeSync?.();

const resumed = lines.some((line) => /resuming from the state/.test(line));
const summary = lines.filter((line) => /pipeline "quickstart" done/.test(line)).map((line) => line.replace(/^.*?pipeline/, 'pipeline').replace(/; state saved to .*/, ''));
const out = [
  '',
  resumed ? 'Quickstart: an incremental run (the stored state told tap-csv which files it had already read).' : 'Quickstart: a first run.',
  ...lines.filter((line) => line.startsWith('[tap]') && / done: /.test(line)).map((line) => `  tap-csv read ${line.replace(/^.* done: /, '').replace(/;.*$/, '')}`),
  ...summary.map((line) => `  ${line}`),
  ...said('impute', /imputed/).map((text) => `  impute: ${text}`),
  ...said('outliers', /rows dropped|by lof|by isolation|by zscore|by iqr/).map((text) => `  outliers: ${text}`),
  ...said('normalize', /normalized/).map((text) => `  normalize: ${text}`),
  `  DuckDB: ${show(database)}, table main.orders: ${count.toLocaleString('en-US')} rows`,
  ...(existsSync(report) ? [`  Profile report: ${show(report)} (open it in a browser; it works offline)`] : []),
  `  Query it with the duckdb CLI: duckdb ${show(database)} "SELECT country, count(*), sum(total_amount) FROM orders GROUP BY 1"`,
  resumed
    ? `  A new month: cp ${show(join(here, 'later', 'orders-2026-11.csv'))} ${show(join(here, 'inbox'))}/ && npm run quickstart`
    : '  Run `npm run quickstart` again: it is incremental and reads nothing it has read before.',
  '',
]; 
process.stderr.write(`${out.join('\n')}\n`);
