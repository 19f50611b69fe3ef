import { describe, expect, it } from 'vitest';
import { decimalSpecOf, decimalType, fitsDecimal, neutralType } from '../src/duckdb-types.js';

describe('target-duckdb type mapping', () => {
  it('reads the scale of an exact decimal from scale_precision or multipleOf', () => {
    expect(decimalSpecOf({ type: ['null', 'string'], format: 'singer.decimal', additionalProperties: { scale_precision: '(12,2)' } })).toEqual({ precision: 12, scale: 2 });
    expect(decimalSpecOf({ type: 'string', format: 'singer.decimal' })).toEqual({});
    expect(decimalSpecOf({ type: ['null', 'number'], multipleOf: 1e-9 })).toEqual({ scale: 9 });
    expect(decimalSpecOf({ type: 'number', multipleOf: 0.25 })).toEqual({ scale: 2 });
    expect(decimalSpecOf({ anyOf: [{ type: 'null' }, { type: 'string', format: 'singer.decimal' }] })).toEqual({});
    expect(decimalSpecOf({ type: 'number' })).toBeUndefined();
  });

  it('maps a decimal to DECIMAL(38,s), or VARCHAR beyond 38 digits', () => {
    expect(decimalType({ precision: 12, scale: 2 })).toBe('DECIMAL(38,2)');
    expect(decimalType({})).toBe('DECIMAL(38,9)');
    expect(decimalType({ precision: 39, scale: 0 })).toBe('VARCHAR');
  });

  it('decides exactly whether a value fits DECIMAL(p,s)', () => {
    expect(fitsDecimal('99999999999999999999999999999.999999999', 38, 9)).toBe(true);
    expect(fitsDecimal('999999999999999999999999999999', 38, 9)).toBe(false);
    expect(fitsDecimal('0.0000000001', 38, 9)).toBe(false);
    expect(fitsDecimal('1.5000000000000', 38, 9)).toBe(true);
    expect(fitsDecimal('-0.000000001', 38, 9)).toBe(true);
    expect(fitsDecimal(1e-7, 38, 9)).toBe(true);
    expect(fitsDecimal(1e-10, 38, 9)).toBe(false);
    expect(fitsDecimal('1.5e3', 18, 2)).toBe(true);
    expect(fitsDecimal('NaN', 38, 9)).toBe(false);
    expect(fitsDecimal(Number.POSITIVE_INFINITY, 38, 9)).toBe(false);
  });

  it('reads existing DuckDB column types back', () => {
    expect(neutralType('DECIMAL(38,9)')).toEqual({ kind: 'decimal', native: 'DECIMAL(38,9)' });
    expect(neutralType('TIMESTAMP WITH TIME ZONE').kind).toBe('date-time');
    expect(neutralType('HUGEINT').kind).toBe('integer');
    expect(neutralType('JSON').kind).toBe('json');
    expect(neutralType('UUID')).toEqual({ kind: 'other', native: 'UUID' });
  });
});
