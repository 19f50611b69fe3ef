/**
 * The command-line contract every Tapline program shares. A program describes itself (name, kind,
 * config schema, capabilities) and supplies `run` (and `discover` for taps); this module does the rest:
 * flags, `--help`, `--version`, `--about`, loading config / state / catalog, logging, signals, and turning
 * any failure into one stderr line and an exit code from the error taxonomy.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { parseCatalog, type Catalog } from './catalog.js';
import { loadConfig, secretPaths } from './config/index.js';
import { ConfigurationError, InterruptedError, SyncError, exitCodeOf, formatErrorLine } from './errors.js';
import { parseExact } from './exact-json.js';
import type { JsonSchema } from './json-schema.js';
import { Logger, isLogLevel, type LogFormat, type LogLevel } from './logger.js';
import { MessageWriter, settleOutput } from './writer.js';

export type ProgramKind = 'tap' | 'target' | 'transform';

export interface ProgramContext<Config = Record<string, unknown>> {
  config: Config;
  /** The raw state given with --state (already unwrapped from a STATE message), or undefined. */
  state: unknown;
  /** The catalog given with --catalog or --properties, or undefined. */
  catalog: Catalog | undefined;
  logger: Logger;
  /** Singer messages in (targets and transforms). */
  input: NodeJS.ReadableStream;
  /** Singer messages out. */
  output: MessageWriter;
  /** Aborted on SIGINT or SIGTERM; long loops check it and stop without committing more. */
  signal: AbortSignal;
  /** The files given with --config, in order. */
  configFiles: string[];
}

export interface ProgramDefinition<Config = Record<string, unknown>> {
  /** The binary name: `tap-postgres`, `target-jsonl`, `transform-impute`. */
  name: string;
  version: string;
  kind: ProgramKind;
  description: string;
  configSchema: JsonSchema;
  /** Singer capabilities, as Meltano reads them from --about: `catalog`, `discover`, `state`, ... */
  capabilities: string[];
  run(context: ProgramContext<Config>): Promise<void>;
  /** Taps: describe the source. */
  discover?(context: ProgramContext<Config>): Promise<Catalog>;
  /**
   * How far the heap may grow past what the last full garbage collection kept, in percent (V8's
   * --heap-growing-percent, applied by runProgram). V8 otherwise lets it grow up to 4x, so a program that
   * allocates fast and keeps little (a transform stage: ~50 MB live) settles at several times its live
   * data only after millions of records, and its peak RSS grows with the input. Unset: V8's choice.
   */
  heapGrowingPercent?: number;
}

