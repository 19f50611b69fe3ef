/**
 * `tapline state show|set|clear|rollback` and `tapline discover`, as a user runs them: the stored state
 * they print and change, the run that follows resuming from it, the catalog written with the selection.
 */
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  COUNTER_TAP,
  destinationRows,
  readJson,
  rowsUpTo,
  runTapline,
  statePathOf,
  storedBookmark,
  TARGET_JSONL,
  tempDir,
  writePipeline,
  writeSource,
} from './helpers.js';
import { dropSchemas, gate, sql, uniqueSchema } from './postgres-helpers.js';

const bookmark = (value: number, stream = 'items') => ({
  bookmarks: { [stream]: { replication_key: 'seq', replication_key_value: value } },
  currently_syncing: null,
});

describe('tapline state and discover', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('commands');
    await writeSource(dir, 'items', rowsUpTo(40));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('state show prints the stored state (and with --history the earlier ones); nothing stored is not an error', async () => {
    const pipeline = await writePipeline(dir);
    const empty = await runTapline(['state', 'show', pipeline]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.lastLine).toMatch(/no stored state in file .*items\.json/);

    expect((await runTapline(['run', pipeline])).code).toBe(0);
    await writeSource(dir, 'items', rowsUpTo(55));
    expect((await runTapline(['run', pipeline])).code).toBe(0);

    const show = await runTapline(['state', 'show', pipeline]);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual(bookmark(55));
    const history = await runTapline(['state', 'show', pipeline, '--history']);
    const shown = JSON.parse(history.stdout) as { current: unknown; history: { replaced_at: string; state: unknown }[] };
    expect(shown.current).toEqual(bookmark(55));
    expect(shown.history.map((entry) => entry.state)).toEqual([bookmark(40)]);
  });

  it('state set (a file, a STATE line on stdin), clear and rollback change what the next run resumes from', async () => {
    const pipeline = await writePipeline(dir);
    expect((await runTapline(['run', pipeline])).code).toBe(0);
    expect(storedBookmark(dir)).toBe(40);

    // Set from a file: even backwards, a person means it. The next run resumes after 30.
    await writeFile(join(dir, 'given.json'), JSON.stringify(bookmark(30)));
    const set = await runTapline(['state', 'set', pipeline, join(dir, 'given.json')]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.lastLine).toMatch(/state set in file .*; `tapline state rollback` restores the previous one/);
    expect(readJson(statePathOf(dir))).toEqual(bookmark(30));
    const resumed = await runTapline(['run', pipeline]);
    expect(resumed.lastLine).toMatch(/1 stream, 10 rows/);
    expect(await destinationRows(dir, 'items')).toHaveLength(50);

    // Set from stdin, as the last STATE line a target printed (several lines: the last one wins).
    const lines = [bookmark(5), bookmark(20)].map((value) => JSON.stringify({ type: 'STATE', value })).join('\n');
    expect((await runTapline(['state', 'set', pipeline], { stdin: `${lines}\n` })).code).toBe(0);
    expect(storedBookmark(dir)).toBe(20);

    // Rollback walks back: 20 -> 40 (the state of the run) -> 30 ...
    const back = await runTapline(['state', 'rollback', pipeline]);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toEqual(bookmark(40));
    expect(storedBookmark(dir)).toBe(40);

    const clear = await runTapline(['state', 'clear', pipeline]);
    expect(clear.code).toBe(0);
    expect(storedBookmark(dir)).toBeUndefined();
    const fresh = await runTapline(['run', pipeline]);
    expect(fresh.errLines.some((line) => /no stored state in file .*: first run/.test(line))).toBe(true);
    expect(fresh.lastLine).toMatch(/1 stream, 40 rows/);

    // Clearing is undone by a rollback like anything else (the state of the fresh run goes first).
    expect((await runTapline(['state', 'clear', pipeline])).code).toBe(0);
    expect((await runTapline(['state', 'rollback', pipeline])).code).toBe(0);
    expect(storedBookmark(dir)).toBe(40);
  });

  it('state set refuses what is not a state, and the stored state stays', async () => {
    const pipeline = await writePipeline(dir);
    expect((await runTapline(['run', pipeline])).code).toBe(0);
    const before = readFileSync(statePathOf(dir), 'utf8');
    for (const [stdin, message] of [
      ['{"bookmarks": ', /configuration error: file -: the state given is not JSON/],
      ['[1, 2]', /configuration error: file -: a state must be a JSON object, got an array/],
      ['{"bookmarks": {}}', /refusing to emit an empty state/],
    ] as const) {
      const run = await runTapline(['state', 'set', pipeline], { stdin });
      expect(run.code).not.toBe(0);
      expect(run.errLines).toHaveLength(1);
      expect(run.lastLine).toMatch(message);
      expect(readFileSync(statePathOf(dir), 'utf8')).toBe(before);
    }
  });

  it('discover prints the catalog with the pipeline\'s selection and metadata applied; --select and --output override', async () => {
    await writeSource(dir, 'orders', rowsUpTo(3));
    await writeSource(dir, 'audit', rowsUpTo(3));
    const pipeline = await writePipeline(dir, {
      tap: { select: ['*', '!audit'], metadata: { 'ord*': { 'replication-method': 'FULL_TABLE' } } },
    });
    type Catalog = { streams: { tap_stream_id: string; metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[] }[] };
    const streamMd = (catalog: Catalog, id: string) => catalog.streams.find((s) => s.tap_stream_id === id)!.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;

    const run = await runTapline(['discover', pipeline]);
    expect(run.code, run.stderr).toBe(0);
    const catalog = JSON.parse(run.stdout) as Catalog;
    expect(catalog.streams.map((s) => [s.tap_stream_id, streamMd(catalog, s.tap_stream_id).selected])).toEqual([
      ['audit', false],
      ['items', true],
      ['orders', true],
    ]);
    expect(streamMd(catalog, 'orders')['replication-method']).toBe('FULL_TABLE');
    expect(streamMd(catalog, 'items')['replication-method']).toBe('INCREMENTAL');

    const output = join(dir, 'catalog.json');
    const other = await runTapline(['discover', pipeline, '--select', 'audit', '--output', output]);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toBe('');
    expect(other.lastLine).toMatch(/catalog written to .*catalog\.json/);
    const written = readJson(output) as Catalog;
    expect(written.streams.filter((s) => streamMd(written, s.tap_stream_id).selected).map((s) => s.tap_stream_id)).toEqual(['audit']);

    // The catalog file written by discover drives a run when the pipeline names it.
    const withCatalog = await writePipeline(dir, { name: 'from-catalog', tap: { catalog: './catalog.json' } }, 'from-catalog.yml');
    const fromFile = await runTapline(['run', withCatalog]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.lastLine).toMatch(/1 stream, 3 rows/);
    expect(await destinationRows(dir, 'audit')).toHaveLength(3);
    expect(await destinationRows(dir, 'items')).toHaveLength(0);
  });

  it('profiles: --profile (or TAPLINE_PROFILE) picks the pipeline\'s profile and is handed to the programs', async () => {
    const pipeline = await writePipeline(dir, {
      extra: { profiles: { production: { name: 'items-prod', target: { options: { destination_path: './prod-out' } } } } },
    });
    const run = await runTapline(['run', pipeline, '--profile', 'production']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lastLine).toMatch(/pipeline "items-prod" done .* 40 rows; state saved to file .*items-prod\.json/);
    expect(readFileSync(join(dir, 'prod-out', 'items.jsonl'), 'utf8').trim().split('\n')).toHaveLength(40);
    expect(await destinationRows(dir, 'items')).toHaveLength(0);
    expect(storedBookmark(dir, 'items', 'items-prod')).toBe(40);
    // The default profile is untouched by that run.
    const show = await runTapline(['state', 'show', pipeline], { env: { TAPLINE_PROFILE: 'default' } });
    expect(show.stdout).toBe('');
    const viaEnv = await runTapline(['state', 'show', pipeline], { env: { TAPLINE_PROFILE: 'production' } });
    expect(JSON.parse(viaEnv.stdout)).toEqual(bookmark(40));

    // A program whose config file has the profile gets it too (one whose files lack it, like the tap
    // here, runs without: a Tapline program refuses a profile none of its files defines).
    await writeFile(join(dir, 'target.yml'), 'destination_path: ./file-out\nprofiles:\n  production:\n    destination_path: ./file-prod-out\n');
    await writeFile(
      join(dir, 'from-files.yml'),
      JSON.stringify({ tap: { command: ['node', COUNTER_TAP], options: { source_dir: './src' } }, target: { command: TARGET_JSONL, config: 'target.yml' }, profiles: { production: {} } }),
    );
    const viaFile = await runTapline(['run', join(dir, 'from-files.yml')], { env: { TAPLINE_PROFILE: 'production' } });
    expect(viaFile.code, viaFile.stderr).toBe(0);
    expect(readFileSync(join(dir, 'file-prod-out', 'items.jsonl'), 'utf8').trim().split('\n')).toHaveLength(40);
  });

  it('a metadata pattern that matches no stream is a configuration error naming the streams there are', async () => {
    const pipeline = await writePipeline(dir, { tap: { metadata: { 'itemz': { 'replication-method': 'FULL_TABLE' } } } });
    const run = await runTapline(['run', pipeline]);
    expect(run.code).toBe(2);
    expect(run.lastLine).toMatch(/configuration error: at tap\.metadata\.itemz: no stream matches the metadata pattern "itemz"\. The tap has: items/);
    expect(storedBookmark(dir)).toBeUndefined();
  });
});

