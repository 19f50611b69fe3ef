/**
 * The `tapline` command: `run`, `discover` and `state` on a pipeline file. Like every Tapline program it
 * ends a failure with one stderr line and an exit code from the error taxonomy (or, when a program of the
 * pipeline failed, that program's exit code and line).
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  ConfigurationError,
  exitCodeOf,
  formatErrorLine,
  isLogLevel,
  Logger,
  parseExact,
  parseState,
  stringifyExact,
  stringifyExactPretty,
  type LogFormat,
  type LogLevel,
} from '@tapline/protocol';
import { loadPipeline } from './pipeline-config.js';
import { applyStreamMetadata, buildStages, discoverCatalog, prepareCatalog, selectStreams, StageFailedError } from './pipeline-stages.js';
import { ProgressBoard } from './progress-board.js';
import { runPipeline, withTempDir } from './run-pipeline.js';
import { createStateBackend } from './state-backends.js';

export const TAPLINE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export const USAGE = `Usage: tapline <command> <pipeline.yml> [options]

Commands:
  run <pipeline>                   run tap | transforms | target as one pipe, saving each state the target confirms
  discover <pipeline>              print the tap's catalog with the pipeline's selection applied
  check <pipeline>                 validate the pipeline and find its programs, without running or connecting
  state show <pipeline>            print the stored state (--history: the earlier states too)
  state set <pipeline> [FILE]      replace the stored state with FILE's (or stdin's); the old one goes to history
  state clear <pipeline>           forget the stored state (the next run starts from scratch)
  state rollback <pipeline>        restore the state from before the last run, set or clear

Options:
  --full-refresh        run: start without the stored state, and let the new state replace it
  --select PATTERN      run, discover: sync the streams matching PATTERN (public-orders, public-*, !audit-*)
                        instead of the pipeline's select; repeat for several
  --output FILE         discover: write the catalog to FILE instead of stdout
  --history             state show: also print the earlier states
  --profile NAME        pipeline and config profile (default: $TAPLINE_PROFILE or "default")
  --log-level LEVEL     debug, info, warn, error (default: $TAPLINE_LOG_LEVEL or info)
  --log-format FORMAT   text or json (default: $TAPLINE_LOG_FORMAT or text)
  --version             print the version
  --help                print this help

Environment: TAPLINE_PROFILE, TAPLINE_LOG_LEVEL, TAPLINE_LOG_FORMAT, TAPLINE_PROGRESS_SECONDS (between two
progress lines: 0.5 on a terminal, 5 otherwise).

Exit codes: 0 done, 2 configuration, 3 sync, 4 discovery, 5 connection, 6 bad input data, 130/143
interrupted; when a program of the pipeline fails, its own exit code (128 + signal if it was killed).`;

const OPTIONS = {
  'full-refresh': { type: 'boolean' },
  select: { type: 'string', multiple: true },
  output: { type: 'string' },
  history: { type: 'boolean' },
  profile: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface TaplineIo {
  stdout?: { write(text: string): unknown };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

function pickLevel(value: string | undefined): LogLevel {
  const level = (value ?? 'info').toLowerCase();
  const normalized = level === 'warning' ? 'warn' : level;
  if (!isLogLevel(normalized)) throw new ConfigurationError(`unknown log level "${level}"`, { hint: 'Use debug, info, warn or error' });
  return normalized;
}

function pickFormat(value: string | undefined): LogFormat {
  const format = (value ?? 'text').toLowerCase();
  if (format !== 'text' && format !== 'json') throw new ConfigurationError(`unknown log format "${format}"`, { hint: 'Use text or json' });
  return format;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** The state `state set` was given: a state, a STATE message, or appended STATE lines (the last wins). */
function parseGivenState(text: string, source: string): unknown {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  for (const candidate of [text, lines[lines.length - 1] ?? '']) {
    try {
      const value = parseExact(candidate) as Record<string, unknown>;
      return value !== null && typeof value === 'object' && value.type === 'STATE' ? value.value : value;
    } catch {
      // try the last line
    }
  }
  throw new ConfigurationError('the state given is not JSON', { file: source, hint: 'Give a Singer state such as {"bookmarks": {"orders": {...}}}' });
}

/**
 * TAPLINE_PROGRESS_SECONDS: between two progress lines (default 0.5 s on a terminal, 5 s otherwise). An
 * orchestrator whose log is kept forever may want one a minute. A value that is not a positive number is
 * ignored: a progress setting is not worth failing a run for.
 */
function progressInterval(env: NodeJS.ProcessEnv): { intervalMs?: number } {
  const seconds = Number(env.TAPLINE_PROGRESS_SECONDS);
  return env.TAPLINE_PROGRESS_SECONDS !== undefined && Number.isFinite(seconds) && seconds > 0 ? { intervalMs: seconds * 1000 } : {};
}

