#!/usr/bin/env node
// `npm run bench -- <scenario> [options]`: runs one benchmark scenario and prints medians and ratios.
const scenarios = {
  protocol: () => import('./protocol.mjs'),
  postgres: () => import('./postgres.mjs'),
  transforms: () => import('./transforms.mjs'),
  mysql: () => import('./mysql.mjs'),
  duckdb: () => import('./duckdb.mjs'),
  startup: () => import('./startup.mjs'),
};

const [name, ...rest] = process.argv.slice(2);
if (!name || !(name in scenarios)) {
  process.stderr.write(`usage: npm run bench -- <scenario> [--rows N] [--runs N]\nscenarios: ${Object.keys(scenarios).join(', ')}\n`);
  process.exit(2);
}
const module = await scenarios[name]();
await module.run(rest);
