// Timing helpers shared by the scenarios: whole shell pipelines, timed from outside, medians of N runs.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

export function options(argv, defaults) {
  const { values } = parseArgs({
    args: argv,
    options: { rows: { type: 'string' }, runs: { type: 'string' } },
    allowPositionals: false,
  });
  return { rows: Number(values.rows ?? defaults.rows), runs: Number(values.runs ?? defaults.runs) };
}

/** Run a shell command, resolve with wall seconds and the peak RSS (kB) of the slowest process, via GNU time when available. */
export function timeShell(command, env = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ seconds, stderr });
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Alternate the commands run by run, so drift in a noisy machine hits all of them alike. */
export async function compare(commands, runs) {
  const times = Object.fromEntries(Object.keys(commands).map((key) => [key, []]));
  for (let i = 0; i < runs; i += 1) {
    for (const [key, command] of Object.entries(commands)) {
      const { seconds } = await timeShell(command);
      times[key].push(seconds);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([key, list]) => [key, { median: median(list), runs: list }]));
}
