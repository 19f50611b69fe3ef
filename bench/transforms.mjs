// Each transform stage alone, JSONL in to JSONL out, against `cat` in the same position; and the
// three-stage chain between tap-postgres and target-postgres against tap | target.
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compare, options } from './lib/measure.mjs';
import { generate } from './protocol.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAGES = ['clean-names', 'impute', 'normalize', 'standardize', 'outliers', 'profile'];

export async function run(argv) {
  const { rows, runs } = options(argv, { rows: 1_000_000, runs: 3 });
  const dir = `${root}bench/data`;
  await mkdir(`${dir}/transforms`, { recursive: true });
  const input = `${dir}/orders-${rows}.jsonl`;
  if (!existsSync(input)) await generate(input, rows);
  await writeFile(`${dir}/transforms/profile.json`, JSON.stringify({ output_dir: `${dir}/transforms/profile` }));
  const commands = { cat: `cat ${input} | cat > /dev/null` };
  for (const stage of STAGES) {
    const bin = `${root}transforms/${stage}/bin/transform-${stage}.js`;
    if (!existsSync(bin)) continue;
    const config = stage === 'profile' ? ` --config ${dir}/transforms/profile.json` : '';
    commands[stage] = `cat ${input} | node ${bin}${config} > /dev/null`;
  }
  const results = await compare(commands, runs);
  const report = { scenario: 'transforms', rows, runs, goal_records_per_s: 500_000, stages: {} };
  for (const [name, { median }] of Object.entries(results)) {
    report.stages[name] = { seconds: +median.toFixed(3), records_per_s: Math.round(rows / median), vs_cat: +(results.cat.median / median).toFixed(3) };
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}
