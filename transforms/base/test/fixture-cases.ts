/**
 * Stage tests from fixture files: for each `test/fixtures/<case>.jsonl` the stage's bin runs with
 * `<case>.config.json` (when present) and must print exactly `<case>.expected.jsonl` on stdout, or, when
 * `<case>.error.json` exists ({ "code": 2, "match": "regex" }), fail with that exit code and last stderr line.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram } from '@tapline/conformance';
import { describe, expect, it } from 'vitest';

export function describeFixtureCases(title: string, bin: string, fixtures: string): void {
  const cases = readdirSync(fixtures)
    .filter((name) => name.endsWith('.jsonl') && !name.endsWith('.expected.jsonl'))
    .map((name) => name.slice(0, -'.jsonl'.length));
  describe(`${title} fixture cases`, () => {
    for (const name of cases) {
      it(name.replace(/_/g, ' '), async () => {
        const configPath = join(fixtures, `${name}.config.json`);
        const args = existsSync(configPath) ? ['--config', configPath] : [];
        const run = await runProgram(bin, { args, stdinFile: join(fixtures, `${name}.jsonl`) });
        const errorPath = join(fixtures, `${name}.error.json`);
        if (existsSync(errorPath)) {
          const expected = JSON.parse(readFileSync(errorPath, 'utf8')) as { code: number; match: string };
          expect(run.code, run.stderr).toBe(expected.code);
          expect(run.errLines.at(-1)).toMatch(new RegExp(expected.match));
          return;
        }
        expect(run.code, run.stderr).toBe(0);
        const expected = readFileSync(join(fixtures, `${name}.expected.jsonl`), 'utf8').split('\n').filter((line) => line !== '');
        expect(run.stdout.split('\n').filter((line) => line !== '')).toEqual(expected);
      });
    }
  });
}
