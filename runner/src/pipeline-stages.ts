/**
 * From a pipeline to the argv of each program: commands found, config files and inline options as
 * `--config` flags, the catalog (given, or discovered and selected), and the stored state as `--state`.
 * Everything a run needs is checked here, before any program starts, so a mistake costs nothing.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  applySelection,
  ConfigurationError,
  DiscoveryError,
  matchesStreamPattern,
  parseCatalog,
  setMetadata,
  selectedStreams,
  type Catalog,
} from '@tapline/protocol';
import { commandLabel, resolveCommand } from './command-resolution.js';
import { configFilesOf, type Pipeline, type StageConfig } from './pipeline-config.js';
import type { ProgressBoard } from './progress-board.js';
import { describeOutcome, exitStatus, type StageOutcome, type StageRole, type StageSpec } from './running-pipe.js';

/** A program of the pipeline failed: the run exits with its status and its line. */
export class StageFailedError extends Error {
  constructor(readonly outcome: StageOutcome) {
    super(describeOutcome(outcome));
  }
  get exitCode(): number {
    return exitStatus(this.outcome);
  }
}

export interface StageContext {
  pipeline: Pipeline;
  /** A private temporary folder for generated config, catalog and state files. */
  tempDir: string;
  env: NodeJS.ProcessEnv;
  profile: string | undefined;
  cwd?: string;
}

let generated = 0;

/** True when one of the config files has a `profiles.<profile>` section (an unreadable file: false, the program will say why). */
async function definesProfile(files: string[], profile: string): Promise<boolean> {
  for (const file of files) {
    try {
      const value = parseYaml(await readFile(file, 'utf8')) as { profiles?: Record<string, unknown> } | null;
      if (value?.profiles?.[profile] !== undefined) return true;
    } catch {
      // the program reports its own config file
    }
  }
  return false;
}

async function stageSpec(context: StageContext, role: StageRole, label: string, stage: StageConfig, path: string): Promise<StageSpec> {
  const { pipeline } = context;
  const argv = resolveCommand(stage.command, { dir: pipeline.dir, path: `${path}.command`, env: context.env, ...(context.cwd ? { cwd: context.cwd } : {}) });
  for (const file of configFilesOf(stage, pipeline.dir)) argv.push('--config', file);
  if (stage.options !== undefined) {
    // Inline options may hold secrets resolved from templates: only the owner may read the file.
    const file = join(context.tempDir, `${label}-${++generated}.config.json`);
    await writeFile(file, JSON.stringify(stage.options), { mode: 0o600 });
    argv.push('--config', file);
  }
  const env: NodeJS.ProcessEnv = { ...context.env, ...stage.env };
  // The profile picked the pipeline's own settings (inline options included). A program gets it, as
  // TAPLINE_PROFILE, only when one of its config files has that profile: a Tapline program asked for a
  // profile that none of its files defines refuses to run.
  if (stage.env?.TAPLINE_PROFILE === undefined) {
    delete env.TAPLINE_PROFILE;
    const files = configFilesOf(stage, pipeline.dir);
    if (context.profile !== undefined && (await definesProfile(files, context.profile))) env.TAPLINE_PROFILE = context.profile;
  }
  return { role, label, argv, env };
}

/** The tap, transforms and target with their config flags (no catalog or state yet). */
export async function buildStages(context: StageContext): Promise<StageSpec[]> {
  const { pipeline } = context;
  const labels = new Set<string>();
  const transforms = await Promise.all(
    pipeline.transforms.map((transform, index) => {
      let label = transform.name ?? commandLabel(transform.command);
      if (labels.has(label)) label = `${label}-${index + 1}`;
      labels.add(label);
      return stageSpec(context, 'transform', label, transform, `transforms[${index}]`);
    }),
  );
  return [
    await stageSpec(context, 'tap', 'tap', pipeline.tap, 'tap'),
    ...transforms,
    await stageSpec(context, 'target', 'target', pipeline.target, 'target'),
  ];
}

