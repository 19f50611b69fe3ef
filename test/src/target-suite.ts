/**
 * The target conformance suite. A target registers with a few lines (its bin, what it claims, how to
 * prepare a fresh destination and read it back) and every fixture case runs against the real thing.
 */
import { describe, expect, it } from 'vitest';
import { diffRows, sortRows } from './compare.js';
import { runProgram } from './run-program.js';
import { TARGET_CASES, TARGET_FIXTURES, expectedStreams, fixtureStates, readFixture } from './target-cases.js';

export interface TargetDestination {
  /** Config for the target, pointing at a fresh, empty destination. */
  config: Record<string, unknown>;
  /** The rows the destination holds for a stream, as plain JSON values, keyed by the original property names. */
  rows(stream: string, properties: string[]): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

export interface TargetRegistration {
  name: string;
  /** Path of the target's bin script. */
  bin: string;
  /** `upsert` when the target replaces rows by key properties; `append` when it keeps every record. */
  loadMethod: 'upsert' | 'append';
  capabilities?: { activateVersion?: boolean };
  /** Why the suite cannot run here (no server configured), or undefined to run it. Awaited before the suite. */
  skipReason?: string | undefined;
  prepare(caseName: string): Promise<TargetDestination>;
}

const SKIPPED: string[] = [];

/** Run every fixture case against a target. */
export function describeTargetConformance(target: TargetRegistration): void {
  const skip = target.skipReason;
  if (skip !== undefined) {
    // A skipped suite says so, loudly, in the test report (its title) and on stderr.
    SKIPPED.push(`${target.name}: ${skip}`);
    process.stderr.write(`[conformance] SKIPPED ${target.name}: ${skip}\n`);
  }
  describe.skipIf(skip !== undefined)(`${target.name} conformance${skip === undefined ? '' : ` (SKIPPED: ${skip})`}`, () => {
    for (const testCase of TARGET_CASES) {
      if (testCase.requires === 'activate-version' && !target.capabilities?.activateVersion) continue;
      it(`${testCase.name}: ${testCase.about}`, async () => {
        const destination = await target.prepare(testCase.name);
        try {
          const config = JSON.stringify(destination.config);
          const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
          const { tmpdir } = await import('node:os');
          const { join } = await import('node:path');
          const dir = await mkdtemp(join(tmpdir(), 'tapline-conf-'));
          const configPath = join(dir, 'config.json');
          await writeFile(configPath, config);
          const run = await runProgram(target.bin, {
            args: ['--config', configPath],
            stdinFile: `${TARGET_FIXTURES}${testCase.name}.jsonl`,
          });
          await rm(dir, { recursive: true, force: true });
          const fixture = readFixture(testCase.name);

          // stdout carries Singer messages only, and here only STATE.
          expect(run.messages.every((m) => m.type === 'STATE'), run.stdout).toBe(true);
          expect(run.states).toEqual(testCase.states ?? fixtureStates(fixture));

          if (testCase.failure) {
            expect(run.code, run.stderr).toBe(testCase.failure.exitCode);
            const errorLine = run.errLines[run.errLines.length - 1] ?? '';
            expect(errorLine).toMatch(testCase.failure.pattern);
            expect(errorLine).toContain(`line ${testCase.failure.line}`);
          } else {
            expect(run.code, run.stderr).toBe(0);
          }
          if (testCase.name === 'unknown_message_type') {
            expect(run.errLines.filter((line) => line.includes('FUTURE_THING'))).toHaveLength(1);
          }

          for (const stream of expectedStreams(fixture, target.loadMethod, testCase.committedThroughLine)) {
            const actual = sortRows(await destination.rows(stream.stream, stream.properties), stream.keys);
            const expected = sortRows(stream.rows, stream.keys);
            expect(diffRows(expected, actual), `stream ${stream.stream}`).toEqual([]);
          }
        } finally {
          await destination.cleanup();
        }
      });
    }
  });
}

/** Suites skipped in this run, for the summary. */
export function skippedSuites(): readonly string[] {
  return SKIPPED;
}
