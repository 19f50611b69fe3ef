/**
 * Running a tap the way a user does, with config, catalog and state files, for a connector's own tests:
 * discover, select streams with extra metadata, run to the end or start and read part of the output.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import { runProgram, type ProgramRun } from './run-program.js';

const execFileAsync = promisify(execFile);

type Json = Record<string, unknown>;

/** Where a test keeps its tap config and files: the connection config, and a way to write JSON files. */
export interface TapScratch {
  config: Record<string, unknown>;
  /** Write a JSON file in the scratch folder and return its path. */
  file(name: string, value: unknown): Promise<string>;
}

export interface RunTapOptions {
  catalog?: Json;
  state?: unknown;
  config?: Json;
  name?: string;
}

export interface TapHarness {
  discover(scratch: TapScratch, extraConfig?: Json): Promise<{ streams: Json[] }>;
  /** The catalog with `streams` selected, each with extra stream-level metadata (replication method, key). */
  catalogWith(scratch: TapScratch, streams: Record<string, Json>, extraConfig?: Json): Promise<Json>;
  runTap(scratch: TapScratch, options?: RunTapOptions): Promise<ProgramRun>;
  /** Start the tap without reading its output; the caller reads lines and kills it. */
  startTap(scratch: TapScratch, options: RunTapOptions & { catalog: Json; name: string }): Promise<ChildProcessWithoutNullStreams>;
}

export function tapHarness(bin: string): TapHarness {
  const argsFor = async (scratch: TapScratch, options: RunTapOptions, name: string): Promise<string[]> => {
    const args = ['--config', await scratch.file(`${name}-config.json`, { ...scratch.config, ...options.config })];
    if (options.catalog !== undefined) args.push('--catalog', await scratch.file(`${name}-catalog.json`, options.catalog));
    if (options.state !== undefined) args.push('--state', await scratch.file(`${name}-state.json`, options.state));
    return args;
  };
  const harness: TapHarness = {
    async discover(scratch, extraConfig = {}) {
      const config = await scratch.file('discover-config.json', { ...scratch.config, ...extraConfig });
      // Not runProgram: the catalog is pretty-printed JSON, not one message per line.
      const { stdout } = await execFileAsync(process.execPath, [bin, '--config', config, '--discover'], { maxBuffer: 64 * 1024 * 1024 });
      return JSON.parse(stdout) as { streams: Json[] };
    },
    async catalogWith(scratch, streams, extraConfig = {}) {
      const catalog = await harness.discover(scratch, extraConfig);
      for (const stream of catalog.streams) {
        const extra = streams[stream.tap_stream_id as string];
        if (extra === undefined) continue;
        const entries = stream.metadata as { breadcrumb: string[]; metadata: Json }[];
        const top = entries.find((entry) => entry.breadcrumb.length === 0);
        if (top) Object.assign(top.metadata, { selected: true, ...extra });
      }
      return catalog;
    },
    async runTap(scratch, options = {}) {
      return runProgram(bin, { args: await argsFor(scratch, options, options.name ?? 'run'), timeoutMs: 60_000 });
    },
    async startTap(scratch, options) {
      return spawn(process.execPath, [bin, ...(await argsFor(scratch, options, options.name))], { stdio: ['pipe', 'pipe', 'pipe'] });
    },
  };
  return harness;
}

/**
 * Read complete lines from a child's stdout until `enough(lines)` is true, then pause the stream: the tap
 * blocks on its full pipe (backpressure) and makes no further progress until it is resumed. `partial` is
 * the incomplete last line read so far.
 */
export function readUntil(child: ChildProcessWithoutNullStreams, enough: (lines: string[]) => boolean): Promise<{ lines: string[]; partial: string }> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let rest = '';
    const onData = (chunk: Buffer): void => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
      if (enough(lines)) {
        child.stdout.pause();
        child.stdout.off('data', onData);
        resolve({ lines, partial: rest });
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', () => reject(new Error(`the tap exited before enough output (${lines.length} lines)`)));
  });
}

export function messagesOf(run: ProgramRun, type: string): Json[] {
  return run.messages.filter((message) => message.type === type);
}

export function recordsOf(run: ProgramRun, stream?: string): Json[] {
  return messagesOf(run, 'RECORD').filter((m) => stream === undefined || m.stream === stream).map((m) => m.record as Json);
}
