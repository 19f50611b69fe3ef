/**
 * The runner's stderr: every child's lines forwarded with the stage as prefix, and a progress summary
 * built from the Singer `record_count` METRIC lines the children print. On a terminal the summary is one
 * status line redrawn in place below the forwarded lines; otherwise (an orchestrator's log) it is an
 * ordinary line every few seconds.
 */
import { redact, type LogSink } from '@tapline/protocol';

export interface RecordCountMetric {
  stream: string;
  value: number;
}

/**
 * A record_count metric in any of the forms programs print: `METRIC: {...}` alone or after a log prefix
 * (singer-python writes `INFO METRIC: ...`), or a JSON log line carrying it (Tapline's --log-format json).
 * The stream tag is `stream` (Meltano SDK, Tapline) or `endpoint` (singer-python).
 */
export function parseRecordCount(line: string): RecordCountMetric | undefined {
  let body: unknown;
  const at = line.indexOf('METRIC: ');
  try {
    if (at >= 0) body = JSON.parse(line.slice(at + 8));
    else if (line.startsWith('{') && line.includes('"METRIC"')) body = (JSON.parse(line) as { metric?: unknown }).metric;
    else return undefined;
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const metric = body as { metric?: unknown; value?: unknown; tags?: Record<string, unknown> };
  if (metric.metric !== 'record_count' || typeof metric.value !== 'number') return undefined;
  const stream = metric.tags?.stream ?? metric.tags?.endpoint ?? metric.tags?.tap_stream_id;
  return { stream: typeof stream === 'string' ? stream : '(all)', value: metric.value };
}

export interface ProgressBoardOptions {
  sink?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Between two progress lines when stderr is not a terminal. */
  intervalMs?: number;
  now?: () => number;
}

export class ProgressBoard implements LogSink {
  private readonly sink: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  /** Rows per stream, per role: what the tap read and what the target loaded. */
  private readonly read = new Map<string, number>();
  private readonly loaded = new Map<string, number>();
  private status = '';
  private timer: NodeJS.Timeout | undefined;
  private changed = false;

  constructor(options: ProgressBoardOptions = {}) {
    this.sink = options.sink ?? process.stderr;
    this.tty = this.sink.isTTY === true;
    this.intervalMs = options.intervalMs ?? (this.tty ? 500 : 5000);
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.status !== '') this.sink.write('\r\x1b[2K');
    this.status = '';
  }

  /** Count a child's metric line; the tap's counts are rows read, the target's rows loaded. */
  observe(role: 'tap' | 'transform' | 'target', line: string): void {
    if (role === 'transform') return;
    const metric = parseRecordCount(line);
    if (!metric) return;
    const counts = role === 'tap' ? this.read : this.loaded;
    counts.set(metric.stream, (counts.get(metric.stream) ?? 0) + metric.value);
    this.changed = true;
  }

  /** Rows per stream: what the target reported loading, or what the tap read when the target says nothing. */
  rows(): Map<string, number> {
    return new Map(this.loaded.size > 0 ? this.loaded : this.read);
  }

  /** A LogSink: one line of text (ending in a newline), written above the status line. */
  write(text: string): void {
    // On a terminal the status line is the last line: erase it, write above it, and draw it again.
    if (this.tty && this.status !== '') this.sink.write(`\r\x1b[2K${text}${this.status}`);
    else this.sink.write(text);
  }

  /** A forwarded child line. */
  line(text: string): void {
    this.write(`${redact(text)}\n`);
  }

  summary(): string {
    const seconds = Math.max((this.now() - this.startedAt) / 1000, 1e-3);
    const streams = new Set([...this.read.keys(), ...this.loaded.keys()]);
    const parts = [...streams].map((stream) => {
      const read = this.read.get(stream);
      const loaded = this.loaded.get(stream);
      const rate = Math.round((read ?? loaded ?? 0) / seconds).toLocaleString('en-US');
      const counts = [read === undefined ? '' : `${read.toLocaleString('en-US')} read`, loaded === undefined ? '' : `${loaded.toLocaleString('en-US')} loaded`];
      return `${stream} ${counts.filter(Boolean).join(', ')} (${rate} rows/s)`;
    });
    return parts.join('; ');
  }

  private tick(): void {
    if (!this.changed) return;
    this.changed = false;
    const text = this.summary();
    if (text === '') return;
    if (this.tty) {
      const width = (this.sink as { columns?: number }).columns ?? 120;
      this.status = `progress: ${text}`.slice(0, Math.max(width - 1, 20));
      this.sink.write(`\r\x1b[2K${this.status}`);
    } else {
      this.sink.write(`${new Date().toISOString()} INFO  tapline: progress: ${text}\n`);
    }
  }
}
