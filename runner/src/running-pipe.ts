/**
 * The programs of a pipeline as one Unix pipe. Each child's stdout is handed to the next child as its stdin
 * at the file-descriptor level, so data never passes through the runner and backpressure is the kernel's:
 * a slow target blocks the tap's writes. The runner keeps only the target's stdout (the STATE lines it
 * confirms) and every child's stderr, forwarded line by line with the stage's name in front.
 *
 * When one child fails, the others are stopped (SIGTERM, then SIGKILL after a grace period) and the run
 * fails with that child's exit code and its last line. Downstream children first get the grace period
 * to finish on their own, since the end of their input is all they have lost. The failure is the first child that exits non-zero
 * on its own: when a target dies, the tap's write error (EPIPE) comes after it and is only a consequence.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ProgressBoard } from './progress-board.js';

export type StageRole = 'tap' | 'transform' | 'target';

export interface StageSpec {
  role: StageRole;
  /** Prefix of the stage's log lines: `tap`, `transform-impute`, `target`. */
  label: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
}

export interface StageOutcome {
  stage: StageSpec;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The runner stopped it (another stage failed, or the runner was interrupted). */
  stoppedByUs: boolean;
  /** The last stderr line that is not a metric: a failing program's error line. */
  lastLine: string | undefined;
  spawnError: Error | undefined;
  /** It said its reader went away (EPIPE, SIGPIPE): a consequence of a failure downstream, not a cause. */
  brokenPipe?: boolean;
}

/** What programs of every ecosystem print when the program reading their output has gone. */
const BROKEN_PIPE = /\bEPIPE\b|broken ?pipe|BrokenPipeError|reading our output has exited/i;

/** A child's exit status as a shell would give it: its code, or 128 + the signal number. */
export function exitStatus(outcome: Pick<StageOutcome, 'code' | 'signal' | 'spawnError'>): number {
  if (outcome.spawnError) return 127;
  if (outcome.code !== null) return outcome.code;
  const number = outcome.signal === null ? undefined : constants.signals[outcome.signal];
  return number === undefined ? 1 : 128 + number;
}

/** A program's log line without its own timestamp and level (`2024-...Z ERROR `), which the runner's line already has. */
function withoutLogPrefix(line: string): string {
  return line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z?\s+(?:ERROR|WARN(?:ING)?|INFO|DEBUG|CRITICAL|FATAL)\s+/, '');
}

export function describeOutcome(outcome: StageOutcome): string {
  const how = outcome.spawnError
    ? `could not start (${outcome.spawnError.message})`
    : outcome.signal !== null
      ? `was killed by ${outcome.signal}`
      : `exited with code ${outcome.code}`;
  return `[${outcome.stage.label}] ${how}${outcome.lastLine ? `: ${withoutLogPrefix(outcome.lastLine)}` : ''}`;
}

export interface RunningPipeOptions {
  board: ProgressBoard;
  /** Each line the target prints on stdout. */
  onTargetLine: (line: string) => void;
  graceMs: number;
  cwd?: string;
}