/** Run the tap with --discover and return its catalog; its stderr is forwarded like a run's. */
export async function discoverCatalog(tap: StageSpec, board: ProgressBoard, cwd?: string): Promise<Catalog> {
  const argv = [...tap.argv, '--discover'];
  const [command = '', ...args] = argv;
  const chunks: Buffer[] = [];
  const outcome: StageOutcome = { stage: tap, pid: undefined, code: null, signal: null, stoppedByUs: false, lastLine: undefined, spawnError: undefined };
  await new Promise<void>((done) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: tap.env, ...(cwd ? { cwd } : {}) });
    outcome.pid = child.pid;
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    let pending = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        board.line(`[${tap.label}] ${line}`);
        if (line.trim() !== '') outcome.lastLine = line.trim();
      }
    });
    child.once('error', (error) => {
      outcome.spawnError = error;
      done();
    });
    child.once('close', (code, signal) => {
      if (pending !== '') {
        board.line(`[${tap.label}] ${pending}`);
        outcome.lastLine = pending.trim();
      }
      outcome.code = code;
      outcome.signal = signal;
      done();
    });
  });
  if (outcome.spawnError !== undefined || outcome.code !== 0) throw new StageFailedError(outcome);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new DiscoveryError('the tap printed something other than a JSON catalog for --discover', { cause: error, hint: 'Run the tap with --discover by hand to see its output' });
  }
  return parseCatalog(json, 'the catalog the tap discovered');
}

/** The catalog with `patterns` applied; a ConfigurationError listing the streams when none matches. */
export function selectStreams(catalog: Catalog, patterns: readonly string[]): Catalog {
  const selected = applySelection(catalog, patterns);
  if (selectedStreams(selected).length === 0) {
    const ids = catalog.streams.map((stream) => stream.tap_stream_id);
    throw new ConfigurationError(`no stream matches the selection ${patterns.map((p) => JSON.stringify(p)).join(', ')}`, {
      path: 'tap.select',
      hint: ids.length === 0 ? 'The tap discovered no stream' : `The tap has: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}`,
    });
  }
  return selected;
}

/**
 * The catalog with the pipeline's `tap.metadata` written into the streams each pattern matches (patterns
 * in file order; a later pattern's keys win). A pattern that matches no stream is a ConfigurationError: a
 * misspelt stream id would otherwise silently leave a stream on FULL_TABLE.
 */
export function applyStreamMetadata(catalog: Catalog, metadata: Record<string, Record<string, unknown>>): Catalog {
  const copy = structuredClone(catalog);
  for (const [pattern, values] of Object.entries(metadata)) {
    const matching = copy.streams.filter((stream) => matchesStreamPattern(stream.tap_stream_id, pattern));
    if (matching.length === 0) {
      const ids = copy.streams.map((stream) => stream.tap_stream_id);
      throw new ConfigurationError(`no stream matches the metadata pattern "${pattern}"`, {
        path: `tap.metadata.${pattern}`,
        hint: ids.length === 0 ? 'The tap discovered no stream' : `The tap has: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', ...' : ''}`,
      });
    }
    for (const stream of matching) setMetadata(stream, [], values);
  }
  return copy;
}

/**
 * The catalog a run passes to the tap: the pipeline's catalog file, or the discovered one when the pipeline
 * has a selection or metadata but no file; then `tap.metadata` and the selection applied. Undefined when
 * the pipeline names none of them (the tap then syncs what it syncs by default).
 */
export async function prepareCatalog(
  context: StageContext,
  tap: StageSpec,
  board: ProgressBoard,
  select: readonly string[] | undefined,
): Promise<Catalog | undefined> {
  const patterns = select ?? context.pipeline.tap.select;
  const file = context.pipeline.tap.catalog;
  const metadata = context.pipeline.tap.metadata;
  let catalog: Catalog | undefined;
  if (file !== undefined) {
    const path = resolve(context.pipeline.dir, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ConfigurationError(`cannot read the catalog file: ${(error as Error).message}`, { file: path, path: 'tap.catalog', cause: error });
    }
    try {
      catalog = parseCatalog(JSON.parse(text), path);
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      throw new ConfigurationError('the catalog file is not JSON', { file: path, path: 'tap.catalog', cause: error, hint: 'Regenerate it with `tapline discover`' });
    }
  } else if (patterns !== undefined || metadata !== undefined) {
    catalog = await discoverCatalog(tap, board, context.pipeline.dir);
  }
  if (catalog === undefined) return undefined;
  if (metadata !== undefined) catalog = applyStreamMetadata(catalog, metadata);
  return patterns === undefined ? catalog : selectStreams(catalog, patterns);
}
