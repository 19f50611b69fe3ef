import { Logger } from '@tapline/protocol';
import { LazyRow, RecordEnvelope, RecordScanner } from '@tapline/transform-base';
import { describe, expect, it } from 'vitest';
import { planImpute } from '../src/impute-stage.js';

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
