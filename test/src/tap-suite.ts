/**
 * What every tap must do, checked against a real source the tap prepares: discovery prints a catalog
 * that parses; a sync of every discovered stream writes only Singer messages, each stream's SCHEMA
 * before its records, records that satisfy their SCHEMA, and ends on a STATE that is not empty; a run
 * resumed from that STATE succeeds and moves no bookmark backwards. A tap registers with a few lines:
 *
 *   describeTapConformance({ name: 'tap-csv', bin, async prepare() { return { config, cleanup } } });
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareStates, createRecordValidator, parseCatalog, setMetadata, type Catalog, type JsonSchema } from '@tapline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram, type ProgramRun } from './run-program.js';

export interface TapSource {
  /** The tap's config: it must reach a source with at least one stream that has records. */
  config: Record<string, unknown>;
  cleanup?: () => Promise<void>;
}

export interface TapRegistration {
  name: string;
  bin: string;
  /** Create the source (tables, files) and return the config that reads it. */
  prepare(): Promise<TapSource>;
  /** Streams to sync, by tap_stream_id (default: every discovered stream). */
  streams?: string[];
  /** A reason to skip the suite (a server that is not configured), shown in its title. */
  skip?: string;
}

type Message = Record<string, unknown>;

export function describeTapConformance(tap: TapRegistration): void {
  const title = `${tap.name} tap conformance${tap.skip ? ` (SKIPPED: ${tap.skip})` : ''}`;
  describe.skipIf(tap.skip !== undefined)(title, () => {
    let dir = '';
    let source: TapSource;
    let catalogFile = '';
    let catalog: Catalog;
    let firstRun: ProgramRun;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), `tapline-tap-${tap.name}-`));
      source = await tap.prepare();
      await writeFile(join(dir, 'config.json'), JSON.stringify(source.config));
    });
    afterAll(async () => {
      await source?.cleanup?.();
      await rm(dir, { recursive: true, force: true });
    });

    const config = () => ['--config', join(dir, 'config.json')];

    it('--discover prints a catalog, and only the catalog, on stdout', async () => {
      const run = await runProgram(tap.bin, { args: [...config(), '--discover'] });
      expect(run.code, run.stderr).toBe(0);
      catalog = parseCatalog(JSON.parse(run.stdout), 'the discovered catalog');
      expect(catalog.streams.length).toBeGreaterThan(0);
      for (const stream of catalog.streams) {
        expect(stream.schema.type === 'object' || (Array.isArray(stream.schema.type) && stream.schema.type.includes('object')), stream.tap_stream_id).toBe(true);
        expect(stream.metadata.some((entry) => entry.breadcrumb.length === 0), `${stream.tap_stream_id}: stream-level metadata`).toBe(true);
      }
      const wanted = tap.streams ?? catalog.streams.map((stream) => stream.tap_stream_id);
      for (const id of wanted) expect(catalog.streams.map((stream) => stream.tap_stream_id)).toContain(id);
      for (const stream of catalog.streams) setMetadata(stream, [], { selected: wanted.includes(stream.tap_stream_id) });
      catalogFile = join(dir, 'catalog.json');
      await writeFile(catalogFile, JSON.stringify(catalog));
    });

    it('syncs: Singer messages only, SCHEMA before records, records that satisfy it, a final non-empty STATE', async () => {
      firstRun = await runProgram(tap.bin, { args: [...config(), '--catalog', catalogFile] });
      expect(firstRun.code, firstRun.stderr).toBe(0);
      const messages = firstRun.messages as Message[];
      expect(messages.filter((message) => message.type === '__NOT_JSON__')).toEqual([]);
      const validators = new Map<string, ReturnType<typeof createRecordValidator>>();
      let records = 0;
      messages.forEach((message, index) => {
        expect(['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION', 'BATCH'], `message ${index + 1}`).toContain(message.type);
        if (message.type === 'SCHEMA') validators.set(message.stream as string, createRecordValidator(message.stream as string, message.schema as JsonSchema));
        if (message.type === 'RECORD') {
          const validate = validators.get(message.stream as string);
          expect(validate, `RECORD of "${String(message.stream)}" before its SCHEMA (message ${index + 1})`).toBeDefined();
          validate!(message.record as Record<string, unknown>, index + 1);
          records += 1;
        }
      });
      expect(records).toBeGreaterThan(0);
      const last = messages.at(-1)!;
      expect(last.type).toBe('STATE');
      expect(Object.keys(((last.value as { bookmarks?: object }).bookmarks ?? {}) as object).length).toBeGreaterThan(0);
      for (const state of firstRun.states) expect(state).not.toEqual({});
    });

    it('resumes from its own final STATE without moving a bookmark backwards', async () => {
      const stateFile = join(dir, 'state.json');
      const finalState = firstRun.states.at(-1);
      await writeFile(stateFile, JSON.stringify(finalState));
      const run = await runProgram(tap.bin, { args: [...config(), '--catalog', catalogFile, '--state', stateFile] });
      expect(run.code, run.stderr).toBe(0);
      expect(run.states.length).toBeGreaterThan(0);
      for (const state of run.states) expect(compareStates(finalState, state)).toEqual([]);
    });
  });
}
