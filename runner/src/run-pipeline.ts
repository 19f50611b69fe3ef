/**
 * `tapline run`: check everything, start the pipe, save each state the target confirms, and end with a
 * summary line and an exit code. The state saved when the run ends is exactly the last one the target
 * confirmed, whether the run succeeded, a program failed, or the runner was interrupted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatErrorLine, InterruptedError, isEmptyState, parseExact, stringifyExact, type Logger } from '@tapline/protocol';
import { ConfirmedStateRecorder } from './confirmed-state-recorder.js';
import type { Pipeline } from './pipeline-config.js';
import { buildStages, prepareCatalog, StageFailedError, type StageContext } from './pipeline-stages.js';
import type { ProgressBoard } from './progress-board.js';
import { describeOutcome, exitStatus, RunningPipe } from './running-pipe.js';
import { createStateBackend } from './state-backends.js';

export interface RunPipelineOptions {
  logger: Logger;
  board: ProgressBoard;
  /** Run without the stored state, and let the new state replace it. */
  fullRefresh?: boolean;
  /** Stream patterns for this run, instead of the pipeline's `select`. */
  select?: string[];
  profile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Make a temporary folder, run `work` with it, and remove it whatever happens. */
export async function withTempDir<T>(name: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `tapline-${name}-`));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The message of the STATE line, or a plain state object as singer-python targets print it. Integers
 * beyond 2^53 (a foreign tap's numeric bookmark such as 18446744073709551615) are read as exact bigints.
 */
export function confirmedStateOf(line: string): { value: unknown } | undefined {
  if (line.trim() === '') return undefined;
  let json: unknown;
  try {
    json = parseExact(line);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const object = json as Record<string, unknown>;
  if (typeof object.type === 'string') return object.type.toUpperCase() === 'STATE' ? { value: object.value } : undefined;
  return { value: object };
}

export async function runPipeline(pipeline: Pipeline, options: RunPipelineOptions): Promise<number> {
  const { logger, board } = options;
  const started = performance.now();
  const env = options.env ?? process.env;
  const backend = createStateBackend(pipeline);
  try {
    return await withTempDir(pipeline.name, async (tempDir) => {
      const context: StageContext = { pipeline, tempDir, env, profile: options.profile, ...(options.cwd ? { cwd: options.cwd } : {}) };
      // Every check before anything starts: commands, then the stored state, then the catalog.
      const stages = await buildStages(context);
      const stored = await backend.load();
      const tap = stages[0]!;
      const catalog = await prepareCatalog(context, tap, board, options.select);
      if (catalog !== undefined) {
        const file = join(tempDir, 'catalog.json');
        await writeFile(file, JSON.stringify(catalog));
        tap.argv.push('--catalog', file);
      }
      if (stored !== undefined && !options.fullRefresh) {
        const file = join(tempDir, 'state.json');
        await writeFile(file, stringifyExact(stored));
        tap.argv.push('--state', file);
        logger.info(`resuming from the state in ${backend.description}`);
      } else {
        logger.info(options.fullRefresh ? 'full refresh: running without the stored state' : `no stored state in ${backend.description}: first run`);
      }

      let pipe: RunningPipe | undefined;
      const recorder = new ConfirmedStateRecorder(backend, stored, {
        fullRefresh: options.fullRefresh === true,
        logger,
        onSaveFailure: () => pipe?.stop('SIGTERM'),
      });
      let strayLines = 0;
      let interrupted: NodeJS.Signals | undefined;
      const onSignal = (signal: NodeJS.Signals): void => {
        if (interrupted === undefined) logger.warn(`received ${signal}: stopping the pipeline; the state saved is the last one the target confirmed`);
        interrupted ??= signal;
        pipe?.stop(signal);
      };
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
      for (const signal of signals) process.on(signal, onSignal);
      board.start();
      try {
        pipe = new RunningPipe(stages, {
          board,
          graceMs: pipeline.stop_grace_seconds * 1000,
          // The programs run in the pipeline's folder, so relative paths in inline options mean the same
          // as relative paths in the pipeline file.
          cwd: pipeline.dir,
          onTargetLine: (line) => {
            const state = confirmedStateOf(line);
            if (state) recorder.confirm(state.value);
            else if (line.trim() !== '' && strayLines++ === 0) logger.warn(`the target printed a line that is not a STATE; ignored: ${line.slice(0, 200)}`);
          },
        });
        await pipe.wait();
      } finally {
        board.stop();
        for (const signal of signals) process.off(signal, onSignal);
      }

      let saveError: unknown;
      try {
        await recorder.flush();
      } catch (error) {
        saveError = error;
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const rows = board.rows();
      const total = [...rows.values()].reduce((sum, n) => sum + n, 0);
      const streams = `${rows.size} stream${rows.size === 1 ? '' : 's'}, ${total.toLocaleString('en-US')} rows`;
      const saved = recorder.saved > 0
        ? `state saved to ${backend.description} (${recorder.saved} of the target's STATE lines; the last one it confirmed)`
        : `no new state saved; ${backend.description} is unchanged`;
      const failure = pipe.failure;
      if (saveError !== undefined) {
        logger.info(`pipeline "${pipeline.name}" stopped after ${seconds} s: ${streams}`);
        logger.error(formatErrorLine(saveError));
        return typeof (saveError as { exitCode?: unknown }).exitCode === 'number' ? (saveError as { exitCode: number }).exitCode : 1;
      }
      if (failure !== undefined) {
        logger.info(`pipeline "${pipeline.name}" failed after ${seconds} s: ${streams}; ${saved}`);
        logger.error(describeOutcome(failure));
        return exitStatus(failure);
      }
      if (interrupted !== undefined) {
        logger.info(`pipeline "${pipeline.name}" interrupted after ${seconds} s: ${streams}; ${saved}`);
        const error = new InterruptedError(interrupted);
        logger.error(formatErrorLine(error));
        return error.exitCode;
      }
      const final = recorder.lastAccepted;
      const bookmarks = final === undefined || isEmptyState(final) ? '' : ` (bookmarks: ${Object.keys(final.bookmarks).join(', ')})`;
      logger.info(`pipeline "${pipeline.name}" done in ${seconds} s: ${streams}; ${saved}${recorder.saved > 0 ? bookmarks : ''}`);
      return 0;
    });
  } finally {
    await backend.dispose();
  }
}

export { StageFailedError };
