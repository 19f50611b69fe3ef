import { describe, expect, it } from 'vitest';
import { ConfigurationError, DataError, InterruptedError, Logger, ProgressReporter, clearSecrets, exitCodeOf, formatErrorLine, registerSecret } from '../src/index.js';

function memorySink(): { lines: string[]; write(text: string): void } {
  const lines: string[] = [];
  return { lines, write: (text: string) => void lines.push(...text.trimEnd().split('\n')) };
}

describe('error taxonomy', () => {
  it('renders one line with where, what, cause and hint', () => {
    const error = new DataError('value "x" must be integer', { stream: 'orders', line: 12, column: 'id', hint: 'Fix the source' });
    expect(formatErrorLine(error, 'target-jsonl')).toBe('target-jsonl: data error: line 12, stream "orders", column "id": value "x" must be integer. Fix the source');
    const wrapped = new ConfigurationError('cannot read config', { cause: new Error('ENOENT:\nno such file') });
    expect(formatErrorLine(wrapped)).toBe('configuration error: cannot read config (cause: ENOENT: no such file)');
  });

  it('maps kinds to exit codes', () => {
    expect(exitCodeOf(new ConfigurationError('x'))).toBe(2);
    expect(exitCodeOf(new DataError('x'))).toBe(6);
    expect(exitCodeOf(new InterruptedError('SIGTERM'))).toBe(143);
    expect(exitCodeOf(new InterruptedError('SIGINT'))).toBe(130);
    expect(exitCodeOf(new Error('bug'))).toBe(1);
  });
});

describe('Logger', () => {
  const now = () => new Date('2026-01-02T03:04:05.000Z');

  it('writes levelled text lines and filters below its level', () => {
    const sink = memorySink();
    const logger = new Logger({ program: 'tap-x', level: 'info', sink, now });
    logger.debug('hidden');
    logger.info('started', { streams: 2 });
    logger.warnOnce('k', 'careful');
    logger.warnOnce('k', 'careful');
    expect(sink.lines).toEqual(['2026-01-02T03:04:05.000Z INFO  tap-x: started streams=2', '2026-01-02T03:04:05.000Z WARN  tap-x: careful']);
  });

  it('writes JSON lines and Singer metric lines', () => {
    const sink = memorySink();
    const logger = new Logger({ program: 'tap-x', format: 'json', sink, now });
    logger.info('hello', { a: 1 });
    expect(JSON.parse(sink.lines[0]!)).toEqual({ time: '2026-01-02T03:04:05.000Z', level: 'info', program: 'tap-x', message: 'hello', a: 1 });
    const text = memorySink();
    new Logger({ program: 'tap-x', sink: text }).metric('counter', 'record_count', 5, { stream: 's' });
    expect(text.lines).toEqual(['METRIC: {"type":"counter","metric":"record_count","value":5,"tags":{"stream":"s"}}']);
  });

  it('never prints a registered secret', () => {
    clearSecrets();
    registerSecret('hunter2-pass');
    const sink = memorySink();
    new Logger({ program: 'p', sink }).error('login failed for postgres://u:hunter2-pass@host and "hunter2-pass"');
    expect(sink.lines[0]).not.toContain('hunter2');
    expect(sink.lines[0]).toContain('********');
    clearSecrets();
  });

  it('reports progress at most every interval, with per-stream counts and metrics', () => {
    const sink = memorySink();
    let clock = 0;
    const progress = new ProgressReporter(new Logger({ program: 'p', sink, now }), { intervalMs: 5000, now: () => clock });
    for (let i = 0; i < 2048; i += 1) progress.count('orders');
    expect(sink.lines).toHaveLength(0);
    clock = 6000;
    for (let i = 0; i < 1024; i += 1) progress.count('orders');
    expect(sink.lines).toEqual([
      'METRIC: {"type":"counter","metric":"record_count","value":3072,"tags":{"stream":"orders"}}',
      '2026-01-02T03:04:05.000Z INFO  p: progress: orders 3,072 rows (512 rows/s); total 3,072 rows in 6.0 s',
    ]);
  });
});
