/**
 * Integers beyond 2^53 in states, as a user meets them: a foreign tap's numeric bookmark such as
 * 18446744073709551615 (an unsigned 64-bit id) confirmed by the target, saved, handed back to the tap with
 * --state, compared with the next one, and printed and set by `tapline state`, digit for digit, with the
 * file backend and the PostgreSQL one.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseExact } from '@tapline/protocol';
import { runTapline, statePathOf, tempDir } from './helpers.js';
import { dropSchemas, gate, sql, uniqueSchema } from './postgres-helpers.js';

const EXACT_TAP = fileURLToPath(new URL('./fixtures/exact-tap.mjs', import.meta.url));
const PYTHON_TARGET = fileURLToPath(new URL('./fixtures/python-target.py', import.meta.url));

const MAX_U64 = '18446744073709551615';
const MIN_I64 = '-9223372036854775808';

/** The JSON text of a state whose bookmark is `value` (digits), with the other long integers around it. */
const stateText = (value: string): string =>
  `{"bookmarks":{"big":{"replication_key":"id","replication_key_value":${value},"low_water":${MIN_I64}}},` +
  `"transform-impute":{"params":{"id":{"fill":9007199254740993}}},"currently_syncing":null}`;

const stateValue = (value: string) => ({
  bookmarks: { big: { replication_key: 'id', replication_key_value: BigInt(value), low_water: BigInt(MIN_I64) } },
  'transform-impute': { params: { id: { fill: 9007199254740993n } } },
  currently_syncing: null,
});

/** A pipeline: the exact tap confirming `states` (JSON texts) | the Python target, which echoes them exactly. */
async function writeExactPipeline(dir: string, states: string[], state?: Record<string, unknown>): Promise<string> {
  const path = join(dir, 'big.yml');
  await writeFile(
    path,
    JSON.stringify({
      name: 'big',
      tap: { command: ['node', EXACT_TAP], options: { states } },
      target: { command: ['python3', PYTHON_TARGET], options: { destination_path: './out' } },
      ...(state ? { state } : {}),
      stop_grace_seconds: 2,
    }),
  );
  return path;
}

