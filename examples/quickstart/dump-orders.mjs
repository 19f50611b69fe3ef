#!/usr/bin/env node
/**
 * The quickstart's result as JSON lines, one row per line in key order, every value as DuckDB renders it
 * for JSON (decimals and big integers as exact text). The end-to-end test compares this to
 * expected/orders.jsonl; to review a change in the result:
 *   node examples/quickstart/dump-orders.mjs examples/quickstart/.tapline/quickstart.duckdb | diff - examples/quickstart/expected/orders.jsonl
 */
import { fileURLToPath } from 'node:url';

export async function dumpOrders(path) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const result = await connection.runAndReadAll('SELECT * FROM main.orders ORDER BY order_id');
    return result.getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync?.();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await dumpOrders(process.argv[2] ?? fileURLToPath(new URL('./.tapline/quickstart.duckdb', import.meta.url)));
  process.stdout.write(rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
}
