import { Logger } from '@tapline/protocol';
import { LazyRow, RecordEnvelope, RecordScanner } from '@tapline/transform-base';
import { describe, expect, it } from 'vitest';
import { planImpute, type ImputeParams } from '../src/impute-stage.js';

const schema = {
  type: 'SCHEMA' as const,
  stream: 's',
  schema: { type: 'object', properties: { id: { type: 'integer' }, note: { type: ['string', 'null'] }, score: { type: ['number', 'null'] } } },
  key_properties: ['id'],
};

/** A LazyRow over one RECORD line, scanned for `columns`. */
function rowOf(columns: readonly string[], line: string): LazyRow {
  const bytes = Buffer.from(line);
  const envelope = new RecordEnvelope();
  const scanner = new RecordScanner(columns);
  expect(envelope.read(bytes, 0, bytes.length) && scanner.scan(bytes, envelope.open, bytes.length)).toBe(true);
  const row = new LazyRow();
  row.reset(scanner, bytes);
  return row;
}

const decoded = (row: LazyRow, count: number): number => row.values.slice(0, count).filter((value) => typeof value !== 'symbol').length;

describe('transform-impute on rows decoded on demand', () => {
  it('drops incomplete rows and keeps complete ones without decoding a value', () => {
    const plan = planImpute(schema, { strategy: 'drop_row' }, { stream: 's', logger: new Logger({ level: 'error' }), line: 1, hasSavedParams: false });
    if (plan?.transformRow === undefined || plan.emitColumns === undefined) throw new Error('impute plans a drop_row stream with transformRow');
    const columns = plan.emitColumns();
    const complete = rowOf(columns, '{"type":"RECORD","stream":"s","record":{"id":1,"note":"a note","score":2.5}}');
    expect(plan.transformRow(complete, 2)).toBe(true);
    expect(decoded(complete, columns.length)).toBe(0);
    const gap = rowOf(columns, '{"type":"RECORD","stream":"s","record":{"id":2,"note":null,"score":3}}');
    expect(plan.transformRow(gap, 3)).toBe(false);
    expect(decoded(gap, columns.length)).toBe(0);
  });
});

const context = { stream: 's', logger: new Logger({ level: 'error' }), line: 1, hasSavedParams: false };

/** LazyRows over the RECORD lines of `records`, as the runtime hands them to observeRow. */
const rowsOf = (columns: readonly string[], records: Record<string, unknown>[]): LazyRow[] =>
  records.map((record) => rowOf(columns, JSON.stringify({ type: 'RECORD', stream: 's', record })));

const decodedValues = (rows: LazyRow[], count: number): number =>
  rows.reduce((sum, row) => sum + row.values.slice(0, count).filter((value) => typeof value !== 'symbol').length, 0);

describe('transform-impute auto in two passes', () => {
  it('drops incomplete rows decided on a first pass that decodes no value, and asks for no second pass', () => {
    const plan = planImpute(schema, {}, context);
    if (plan?.observeRow === undefined || plan.observeAgain === undefined || plan.columns === undefined) throw new Error('auto plans observe rows in two passes');
    // 8 of 10 rows complete: at least 70%, so incomplete rows are dropped whatever the columns hold.
    const records = Array.from({ length: 10 }, (_, i) => ({ id: i, note: i < 2 ? null : `n${i % 3}`, score: i * 1.5 }));
    const rows = rowsOf(plan.columns, records);
    rows.forEach((row, i) => plan.observeRow?.(row, i + 2));
    expect(decodedValues(rows, plan.columns.length)).toBe(0);
    expect(plan.observeAgain()).toBe(false);
    const params = plan.fit?.() as ImputeParams;
    expect(params.action).toBe('drop_rows');
    expect(plan.report()).toContain('auto: at least 70% of rows complete, incomplete rows dropped');
  });

  it('gathers column statistics on a second pass over the same rows when it goes column by column', () => {
    const plan = planImpute(schema, {}, context);
    if (plan?.observeRow === undefined || plan.observeAgain === undefined || plan.columns === undefined) throw new Error('auto plans observe rows in two passes');
    // Half the rows have a gap: per column. score: 3 nulls in 10 (within 0.3), no skew -> average 4;
    // note: 2 nulls, mode "b" in 5 of 8 values (ratio >= 0.4) -> mode.
    const scores = [1, null, 2, null, 3, 4, null, 5, 6, 7];
    const notes = ['a', 'b', 'b', 'c', null, 'b', 'b', null, 'a', 'b'];
    const records = scores.map((score, i) => ({ id: i, note: notes[i], score }));
    const first = rowsOf(plan.columns, records);
    first.forEach((row, i) => plan.observeRow?.(row, i + 2));
    expect(decodedValues(first, plan.columns.length)).toBe(0);
    expect(plan.observeAgain()).toBe(true);
    rowsOf(plan.columns, records).forEach((row, i) => plan.observeRow?.(row, i + 2));
    expect(plan.observeAgain()).toBe(false);
    const params = plan.fit?.() as ImputeParams;
    expect(params.action).toBe('per_column');
    expect(params.columns.score).toMatchObject({ strategy: 'fill', value: 4 });
    expect(params.columns.note).toMatchObject({ strategy: 'fill', value: 'b' });
  });

  it('keeps one pass when some column has a strategy of its own', () => {
    const plan = planImpute(schema, { columns: { score: 'median', note: 'auto' } }, context);
    expect(plan?.observeRow).toBeDefined();
    expect(plan?.observeAgain).toBeUndefined();
  });
});
