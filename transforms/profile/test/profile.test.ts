import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeProgramConformance, runProgram } from '@tapline/conformance';

const bin = fileURLToPath(new URL('../bin/transform-profile.js', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.jsonl`, import.meta.url));

describeProgramConformance({ name: 'transform-profile', bin, kind: 'transform' });

describe('transform-profile', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transform-profile-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function profile(name: string, config: Record<string, unknown>): Promise<{ stdout: string; stderr: string; code: number | null; outputDir: string }> {
    const outputDir = join(dir, `${name}-${Object.keys(config).join('-')}`);
    const configPath = join(dir, `${name}-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(configPath, JSON.stringify({ output_dir: outputDir, ...config }));
    const run = await runProgram(bin, { args: ['--config', configPath], stdinFile: fixture(name) });
    return { stdout: run.stdout, stderr: run.stderr, code: run.code, outputDir };
  }

  async function report(outputDir: string, stem: string): Promise<Record<string, any>> {
    return JSON.parse(await readFile(join(outputDir, `${stem}.json`), 'utf8')) as Record<string, any>;
  }

  it('passes every line through byte for byte, whatever the stream, type or spacing', async () => {
    const run = await profile('passthrough-mixed', {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(await readFile(fixture('passthrough-mixed'), 'utf8'));
    expect((await readdir(run.outputDir)).sort()).toEqual(['events.html', 'events.json', 'users.html', 'users.json']);
  });

  it('profiles only the listed streams and warns about a listed stream that never came', async () => {
    const run = await profile('passthrough-mixed', { streams: ['users', 'orders'] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(await readFile(fixture('passthrough-mixed'), 'utf8'));
    expect((await readdir(run.outputDir)).sort()).toEqual(['users.html', 'users.json']);
    expect(run.stderr).toMatch(/stream "orders" is listed in streams but never appeared/);
  });

  it('reports the statistics of a small dataset exactly', async () => {
    const run = await profile('small-dataset', {});
    expect(run.code, run.stderr).toBe(0);
    // "shop.items" is a safe file name as it is.
    const json = await report(run.outputDir, 'shop.items');
    expect(json.exact).toBe(true);
    expect(json.dataset).toMatchObject({
      row_count: 6,
      column_count: 5,
      duplicate_row_count: 1,
      complete_row_count: 4,
      total_null_value_count: 3,
      total_invalid_value_count: 1,
      empty_column_count: 0,
      is_timeseries: true,
      timeseries_index: ['day'],
      column_types: { x: 'number', price: 'number_with_decimals', color: 'category', email: 'email', day: 'datetime' },
    });
    // completeness = 1 - (3 nulls / 5 columns) / 6 rows; validity subtracts (1 invalid / 5) / 6.
    expect(json.dataset.completeness).toBeCloseTo(0.9, 12);
    expect(json.dataset.validity).toBeCloseTo(0.9 - 1 / 30, 12);

    const x = json.columns.x;
    expect(x).toMatchObject({ count: 6, count_distinct: 5, null_value_count: 0, mode: 100, quality: 'Good' });
    expect(x.mode_ratio).toBeCloseTo(2 / 6, 12);
    // pandas: mean 35, median 3.5, std (ddof 1) 50.35871324805669, skew 0.9665280170239214.
    expect(x.numeric.average).toBe(35);
    expect(x.numeric.median).toBe(3.5);
    expect(x.numeric.sum).toBe(210);
    expect(x.numeric.std).toBeCloseTo(50.35871324805669, 10);
    expect(x.numeric.skew).toBeCloseTo(0.9665280170239214, 10);
    expect(x.numeric.box_plot_data).toMatchObject({ min: 1, first_quartile: 2, median: 3.5, third_quartile: 100, max: 100, outliers: [] });
    expect(x.histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(6);

    const price = json.columns.price;
    expect(price).toMatchObject({ count: 4, null_value_count: 2, max_null_seq: 2, first_value_null: false });
    expect(price.numeric.average).toBe(2.75);
    expect(price.numeric.median).toBe(2.5);
    expect(price.numeric.std).toBeCloseTo(1.2583057392117916, 12);
    expect(price.numeric.skew).toBeCloseTo(1.1293381149712478, 10);

    expect(json.columns.color).toMatchObject({ count: 5, count_distinct: 3, null_value_count: 1, mode: 'red', max_null_seq: 1 });
    expect(json.columns.color.mode_ratio).toBe(0.5);
    expect(json.columns.color.value_counts).toEqual([
      { value: 'red', count: 3 },
      { value: 'blue', count: 1 },
      { value: 'green', count: 1 },
    ]);
    expect(json.columns.email).toMatchObject({ invalid_value_count: 1, invalid_values: ['not-an-email'] });
    expect(json.columns.email.email.domain_distribution).toEqual([
      { value: 'example.com', count: 4 },
      { value: 'sample.org', count: 1 },
    ]);
    expect(json.columns.day.datetime).toEqual({ min: '2024-01-01T00:00:00.000Z', max: '2024-01-05T00:00:00.000Z', median: '2024-01-04T00:00:00.000Z' });
  });

  it('beyond the sample keeps counts, nulls and moments exact and says what is estimated', async () => {
    const run = await profile('small-dataset', { sample_size: 4, max_tracked_values: 2 });
    expect(run.code, run.stderr).toBe(0);
    const json = await report(run.outputDir, 'shop.items');
    expect(json.exact).toBe(false);
    expect(json.sample_rows).toBe(4);
    expect(json.dataset).toMatchObject({ row_count: 6, complete_row_count: 4, total_null_value_count: 3 });
    expect(json.dataset.duplicate_row_count).toBe(1); // the distinct sketch is exact below 4096 rows
    const x = json.columns.x;
    expect(x).toMatchObject({ count: 6, count_distinct: 5, null_value_count: 0 });
    expect(x.numeric).toMatchObject({ average: 35, min: 1, max: 100, sum: 210 });
    expect(x.numeric.std).toBeCloseTo(50.35871324805669, 10);
    expect(x.estimated).toContain('count_distinct');
    expect(json.columns.price).toMatchObject({ null_value_count: 2, max_null_seq: 2 });
    expect(json.error_bounds.quantile_rank_error).toBeGreaterThan(0);
  });

  it('gives the statistics and histogram of values near the largest double, exactly and beyond the sample', async () => {
    // Beyond a sample of 3, the moments are the streaming accumulator's and the histogram the sketch's.
    for (const config of [{}, { sample_size: 3 }]) {
      const run = await profile('values-near-the-largest-double', config);
      expect(run.code, run.stderr).toBe(0);
      const reading = (await report(run.outputDir, 'sensors')).columns.reading;
      // -1e308, 0, 1e308, 1.7976931348623157e308 and a null: exact figures (checked with rationals), none lost to overflow.
      expect(reading.numeric).toMatchObject({ average: 4.4942328371557893e307, min: -1e308, max: 1.7976931348623157e308 });
      expect(reading.numeric.std).toBeCloseTo(1.2143277228365667e308, -295);
      expect(reading.numeric.skew).toBeCloseTo(-0.1928316550002754, 12);
      expect(reading.histogram.edges).toHaveLength(21);
      expect(reading.histogram.edges.every((edge: unknown) => typeof edge === 'number' && Number.isFinite(edge))).toBe(true);
      expect(reading.histogram.counts).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    }
  });

  it('counts integers beyond 2^53 by their digits: ids one apart stay distinct, top values keep every digit', async () => {
    for (const config of [{}, { sample_size: 2, max_tracked_values: 2 }]) {
      const run = await profile('big-integers', config);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(await readFile(fixture('big-integers'), 'utf8'));
      const text = await readFile(join(run.outputDir, 'ids.json'), 'utf8');
      const json = JSON.parse(text) as Record<string, any>;
      // Six ids 1 apart near 1.5e18 round to two doubles; counted exactly they are six.
      expect(json.columns.id).toMatchObject({ count: 6, count_distinct: 6, unique_value_rate: 1 });
      expect(json.dataset.duplicate_row_count).toBe(0);
      if (json.exact) {
        expect(text).toContain('"mode": 9007199254740993');
        expect(json.columns.ref.count_distinct).toBe(3);
        for (let id = 0; id < 6; id += 1) expect(text).toContain(`"value": 150000000000000000${id}`);
      }
    }
  });

  it('writes a self-contained HTML report that escapes values from the data', async () => {
    const run = await profile('passthrough-mixed', {});
    const html = await readFile(join(run.outputDir, 'users.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('O&#39;Brien &amp; &quot;sons&quot; ünïcödé');
    const small = await profile('small-dataset', {});
    const page = await readFile(join(small.outputDir, 'shop.items.html'), 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('aria-label="histogram"');
    expect(page).toContain('aria-label="box plot"');
    expect(page).toContain('aria-label="top values"');
    expect(page).toContain('time series');
  });

  it('fails on a malformed record of a profiled stream, after passing the lines before it', async () => {
    const input = join(dir, 'bad.jsonl');
    await writeFile(input, '{"type":"STATE","value":{"a":1}}\n{"type":"RECORD","stream":"s","record":{"id":1,}}\n');
    const run = await runProgram(bin, { args: [], stdinFile: input, cwd: dir });
    expect(run.code).toBe(6);
    expect(run.stdout).toBe('{"type":"STATE","value":{"a":1}}\n');
    expect(run.errLines.at(-1)).toMatch(/line 2/);
  });
});
