import { describe, expect, it } from 'vitest';
import { RecordValidationError, createRecordValidator, InvalidSchemaError, isMultipleOf, compareDecimals, isDateTime, isDate, isTime } from '../src/index.js';

describe('record validation', () => {
  const schema = {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      amount: { type: ['null', 'number'], multipleOf: 0.01 },
      price: { type: ['null', 'string'], format: 'singer.decimal' },
      at: { type: ['null', 'string'], format: 'date-time' },
      day: { type: ['null', 'string'], format: 'date' },
      clock: { type: ['null', 'string'], format: 'time' },
      extra: { type: 'string', inclusion: 'available', selected: true },
    },
  };
  const validate = createRecordValidator('orders', schema);

  it('accepts what real taps send', () => {
    expect(() =>
      validate({
        id: 1,
        amount: 0.07,
        price: '12345678901234567890123456789.123456789',
        at: '1850-03-01T12:00:00-00:17',
        day: '2024-02-29',
        clock: '24:00:00',
      }),
    ).not.toThrow();
    expect(() => validate({ id: 2, amount: 19.99, at: '2024-01-01T00:00:00', clock: '10:15:00.123+05:30' })).not.toThrow();
    expect(() => validate({ id: 3, at: '2024-06-01 10:00:00.123456Z', price: 'NaN' })).not.toThrow();
  });

  it('names stream, field and line on a type error', () => {
    try {
      validate({ id: 'seven' }, 42);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RecordValidationError);
      const e = error as RecordValidationError;
      expect(e.where).toMatchObject({ stream: 'orders', column: 'id', line: 42 });
      expect(e.message).toBe('value "seven" must be integer');
    }
  });

  it.each([
    [{ id: 1, amount: 0.001 }, 'amount', /not a multiple of 0.01/],
    [{ id: 1, day: '2023-02-29' }, 'day', /not a valid date/],
    [{ id: 1, at: '2024-01-01T25:00:00Z' }, 'at', /not a valid date-time/],
    [{ id: 1, at: '2024-01-01T10:00:00+99:00' }, 'at', /not a valid date-time/],
    [{ id: 1, clock: '10:61:00' }, 'clock', /not a valid time/],
    [{ id: 1, price: '12.3.4' }, 'price', /not a valid singer.decimal/],
  ])('rejects %j', (record, column, pattern) => {
    expect(() => validate(record)).toThrow(pattern);
    try {
      validate(record);
    } catch (error) {
      expect((error as RecordValidationError).where.column).toBe(column);
    }
  });

  it('reports a missing required field by name', () => {
    const strict = createRecordValidator('s', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
    expect(() => strict({})).toThrow('is required but missing');
  });

  it('rejects a schema ajv cannot compile', () => {
    expect(() => createRecordValidator('s', { type: 'object', properties: { a: { type: 'no-such-type' } } })).toThrow(InvalidSchemaError);
  });
});

describe('exact decimals', () => {
  it.each([
    [0.07, 0.01, true],
    [19.99, 0.01, true],
    [0.001, 0.01, false],
    [1e-9, 1e-9, true],
    [123456789.123456789, 1e-9, true],
    ['12345678901234567890123456789.123456789', '0.000000001', true],
    ['12345678901234567890123456789.1234567891', '0.000000001', false],
    [7.5, 0.5, true],
    [10, 3, false],
    [Infinity, 1, false],
  ])('isMultipleOf(%s, %s) is %s', (value, divisor, expected) => {
    expect(isMultipleOf(value, divisor)).toBe(expected);
  });

  it('compares decimals beyond float precision', () => {
    expect(compareDecimals('12345678901234567890.5', '12345678901234567890.4')).toBe(1);
    expect(compareDecimals('1e3', '1000.000')).toBe(0);
    expect(compareDecimals('-0.1', '0')).toBe(-1);
    expect(compareDecimals('abc', '1')).toBeUndefined();
  });
});

describe('formats', () => {
  it('checks calendars and clocks', () => {
    expect(isDate('1900-02-29')).toBe(false);
    expect(isDate('2000-02-29')).toBe(true);
    expect(isDate('0001-01-01')).toBe(true);
    expect(isDateTime('0001-01-01T00:00:00Z')).toBe(true);
    expect(isDateTime('2024-01-01')).toBe(false);
    expect(isTime('23:59:60')).toBe(true);
    expect(isTime('24:00:01')).toBe(false);
  });
});