export interface CliIo {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream & import('node:stream').Writable;
  stderr?: { write(text: string): unknown };
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const OPTIONS = {
  config: { type: 'string', multiple: true },
  state: { type: 'string' },
  catalog: { type: 'string' },
  properties: { type: 'string' },
  discover: { type: 'boolean' },
  about: { type: 'boolean' },
  format: { type: 'string' },
  profile: { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

export function usage(program: ProgramDefinition<never>): string {
  const lines = [`Usage: ${program.name} [options]`, '', program.description, '', 'Options:'];
  lines.push('  --config FILE        configuration, JSON or YAML; repeat to merge several (later files win)');
  lines.push('  --profile NAME       configuration profile (default: $TAPLINE_PROFILE or "default")');
  if (program.kind === 'tap') {
    lines.push('  --discover           print the catalog of the source and exit');
    lines.push('  --catalog FILE       the catalog with selected streams (--properties FILE: older name)');
    lines.push('  --state FILE         bookmarks from an earlier run; a STATE line or a file of them (last wins)');
  }
  lines.push('  --about              print name, version, capabilities and config schema as JSON');
  lines.push('  --log-level LEVEL    debug, info, warn, error (default: $TAPLINE_LOG_LEVEL or info)');
  lines.push('  --log-format FORMAT  text or json (default: $TAPLINE_LOG_FORMAT or text)');
  lines.push('  --version            print the version');
  lines.push('  --help               print this help');
  lines.push('', 'Exit codes: 0 done, 2 configuration, 3 sync, 4 discovery, 5 connection, 6 bad input data, 130/143 interrupted.');
  return lines.join('\n');
}

/** The JSON printed by --about: Meltano-compatible (`settings` is the config JSON Schema). */
export function aboutInfo(program: ProgramDefinition<never>): Record<string, unknown> {
  return {
    name: program.name,
    version: program.version,
    description: program.description,
    kind: program.kind,
    capabilities: program.capabilities,
    settings: program.configSchema,
    secret_settings: secretPaths(program.configSchema).map((path) => path.join('.')),
  };
}

/**
 * Read a state file. Orchestrators hand us several shapes: a plain state object, a STATE message, a file
 * of appended STATE lines (`tap | target >> state.jsonl`), or an empty file; the last line wins.
 * Integers beyond 2^53 (a bookmark such as 18446744073709551615) are read exactly, as bigints.
 */
export async function readStateFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`cannot read the state file: ${(error as Error).message}`, {
      file: path,
      cause: error,
      hint: 'Pass an existing file with --state, or leave it out for a first run',
    });
  }
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = parseExact(text);
  } catch {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    const last = lines[lines.length - 1] ?? '';
    try {
      value = parseExact(last);
    } catch (error) {
      throw new ConfigurationError('the state file is not JSON (neither one document nor JSON lines)', {
        file: path,
        line: lines.length,
        cause: error,
        hint: 'Restore it from the last STATE line the target printed, or remove it to start afresh',
      });
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    if (typeof object.type === 'string' && object.type.toUpperCase() === 'STATE' && 'value' in object) return object.value;
    return object;
  }
  throw new ConfigurationError('the state must be a JSON object', { file: path, hint: 'A Singer state looks like {"bookmarks": {...}}' });
}

async function readCatalogFile(path: string): Promise<Catalog> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`cannot read the catalog file: ${(error as Error).message}`, { file: path, cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`the catalog file is not JSON: ${(error as Error).message}`, {
      file: path,
      cause: error,
      hint: 'Regenerate it with --discover',
    });
  }
  return parseCatalog(json, path);
}

function pickLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv): LogLevel {
  const value = (flag ?? env.TAPLINE_LOG_LEVEL ?? 'info').toLowerCase();
  const normalized = value === 'warning' ? 'warn' : value;
  if (!isLogLevel(normalized)) {
    throw new ConfigurationError(`unknown log level "${value}"`, { hint: 'Use debug, info, warn or error' });
  }
  return normalized;
}

function pickLogFormat(flag: string | undefined, env: NodeJS.ProcessEnv): LogFormat {
  const value = (flag ?? env.TAPLINE_LOG_FORMAT ?? 'text').toLowerCase();
  if (value !== 'text' && value !== 'json') {
    throw new ConfigurationError(`unknown log format "${value}"`, { hint: 'Use text or json' });
  }
  return value;
}

/**
 * Run a program with the given arguments and return its exit code. Never throws; never calls
 * process.exit (see `runProgram` for that), so tests can call it in-process.
 */
