import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { executeProgram, type Catalog, type ProgramDefinition } from '@tapline/protocol';
import { discoverTap, runTap, tapConfigSchema, type BaseTapConfig, type TapSource } from '../src/index.js';

/** A source of in-memory rows: `rows` per stream id, bookmarks by row number. */
function memorySource(rows: Record<string, Record<string, unknown>[]>): TapSource {
  const catalog: Catalog = {
    streams: Object.keys(rows).map((id) => ({
      tap_stream_id: id,
      stream: id,
      schema: { type: 'object', properties: { n: { type: 'integer' } } },
      key_properties: ['n'],
      metadata: [{ breadcrumb: [], metadata: { 'selected-by-default': true } }],
    })),
  };
  return {
    discover: async () => catalog,
    async syncStream(sync) {
      for (const row of rows[sync.streamId] ?? []) {
        if (!sync.writeRecord(row)) await sync.drain();
        if (sync.stateDue()) sync.checkpoint({ replication_key_value: row.n });
      }
    },
    close: async () => undefined,
  };
}

function program(rows: Record<string, Record<string, unknown>[]>): ProgramDefinition<BaseTapConfig> {
  return {
    name: 'tap-memory',
    version: '0.0.1',
    kind: 'tap',
    description: 'test tap',
    configSchema: tapConfigSchema({}),
    capabilities: ['discover', 'state'],
    run: async (context) => {
      await runTap(context, async () => memorySource(rows));
    },
    discover: () => discoverTap(async () => memorySource(rows)),
  };
}

async function run(rows: Record<string, Record<string, unknown>[]>, args: string[] = []): Promise<{ code: number; lines: Record<string, unknown>[]; stderr: string }> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  let stderr = '';
  const code = await executeProgram(program(rows), args, { stdout, stderr: { write: (text: string) => (stderr += text) }, env: {} });
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, lines, stderr };
}

describe('runTap', () => {
  it('writes SCHEMA, records, a STATE every N rows and one at the end of every stream, empty ones included', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'tap-base-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ state_every_rows: 2 }));
    const state = join(dir, 'state.json');
    await writeFile(state, JSON.stringify({ bookmarks: { gone: { replication_key_value: 7 } } }));
    const result = await run({ a: [{ n: 1 }, { n: 2 }, { n: 3 }], empty: [] }, ['--config', config, '--state', state]);
    expect(result.code, result.stderr).toBe(0);
    const types = result.lines.map((line) => `${String(line.type)}${line.stream ? `:${String(line.stream)}` : ''}`);
    expect(types).toEqual(['STATE', 'SCHEMA:a', 'RECORD:a', 'RECORD:a', 'STATE', 'RECORD:a', 'STATE', 'SCHEMA:empty', 'STATE']);
    // The incoming state is echoed first, untouched; streams not synced keep their bookmarks.
    expect(result.lines[0]).toEqual({ type: 'STATE', value: { bookmarks: { gone: { replication_key_value: 7 } }, currently_syncing: null } });
    expect(result.lines[4]).toEqual({
      type: 'STATE',
      value: { bookmarks: { gone: { replication_key_value: 7 }, a: { last_replication_method: 'FULL_TABLE', replication_key_value: 2 } }, currently_syncing: 'a' },
    });
    expect(result.lines.at(-1)).toEqual({
      type: 'STATE',
      value: {
        bookmarks: { gone: { replication_key_value: 7 }, a: { last_replication_method: 'FULL_TABLE', replication_key_value: 2 }, empty: { last_replication_method: 'FULL_TABLE' } },
        currently_syncing: null,
      },
    });
    expect(result.lines[2]).toMatchObject({ type: 'RECORD', stream: 'a', record: { n: 1 } });
    expect(result.stderr).toContain('METRIC: {"type":"counter","metric":"record_count","value":0,"tags":{"stream":"empty"}}');
    expect(result.stderr).toContain('METRIC: {"type":"counter","metric":"record_count","value":3,"tags":{"stream":"a"}}');
  });

  it('without a catalog syncs what discovery selects by default; `select` patterns narrow it', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'tap-base-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ select: ['b*'] }));
    const result = await run({ a: [{ n: 1 }], b1: [{ n: 2 }] }, ['--config', config]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.lines.filter((line) => line.type === 'RECORD').map((line) => line.stream)).toEqual(['b1']);
  });
});
