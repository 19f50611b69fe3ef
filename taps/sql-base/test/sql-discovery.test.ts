import { describe, expect, it } from 'vitest';
import { parsePositionValue, tableMatchesFilters, tableNameOf } from '../src/index.js';

describe('SQL tap helpers', () => {
  it('filters schemas and tables by glob, tables by name or schema.table', () => {
    const orders = { schema: 'sales', name: 'orders' };
    expect(tableMatchesFilters(orders, {})).toBe(true);
    expect(tableMatchesFilters(orders, { filter_schemas: ['sal*'] })).toBe(true);
    expect(tableMatchesFilters(orders, { filter_schemas: ['public'] })).toBe(false);
    expect(tableMatchesFilters(orders, { filter_tables: ['order?'] })).toBe(true);
    expect(tableMatchesFilters(orders, { filter_tables: ['sales.*'] })).toBe(true);
    expect(tableMatchesFilters(orders, { filter_tables: ['public.*', 'items'] })).toBe(false);
  });

  it('keeps integer bookmarks beyond 2^53 exact', () => {
    expect(parsePositionValue('[9223372036854775807]')).toBe('9223372036854775807');
    expect(parsePositionValue('[42]')).toBe(42);
    expect(parsePositionValue('["2024-01-01T00:00:00+00:00"]')).toBe('2024-01-01T00:00:00+00:00');
  });

  it('finds the table of a stream from schema-name metadata, or from a <schema>-<table> id', () => {
    expect(tableNameOf({ tap_stream_id: 'a-b-c', stream: 'a-b-c', schema: {}, metadata: [{ breadcrumb: [], metadata: { 'schema-name': 'a-b' } }] }))
      .toEqual({ schema: 'a-b', name: 'c' });
    expect(tableNameOf({ tap_stream_id: 'public-orders', stream: 'orders', schema: {}, metadata: [] })).toEqual({ schema: 'public', name: 'orders' });
  });
});