/** Run the CLI and return the exit code; never throws and never exits (tests call it in-process). */
export async function executeTapline(argv: string[], io: TaplineIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const board = new ProgressBoard({ sink: stderr, ...progressInterval(env) });
  let logger = new Logger({ program: 'tapline', sink: board });
  try {
    let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new ConfigurationError((error as Error).message, { hint: 'Run tapline --help for the commands and options' });
    }
    const { values, positionals } = parsed;
    logger = new Logger({
      program: 'tapline',
      sink: board,
      level: pickLevel(values['log-level'] ?? env.TAPLINE_LOG_LEVEL),
      format: pickFormat(values['log-format'] ?? env.TAPLINE_LOG_FORMAT),
    });
    if (values.help) {
      stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.version) {
      stdout.write(`tapline ${TAPLINE_VERSION}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    const sub = command === 'state' ? rest.shift() : undefined;
    const [pipelinePath, ...extra] = rest;
    const known = ['run', 'discover', 'check', 'state'];
    if (command === undefined) throw new ConfigurationError('no command given', { hint: 'Run tapline --help for the commands' });
    if (!known.includes(command)) throw new ConfigurationError(`unknown command "${command}"`, { hint: `Use one of: ${known.join(', ')}` });
    if (command === 'state' && !['show', 'set', 'clear', 'rollback'].includes(sub ?? '')) {
      throw new ConfigurationError(`unknown state command "${sub ?? ''}"`, { hint: 'Use tapline state show|set|clear|rollback <pipeline.yml>' });
    }
    if (pipelinePath === undefined) throw new ConfigurationError(`tapline ${command}${sub ? ` ${sub}` : ''} needs a pipeline file`, { hint: 'Run tapline --help' });
    if (extra.length > (sub === 'set' ? 1 : 0)) throw new ConfigurationError(`unexpected argument "${extra.at(-1)}"`, { hint: 'Run tapline --help' });

    const cwd = io.cwd ?? process.cwd();
    const profile = values.profile ?? env.TAPLINE_PROFILE;
    const pipeline = await loadPipeline(pipelinePath, { env, cwd, ...(profile === undefined ? {} : { profile }) });

    if (command === 'run') {
      return await runPipeline(pipeline, {
        logger,
        board,
        env,
        cwd,
        fullRefresh: values['full-refresh'] === true,
        ...(values.select === undefined ? {} : { select: values.select }),
        ...(profile === undefined ? {} : { profile }),
      });
    }

    if (command === 'check') {
      // Everything a run checks before it starts a program, without starting one or connecting anywhere:
      // for CI of an orchestrator project (the Airflow DAG's and Meltano's pipelines).
      await withTempDir(pipeline.name, async (tempDir) => {
        const stages = await buildStages({ pipeline, tempDir, env, profile, cwd });
        if (pipeline.tap.catalog !== undefined) await prepareCatalog({ pipeline, tempDir, env, profile, cwd }, stages[0]!, board, values.select);
        for (const stage of stages) stdout.write(`${stage.label}: ${stage.argv.map((arg) => (arg.startsWith(tempDir) ? '(inline options)' : arg)).join(' ')}\n`);
      });
      const backend = createStateBackend(pipeline);
      stdout.write(`state: ${backend.description}\n`);
      await backend.dispose();
      logger.info(`pipeline "${pipeline.name}" is valid: ${pipeline.file}`);
      return 0;
    }

    if (command === 'discover') {
      const catalog = await withTempDir(pipeline.name, async (tempDir) => {
        const context = { pipeline, tempDir, env, profile, cwd };
        const [tap] = await buildStages(context);
        // Discover always asks the tap, even when the pipeline names a catalog file: that is how one
        // refreshes it. Without a selection the tap's own defaults stay.
        let catalog = await discoverCatalog(tap!, board, pipeline.dir);
        if (pipeline.tap.metadata !== undefined) catalog = applyStreamMetadata(catalog, pipeline.tap.metadata);
        const select = values.select ?? pipeline.tap.select;
        return select === undefined ? catalog : selectStreams(catalog, select);
      });
      const text = `${JSON.stringify(catalog, null, 2)}\n`;
      if (values.output !== undefined) {
        await writeFile(values.output, text);
        logger.info(`catalog written to ${values.output}`);
      } else {
        stdout.write(text);
      }
      return 0;
    }

    const backend = createStateBackend(pipeline);
    try {
      if (sub === 'show') {
        const state = await backend.load();
        if (values.history) {
          const history = await backend.history();
          stdout.write(`${stringifyExactPretty({ current: state ?? null, history: history.map((h) => ({ replaced_at: h.replacedAt, state: h.state })) })}\n`);
        } else if (state === undefined) {
          logger.info(`no stored state in ${backend.description}`);
        } else {
          stdout.write(`${stringifyExact(state)}\n`);
        }
      } else if (sub === 'set') {
        const source = extra[0] ?? '-';
        const text = source === '-' ? await readAll(io.stdin ?? process.stdin) : await readFile(source, 'utf8').catch((error: Error) => {
          throw new ConfigurationError(`cannot read the state file: ${error.message}`, { file: source, cause: error });
        });
        const state = parseState(parseGivenState(text, source), source);
        // A person setting the state means it, backwards or not; an empty one is what `clear` is for.
        await backend.save(state, { keepHistory: true, allowRegression: true });
        logger.info(`state set in ${backend.description}; \`tapline state rollback\` restores the previous one`);
      } else if (sub === 'clear') {
        await backend.clear();
        logger.info(`state cleared in ${backend.description}; \`tapline state rollback\` restores it`);
      } else {
        const state = await backend.rollback();
        stdout.write(`${stringifyExact(state)}\n`);
        logger.info(`state rolled back in ${backend.description}`);
      }
      return 0;
    } finally {
      await backend.dispose();
    }
  } catch (error) {
    if (error instanceof StageFailedError) {
      logger.error(error.message);
      return error.exitCode;
    }
    logger.error(formatErrorLine(error));
    if (logger.enabled('debug') && error instanceof Error && error.stack) logger.debug(error.stack);
    return exitCodeOf(error);
  } finally {
    board.stop();
  }
}