export async function executeProgram<Config>(
  program: ProgramDefinition<Config>,
  argv: string[],
  io: CliIo = {},
): Promise<number> {
  const env = io.env ?? process.env;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const stdin = io.stdin ?? process.stdin;
  let logger = new Logger({ program: program.name, sink: stderr });
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) return;
    logger.warn(`received ${signal}; stopping without committing anything further`);
    controller.abort(new InterruptedError(signal));
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const signal of signals) process.on(signal, onSignal);
  // A downstream program that exits closes our stdout; writing then fails with EPIPE.
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    controller.abort(
      new SyncError(error.code === 'EPIPE' ? 'the program reading our output has exited' : `cannot write to stdout: ${error.message}`, {
        cause: error,
        hint: 'Look at the next program in the pipe; its error is the real one',
      }),
    );
  };
  stdout.on('error', onStdoutError);
  const writer = new MessageWriter(stdout);

  try {
    let args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
    try {
      args = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }).values;
    } catch (error) {
      throw new ConfigurationError((error as Error).message, { hint: `Run ${program.name} --help for the options` });
    }
    logger = new Logger({
      program: program.name,
      sink: stderr,
      level: pickLogLevel(args['log-level'], env),
      format: pickLogFormat(args['log-format'], env),
    });
    if (args.help) {
      stdout.write(`${usage(program as ProgramDefinition<never>)}\n`);
      return 0;
    }
    if (args.version) {
      stdout.write(`${program.name} ${program.version}\n`);
      return 0;
    }
    if (args.about) {
      const info = aboutInfo(program as ProgramDefinition<never>);
      if (args.format === 'markdown') {
        stdout.write(aboutMarkdown(info));
      } else {
        stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      }
      return 0;
    }
    if (args.discover && !program.discover) {
      throw new ConfigurationError(`${program.name} has no --discover`, { hint: 'Only taps discover a catalog' });
    }
    const configFiles = args.config ?? [];
    const config = (await loadConfig({
      files: configFiles,
      ...(args.profile === undefined ? {} : { profile: args.profile }),
      schema: program.configSchema,
      env,
      cwd: io.cwd ?? process.cwd(),
    })) as Config;
    const catalogPath = args.catalog ?? args.properties;
    const context: ProgramContext<Config> = {
      config,
      state: args.state === undefined ? undefined : await readStateFile(args.state),
      catalog: catalogPath === undefined ? undefined : await readCatalogFile(catalogPath),
      logger,
      input: stdin,
      output: writer,
      signal: controller.signal,
      configFiles,
    };
    if (args.discover && program.discover) {
      const catalog = await program.discover(context);
      stdout.write(`${JSON.stringify(catalog, null, 2)}\n`);
      return 0;
    }
    await raceAbort(program.run(context), controller.signal);
    await writer.close();
    if (controller.signal.aborted) throw controller.signal.reason;
    return 0;
  } catch (error) {
    const failure = controller.signal.aborted && !(error instanceof ConfigurationError) ? controller.signal.reason ?? error : error;
    try {
      writer.flush();
    } catch {
      // stdout is gone; the error line below is what matters.
    }
    logger.error(formatErrorLine(failure));
    if (logger.enabled('debug') && failure instanceof Error && failure.stack) logger.debug(failure.stack);
    return exitCodeOf(failure);
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    stdout.off('error', onStdoutError);
  }
}

/** Resolve with the run, or reject as soon as the signal aborts (the run is left to be torn down by exit). */
async function raceAbort(run: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([run, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function aboutMarkdown(info: Record<string, unknown>): string {
  const schema = info.settings as JsonSchema;
  const rows = Object.entries(schema.properties ?? {}).map(
    ([name, property]) =>
      `| ${name} | ${Array.isArray(property.type) ? property.type.join(', ') : property.type ?? ''} | ${
        schema.required?.includes(name) ? 'yes' : ''
      } | ${property.secret || property.writeOnly ? 'yes' : ''} | ${(property.description ?? '').replace(/\|/g, '\\|')} |`,
  );
  return [
    `# ${String(info.name)} ${String(info.version)}`,
    '',
    String(info.description),
    '',
    `Capabilities: ${(info.capabilities as string[]).join(', ')}`,
    '',
    '| setting | type | required | secret | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** The entry point a `bin/` file calls: run, then exit with the code. */
export async function runProgram<Config>(program: ProgramDefinition<Config>, argv = process.argv.slice(2)): Promise<never> {
  if (program.heapGrowingPercent !== undefined) setFlagsFromString(`--heap-growing-percent=${program.heapGrowingPercent}`);
  const code = await executeProgram(program, argv);
  // process.exit drops what a pipe has not taken yet: on a slow reader the last lines written (the final
  // STATE, a --discover catalog) would be lost. Wait until stdout and stderr have handed everything over.
  await Promise.all([settleOutput(process.stdout), settleOutput(process.stderr)]);
  process.exit(code);
}