describe('integers beyond 2^53 in states (file backend)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('exact');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('run saves the confirmed state exactly, refuses one a single unit lower, and hands it back to the tap with --state', async () => {
    const pipeline = await writeExactPipeline(dir, [stateText('18446744073709551614'), stateText(MAX_U64), stateText('18446744073709551614')]);
    const first = await runTapline(['run', pipeline]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.errLines).toContain('[tap] exact-tap: state (none)');
    // The third STATE is one below the second: a regression only when every digit counts.
    expect(first.errLines.some((line) => line.includes(`refusing to save a confirmed state: the bookmark would move backwards: replication_key_value from ${MAX_U64} to 18446744073709551614`))).toBe(true);
    expect(first.lastLine).toMatch(/done .* state saved to file .*big\.json \(2 of the target's STATE lines/);
    const file = readFileSync(statePathOf(dir, 'big'), 'utf8');
    expect(file).toContain(`"replication_key_value":${MAX_U64},"low_water":${MIN_I64}`);
    expect(file).toContain('"fill":9007199254740993');
    expect(parseExact(file)).toEqual(stateValue(MAX_U64));

    // The next run: the tap gets the state with every digit, and the same state confirmed again is no change.
    await writeExactPipeline(dir, [stateText(MAX_U64)]);
    const second = await runTapline(['run', pipeline]);
    expect(second.code, second.stderr).toBe(0);
    const handed = second.errLines.find((line) => line.startsWith('[tap] exact-tap: state '))!;
    expect(parseExact(handed.slice('[tap] exact-tap: state '.length))).toEqual(stateValue(MAX_U64));
    expect(handed).toContain(`"replication_key_value":${MAX_U64}`);
    expect(handed).toContain(`"low_water":${MIN_I64}`);
    expect(second.errLines.filter((line) => /WARN/.test(line))).toEqual([]);
    expect(second.lastLine).toMatch(/no new state saved; file .*big\.json is unchanged/);
  });

  it('state set, show, show --history and rollback print and store every digit', async () => {
    const pipeline = await writeExactPipeline(dir, []);
    await writeFile(join(dir, 'given.json'), stateText('18446744073709551614'));
    const set = await runTapline(['state', 'set', pipeline, join(dir, 'given.json')]);
    expect(set.code, set.stderr).toBe(0);
    // From stdin, as the STATE line a target printed.
    const setLine = await runTapline(['state', 'set', pipeline], { stdin: `{"type":"STATE","value":${stateText(MAX_U64)}}\n` });
    expect(setLine.code, setLine.stderr).toBe(0);

    const show = await runTapline(['state', 'show', pipeline]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(`"replication_key_value":${MAX_U64},"low_water":${MIN_I64}`);
    expect(show.stdout).toContain('"fill":9007199254740993');
    expect(parseExact(show.stdout)).toEqual(stateValue(MAX_U64));

    const history = await runTapline(['state', 'show', pipeline, '--history']);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toContain(`"replication_key_value": ${MAX_U64},`);
    expect(history.stdout).toContain(`"replication_key_value": 18446744073709551614,`);
    expect(history.stdout).toContain(`"low_water": ${MIN_I64}`);
    const shown = parseExact(history.stdout) as { current: unknown; history: { state: unknown }[] };
    expect(shown.current).toEqual(stateValue(MAX_U64));
    expect(shown.history.map((entry) => entry.state)).toEqual([stateValue('18446744073709551614')]);

    const back = await runTapline(['state', 'rollback', pipeline]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('"replication_key_value":18446744073709551614,');
    expect(parseExact(back.stdout)).toEqual(stateValue('18446744073709551614'));
    expect(readFileSync(statePathOf(dir, 'big'), 'utf8')).toContain('"replication_key_value":18446744073709551614,');
  });
});

(gate.url === undefined ? describe.skip : describe)(`integers beyond 2^53 in states (postgres backend)${gate.skipReason ? ` (SKIPPED: ${gate.skipReason})` : ''}`, () => {
  let dir: string;
  const schema = uniqueSchema('exact');
  const backend = () => ({ backend: 'postgres', url: gate.url!, schema, table: 'pipeline_state' });
  beforeEach(async () => {
    dir = await tempDir('exact-pg');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await dropSchemas(schema);
  });

  const storedValue = async (): Promise<unknown> =>
    (await sql(`SELECT state->'bookmarks'->'big'->>'replication_key_value' AS value FROM "${schema}".pipeline_state WHERE pipeline = 'big'`))[0]?.value;

  it('run stores the confirmed state exactly in the table and resumes the tap from it', async () => {
    const pipeline = await writeExactPipeline(dir, [stateText('18446744073709551614'), stateText(MAX_U64), stateText('18446744073709551614')], backend());
    const first = await runTapline(['run', pipeline]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.errLines.some((line) => line.includes(`replication_key_value from ${MAX_U64} to 18446744073709551614`))).toBe(true);
    expect(await storedValue()).toBe(MAX_U64);
    const [row] = await sql(`SELECT state->'bookmarks'->'big'->>'low_water' AS low, state->'transform-impute'->'params'->'id'->>'fill' AS fill FROM "${schema}".pipeline_state`);
    expect(row).toEqual({ low: MIN_I64, fill: '9007199254740993' });

    await writeExactPipeline(dir, [stateText(MAX_U64)], backend());
    const second = await runTapline(['run', pipeline]);
    expect(second.code, second.stderr).toBe(0);
    const handed = second.errLines.find((line) => line.startsWith('[tap] exact-tap: state '))!;
    expect(handed).toContain(`"replication_key_value":${MAX_U64}`);
    expect(parseExact(handed.slice('[tap] exact-tap: state '.length))).toEqual(stateValue(MAX_U64));
    expect(second.lastLine).toMatch(/no new state saved; postgres table .* is unchanged/);
  });

  it('state set, show, show --history and rollback print and store every digit', async () => {
    const pipeline = await writeExactPipeline(dir, [], backend());
    expect((await runTapline(['state', 'set', pipeline], { stdin: stateText('18446744073709551614') })).code).toBe(0);
    expect((await runTapline(['state', 'set', pipeline], { stdin: stateText(MAX_U64) })).code).toBe(0);
    expect(await storedValue()).toBe(MAX_U64);

    const show = await runTapline(['state', 'show', pipeline]);
    expect(show.code, show.stderr).toBe(0);
    // jsonb orders an object's keys by length; the digits are what matter.
    expect(show.stdout).toContain(`"replication_key_value":${MAX_U64}`);
    expect(show.stdout).toContain(`"low_water":${MIN_I64}`);
    expect(parseExact(show.stdout)).toEqual(stateValue(MAX_U64));

    const history = await runTapline(['state', 'show', pipeline, '--history']);
    expect(history.stdout).toContain(`"replication_key_value": 18446744073709551614`);
    const shown = parseExact(history.stdout) as { current: unknown; history: { state: unknown }[] };
    expect(shown.current).toEqual(stateValue(MAX_U64));
    expect(shown.history.map((entry) => entry.state)).toEqual([stateValue('18446744073709551614')]);

    const back = await runTapline(['state', 'rollback', pipeline]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('"replication_key_value":18446744073709551614');
    expect(await storedValue()).toBe('18446744073709551614');
  });
});
