// Process start: every program's `--about` (`tapline --help`): it loads the program and prints, touching no
// server; against `node -e 0` in the same run; medians of N runs, alternated.
//
//   npm run bench -- startup [--runs 11]
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compare, options } from './lib/measure.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function run(argv) {
  const { runs } = options(argv, { rows: 0, runs: 11 });
  const commands = { node: 'node -e 0' };
  for (const group of ['taps', 'targets', 'transforms']) {
    for (const name of readdirSync(`${root}${group}`)) {
      const bin = `${root}${group}/${name}/bin`;
      if (!existsSync(bin)) continue;
      for (const file of readdirSync(bin)) commands[file.replace(/\.js$/, '')] = `node ${bin}/${file} --about > /dev/null`;
    }
  }
  commands.tapline = `node ${root}runner/bin/tapline.js --help > /dev/null`;
  const results = await compare(commands, runs);
  const base = results.node.median;
  const programs = {};
  for (const [name, { median }] of Object.entries(results)) {
    programs[name] = { ms: Math.round(median * 1000), over_node_ms: Math.round((median - base) * 1000) };
  }
  const slowest = Math.max(...Object.entries(programs).filter(([name]) => name !== 'node').map(([, p]) => p.ms));
  process.stdout.write(`${JSON.stringify({ scenario: 'startup', runs, goal_ms: 150, slowest_ms: slowest, programs }, null, 2)}\n`);
}
