/**
 * Logging to stderr. stdout belongs to Singer messages, so everything a person or an orchestrator should
 * read goes here: levelled log lines (text or JSON), Singer METRIC lines, and a progress line at most every
 * few seconds. Every line passes through secret redaction on its way out.
 */
import { redact } from './redaction.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'text' | 'json';

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && value in LEVEL_ORDER;
}

export interface LogSink {
  write(text: string): unknown;
}

export interface LoggerOptions {
  program: string;
  level?: LogLevel;
  format?: LogFormat;
  sink?: LogSink;
  /** For tests: a fixed clock. */
  now?: () => Date;
}

export type LogFields = Record<string, unknown>;

export class Logger {
  readonly program: string;
  level: LogLevel;
  format: LogFormat;
  private readonly sink: LogSink;
  private readonly now: () => Date;
  private readonly warnedOnce = new Set<string>();

  constructor(options: LoggerOptions) {
    this.program = options.program;
    this.level = options.level ?? 'info';
    this.format = options.format ?? 'text';
    this.sink = options.sink ?? process.stderr;
    this.now = options.now ?? (() => new Date());
  }

  enabled(level: LogLevel): boolean {
    return LEVEL_ORDER[level] >= LEVEL_ORDER[this.level];
  }

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  /** Warn only the first time `key` is seen (an unknown message type on every line would flood the log). */
  warnOnce(key: string, message: string, fields?: LogFields): void {
    if (this.warnedOnce.has(key)) return;
    this.warnedOnce.add(key);
    this.warn(message, fields);
  }

  log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const time = this.now().toISOString();
    let line: string;
    if (this.format === 'json') {
      line = JSON.stringify({ time, level, program: this.program, message, ...fields });
    } else {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${formatFields(fields)}` : '';
      line = `${time} ${level.toUpperCase().padEnd(5)} ${this.program}: ${message}${extra}`;
    }
    this.writeLine(line);
  }

  /**
   * A Singer metric line. The text form is exactly what singer-python and the Meltano SDK write
   * (`METRIC: {...}`), which orchestrators parse; the JSON form nests the same object.
   */
  metric(type: 'counter' | 'timer', metric: string, value: number, tags: Record<string, unknown> = {}): void {
    if (!this.enabled('info')) return;
    const body = { type, metric, value, tags };
    if (this.format === 'json') {
      this.writeLine(JSON.stringify({ time: this.now().toISOString(), level: 'info', program: this.program, message: 'METRIC', metric: body }));
    } else {
      this.writeLine(`METRIC: ${JSON.stringify(body)}`);
    }
  }

  /** Write a line exactly as given (after redaction). Used for the final error line. */
  writeLine(line: string): void {
    this.sink.write(`${redact(line)}\n`);
  }
}

function formatFields(fields: LogFields): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`)
    .join(' ');
}

export interface ProgressOptions {
  /** Least time between two progress lines. */
  intervalMs?: number;
  /** What the counted things are called in the line. */
  unit?: string;
  now?: () => number;
}

/**
 * Counts rows per stream and writes a readable line (`progress: orders 1,200,000 rows (210,000 rows/s)`)
 * and record_count metrics at most every `intervalMs`. Counting is a map lookup and an add, so it can be
 * called for every record; the clock is read only every 1024 counts.
 */
export class ProgressReporter {
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly unit: string;
  private readonly now: () => number;
  private readonly counts = new Map<string, number>();
  private readonly reported = new Map<string, number>();
  private readonly startedAt: number;
  private lastReportAt: number;
  private sinceCheck = 0;

  constructor(logger: Logger, options: ProgressOptions = {}) {
    this.logger = logger;
    this.intervalMs = options.intervalMs ?? 5000;
    this.unit = options.unit ?? 'rows';
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.lastReportAt = this.startedAt;
  }

  count(stream: string, n = 1): void {
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + n);
    this.sinceCheck += n;
    if (this.sinceCheck >= 1024) {
      this.sinceCheck = 0;
      if (this.now() - this.lastReportAt >= this.intervalMs) this.report();
    }
  }

  total(stream?: string): number {
    if (stream !== undefined) return this.counts.get(stream) ?? 0;
    let sum = 0;
    for (const value of this.counts.values()) sum += value;
    return sum;
  }

  streams(): ReadonlyMap<string, number> {
    return this.counts;
  }

  /** Write the progress line and one record_count metric per stream for what was counted since the last one. */
  report(final = false): void {
    const now = this.now();
    const seconds = Math.max((now - this.startedAt) / 1000, 1e-3);
    const parts: string[] = [];
    for (const [stream, count] of this.counts) {
      const delta = count - (this.reported.get(stream) ?? 0);
      if (delta > 0) this.logger.metric('counter', 'record_count', delta, { stream });
      this.reported.set(stream, count);
      parts.push(`${stream} ${count.toLocaleString('en-US')} ${this.unit} (${Math.round(count / seconds).toLocaleString('en-US')} ${this.unit}/s)`);
    }
    this.lastReportAt = now;
    if (parts.length === 0) return;
    const total = this.total();
    this.logger.info(
      `${final ? 'done' : 'progress'}: ${parts.join(', ')}; total ${total.toLocaleString('en-US')} ${this.unit} in ${seconds.toFixed(1)} s`,
    );
  }
}
