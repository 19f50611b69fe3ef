/**
 * Progress on stderr: per stream rows and rows/s from the record_count METRIC lines the programs print,
 * one status line redrawn in place on a terminal, an ordinary line every few seconds otherwise (an
 * orchestrator's log), and the summary at the end.
 */
import { Writable } from 'node:stream';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { executeTapline, parseRecordCount, ProgressBoard } from '@tapline/runner';
import { rowsUpTo, runTapline, tempDir, writePipeline, writeSource } from './helpers.js';

/** A stderr stand-in that records what is written, as a terminal (isTTY) or as a pipe. */
class Capture extends Writable {
  text = '';
  readonly columns = 200;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const metric = (stream: string, value: number) => `METRIC: ${JSON.stringify({ type: 'counter', metric: 'record_count', value, tags: { stream } })}`;

describe('progress board', () => {
  afterEach(() => vi.useRealTimers());

  it('reads record_count metrics in the forms Singer programs print them', () => {
    expect(parseRecordCount(metric('orders', 5))).toEqual({ stream: 'orders', value: 5 });
    expect(parseRecordCount(`INFO METRIC: {"type": "counter", "metric": "record_count", "value": 3, "tags": {"endpoint": "users"}}`)).toEqual({ stream: 'users', value: 3 });
    expect(parseRecordCount('{"level":"info","metric":{"type":"counter","metric":"record_count","value":9,"tags":{"stream":"a"}},"msg":"METRIC"}')).toEqual({ stream: 'a', value: 9 });
    expect(parseRecordCount('METRIC: {"type":"timer","metric":"http_request_duration","value":0.2}')).toBeUndefined();
    expect(parseRecordCount('progress: orders 1,000 rows')).toBeUndefined();
  });

  it('not on a terminal: a line every interval while rows move, none while nothing changes', () => {
    vi.useFakeTimers();
    let clock = 0;
    const sink = new Capture(false);
    const board = new ProgressBoard({ sink, intervalMs: 5000, now: () => clock });
    board.start();
    board.observe('tap', metric('orders', 1000));
    board.observe('target', metric('orders', 800));
    board.observe('transform', metric('orders', 999_999)); // a transform's counts are neither read nor loaded
    clock = 2000;
    vi.advanceTimersByTime(5000);
    board.observe('tap', metric('orders', 1000));
    board.observe('tap', metric('users', 50));
    clock = 4000;
    vi.advanceTimersByTime(5000);
    vi.advanceTimersByTime(5000); // nothing new: no line
    board.line('[target] a forwarded line');
    board.stop();
    const lines = sink.text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\S+ INFO  tapline: progress: orders 1,000 read, 800 loaded \(500 rows\/s\)$/);
    expect(lines[1]).toMatch(/^\S+ INFO  tapline: progress: orders 2,000 read, 800 loaded \(500 rows\/s\); users 50 read \(13 rows\/s\)$/);
    expect(lines[2]).toBe('[target] a forwarded line');
    expect(sink.text).not.toContain('\r');
    expect([...board.rows()]).toEqual([['orders', 800]]);
  });

  it('on a terminal: one status line redrawn in place, forwarded lines written above it, erased at the end', () => {
    vi.useFakeTimers();
    let clock = 0;
    const sink = new Capture(true);
    const board = new ProgressBoard({ sink, intervalMs: 500, now: () => clock });
    board.start();
    board.observe('tap', metric('orders', 100));
    clock = 1000;
    vi.advanceTimersByTime(500);
    expect(sink.text).toBe('\r\x1b[2Kprogress: orders 100 read (100 rows/s)');
    board.line('[tap] syncing orders');
    expect(sink.text.endsWith('\r\x1b[2K[tap] syncing orders\nprogress: orders 100 read (100 rows/s)')).toBe(true);
    board.observe('tap', metric('orders', 300));
    clock = 2000;
    vi.advanceTimersByTime(500);
    expect(sink.text.endsWith('\r\x1b[2Kprogress: orders 400 read (200 rows/s)')).toBe(true);
    board.stop();
    expect(sink.text.endsWith('\r\x1b[2K')).toBe(true);
  });
});

describe('tapline run: progress', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('progress');
    await writeSource(dir, 'items', rowsUpTo(600));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('in an orchestrator\'s log (stderr not a terminal): progress lines during the run, the summary at the end', async () => {
    // A STATE (and a metric) every 100 rows, 150 ms apart: about a second of rows.
    const pipeline = await writePipeline(dir, { tapOptions: { delay_ms: 150 } });
    const run = await runTapline(['run', pipeline], { env: { TAPLINE_PROGRESS_SECONDS: '0.2' } });
    expect(run.code, run.stderr).toBe(0);
    const progress = run.errLines.filter((line) => / INFO {2}tapline: progress: items [\d,]+ read/.test(line));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const counts = progress.map((line) => Number(/items ([\d,]+) read/.exec(line)![1]!.replace(/,/g, '')));
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBeLessThanOrEqual(600);
    expect(progress[0]).toMatch(/\([\d,]+ rows\/s\)/);
    expect(run.lastLine).toMatch(/pipeline "items" done in [\d.]+ s: 1 stream, 600 rows/);
  });

  it('on a terminal: the status line is redrawn in place and gone when the summary is written', async () => {
    const pipeline = await writePipeline(dir, { tapOptions: { delay_ms: 100 } });
    const stderr = new Capture(true);
    const code = await executeTapline(['run', pipeline], { stderr, stdout: { write: () => true }, env: { ...process.env, TAPLINE_LOG_LEVEL: 'info', TAPLINE_PROGRESS_SECONDS: '0.1' } });
    expect(code, stderr.text).toBe(0);
    expect(stderr.text).toMatch(/\r\x1b\[2Kprogress: items [\d,]+ read/);
    // What the terminal shows on each line: the text after the last erase. A status that was not erased
    // before the next line would stay in front of it.
    const visible = stderr.text.split('\n').map((line) => line.split('\r\x1b[2K').at(-1)!);
    expect(visible.filter((line) => line.includes('progress:'))).toEqual([]);
    expect(visible.at(-1)).toBe('');
    expect(visible.at(-2)).toMatch(/^\S+ INFO {2}tapline: pipeline "items" done in [\d.]+ s: 1 stream, 600 rows/);
  });
});