(gate.url === undefined ? describe.skip : describe)(`tapline state with the postgres backend${gate.skipReason ? ` (SKIPPED: ${gate.skipReason})` : ''}`, () => {
  let dir: string;
  const schema = uniqueSchema('cmd');
  beforeEach(async () => {
    dir = await tempDir('commands-pg');
    await writeSource(dir, 'items', rowsUpTo(25));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await dropSchemas(schema);
  });

  it('run, show, set, rollback and clear go to the table; the URL comes from the environment through a template', async () => {
    const pipeline = await writePipeline(dir, {
      state: { backend: 'postgres', url: "{{ env_var('TAPLINE_STATE_URL') }}", schema, table: 'pipeline_state' },
    });
    const env = { TAPLINE_STATE_URL: gate.url! };
    const run = await runTapline(['run', pipeline], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.lastLine).toMatch(new RegExp(`state saved to postgres table ${schema}\\.pipeline_state`));
    expect(await sql(`SELECT pipeline, state FROM "${schema}".pipeline_state`)).toEqual([{ pipeline: 'items', state: bookmark(25) }]);

    const show = await runTapline(['state', 'show', pipeline], { env });
    expect(JSON.parse(show.stdout)).toEqual(bookmark(25));
    expect((await runTapline(['state', 'set', pipeline], { env, stdin: JSON.stringify(bookmark(12)) })).code).toBe(0);
    expect(JSON.parse((await runTapline(['state', 'show', pipeline], { env })).stdout)).toEqual(bookmark(12));
    const resumed = await runTapline(['run', pipeline], { env });
    expect(resumed.lastLine).toMatch(/1 stream, 13 rows/);

    const back = await runTapline(['state', 'rollback', pipeline], { env });
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toEqual(bookmark(12));
    expect((await runTapline(['state', 'clear', pipeline], { env })).code).toBe(0);
    expect(await sql(`SELECT pipeline FROM "${schema}".pipeline_state`)).toEqual([]);
    const history = await runTapline(['state', 'show', pipeline, '--history'], { env });
    expect((JSON.parse(history.stdout) as { history: { state: unknown }[] }).history.map((h) => h.state)).toEqual([bookmark(25), bookmark(12)]);
  });
});