export class RunningPipe {
  readonly outcomes: StageOutcome[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly exited = new Set<number>();
  private readonly closed: Promise<void>[] = [];
  private readonly killTimers: NodeJS.Timeout[] = [];
  /** The first stage that failed on its own. */
  failure: StageOutcome | undefined;

  constructor(stages: StageSpec[], private readonly options: RunningPipeOptions) {
    let upstream: Readable | undefined;
    stages.forEach((stage, index) => {
      const isLast = index === stages.length - 1;
      const [command = '', ...args] = stage.argv;
      const child = spawn(command, args, {
        stdio: [upstream ?? 'ignore', 'pipe', 'pipe'],
        env: stage.env,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
      // The child has its own copy of the pipe's read end. Ours must go, or a writer upstream would never
      // see EPIPE when its reader dies (the pipe would still have a reader: us).
      upstream?.destroy();
      upstream = isLast ? undefined : child.stdout ?? undefined;
      const outcome: StageOutcome = { stage, pid: child.pid, code: null, signal: null, stoppedByUs: false, lastLine: undefined, spawnError: undefined };
      this.outcomes.push(outcome);
      this.children.push(child);
      if (child.pid !== undefined) options.board.line(`[${stage.label}] started (pid ${child.pid}): ${stage.argv.join(' ')}`);
      this.closed.push(this.watch(child, index, isLast));
    });
  }

  private watch(child: ChildProcess, index: number, isLast: boolean): Promise<void> {
    const outcome = this.outcomes[index]!;
    const { board } = this.options;
    const streams: Promise<void>[] = [];
    if (child.stderr) {
      const lines = createInterface({ input: child.stderr, crlfDelay: Infinity });
      lines.on('line', (line) => {
        board.observe(outcome.stage.role, line);
        board.line(`[${outcome.stage.label}] ${line}`);
        if (line.trim() !== '' && !line.includes('METRIC: ') && !line.includes('"METRIC"')) outcome.lastLine = line.trim();
        if (BROKEN_PIPE.test(line)) outcome.brokenPipe = true;
      });
      streams.push(new Promise((resolve) => lines.once('close', resolve)));
    }
    if (isLast && child.stdout) {
      const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
      lines.on('line', (line) => this.options.onTargetLine(line));
      streams.push(new Promise((resolve) => lines.once('close', resolve)));
    }
    const exit = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        outcome.spawnError = error;
        this.onExit(index);
        resolve();
      });
      child.once('exit', (code, signal) => {
        outcome.code = code;
        outcome.signal = signal;
        this.onExit(index);
        resolve();
      });
    });
    return Promise.all([exit, ...streams]).then(() => undefined);
  }

  private onExit(index: number): void {
    if (this.exited.has(index)) return;
    this.exited.add(index);
    const outcome = this.outcomes[index]!;
    const failed = outcome.spawnError !== undefined || outcome.code !== 0;
    if (failed && !outcome.stoppedByUs && this.failure === undefined) {
      this.failure = outcome;
      // Upstream programs stop now: nothing they send can be loaded any more. Downstream ones have only
      // lost their input: they see its end, commit what they received and confirm its state (work the
      // next run need not redo); only if they are still running after the grace period are they stopped.
      this.stop('SIGTERM', (i) => i < index);
      const timer = setTimeout(() => this.stop('SIGTERM', (i) => i > index), this.options.graceMs);
      timer.unref();
      this.killTimers.push(timer);
    }
  }

  /**
   * Send `signal` to every child still running (of those `which` picks), and SIGKILL to those still there
   * after the grace period.
   */
  stop(signal: NodeJS.Signals = 'SIGTERM', which: (index: number) => boolean = () => true): void {
    const targets = this.children.flatMap((child, index) => (this.exited.has(index) || !which(index) ? [] : [{ child, index }]));
    for (const { child, index } of targets) {
      this.outcomes[index]!.stoppedByUs = true;
      child.kill(signal);
    }
    if (targets.length === 0) return;
    const timer = setTimeout(() => {
      for (const { child, index } of targets) if (!this.exited.has(index)) child.kill('SIGKILL');
    }, this.options.graceMs);
    timer.unref();
    this.killTimers.push(timer);
  }

  /** Resolves once every child has exited and its output has been read to the end. */
  async wait(): Promise<StageOutcome[]> {
    await Promise.all(this.closed);
    for (const timer of this.killTimers) clearTimeout(timer);
    // Two programs that die together (a target killed, its writer's next write failing) report their
    // exits in no fixed order. A failure that is only a broken pipe gives way to one downstream of it that
    // failed on its own: that one is why the pipe broke.
    const failure = this.failure;
    if (failure !== undefined && (failure.brokenPipe === true || failure.signal === 'SIGPIPE')) {
      const cause = this.outcomes
        .slice(this.outcomes.indexOf(failure) + 1)
        .find((outcome) => !outcome.stoppedByUs && (outcome.spawnError !== undefined || outcome.code !== 0) && outcome.brokenPipe !== true);
      if (cause !== undefined) this.failure = cause;
    }
    return this.outcomes;
  }
}
