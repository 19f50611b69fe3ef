import { describe, expect, it } from 'vitest';
import type { PendingRecord } from '@tapline/target-base';
import { columnTypeFor, identifierFor, latestPerKey, loadMethodFor, planChanges, planTable, widenedType, type ExistingTable } from '../src/index.js';

describe('columnTypeFor', () => {
  it('makes a float that carries NaN and infinities as strings a float column where the destination holds them, text elsewhere', () => {
    const float = { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }, { type: 'null' }] };
    expect(columnTypeFor(float, { nonFiniteFloats: true })).toEqual({ kind: 'number' });
    expect(columnTypeFor(float)).toEqual({ kind: 'string' });
    // Any other string in the union still makes it text.
    expect(columnTypeFor({ anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'n/a'] }] }, { nonFiniteFloats: true })).toEqual({ kind: 'string' });
  });

  it('maps JSON Schema to neutral column types', () => {
    expect(columnTypeFor({ type: 'integer' })).toEqual({ kind: 'integer' });
    expect(columnTypeFor({ type: ['null', 'number'] })).toEqual({ kind: 'number' });
    expect(columnTypeFor({ type: ['null', 'number'], multipleOf: 0.01 })).toEqual({ kind: 'decimal' });
    expect(columnTypeFor({ type: 'string', format: 'singer.decimal' })).toEqual({ kind: 'decimal' });
    expect(columnTypeFor({ type: 'string', maxLength: 32 })).toEqual({ kind: 'string', maxLength: 32 });
    expect(columnTypeFor({ type: 'string', format: 'date-time' })).toEqual({ kind: 'date-time' });
    expect(columnTypeFor({ type: 'string', format: 'date' })).toEqual({ kind: 'date' });
    expect(columnTypeFor({ type: 'string', format: 'time' })).toEqual({ kind: 'time' });
    expect(columnTypeFor({ type: 'boolean' })).toEqual({ kind: 'boolean' });
    expect(columnTypeFor({ type: ['null', 'object'] })).toEqual({ kind: 'json' });
    expect(columnTypeFor({ type: 'array', items: { type: 'string' } })).toEqual({ kind: 'json' });
    expect(columnTypeFor({})).toEqual({ kind: 'json' });
  });

  it('resolves unions to the narrowest type that holds every branch', () => {
    expect(columnTypeFor({ type: ['null', 'integer', 'string'] })).toEqual({ kind: 'string' });
    expect(columnTypeFor({ type: ['integer', 'number'] })).toEqual({ kind: 'number' });
    expect(columnTypeFor({ anyOf: [{ type: 'integer' }, { type: 'string', format: 'singer.decimal' }] })).toEqual({ kind: 'decimal' });
    expect(columnTypeFor({ anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] })).toEqual({ kind: 'date-time' });
    expect(columnTypeFor({ anyOf: [{ type: 'string' }, { type: 'object' }] })).toEqual({ kind: 'json' });
    expect(columnTypeFor({ type: ['boolean', 'integer'] })).toEqual({ kind: 'string' });
  });
});

describe('widenedType', () => {
  it('widens integer -> number -> decimal/string and anything -> json, never narrows', () => {
    expect(widenedType({ kind: 'integer' }, { kind: 'number' })).toEqual({ kind: 'number' });
    expect(widenedType({ kind: 'number' }, { kind: 'decimal' })).toEqual({ kind: 'decimal' });
    expect(widenedType({ kind: 'number' }, { kind: 'string' })).toEqual({ kind: 'string' });
    expect(widenedType({ kind: 'date' }, { kind: 'json' })).toEqual({ kind: 'json' });
    expect(widenedType({ kind: 'number' }, { kind: 'integer' })).toBeUndefined();
    expect(widenedType({ kind: 'string' }, { kind: 'integer' })).toBeUndefined();
    expect(widenedType({ kind: 'string', maxLength: 5 }, { kind: 'string' })).toBeUndefined();
    expect(widenedType({ kind: 'json' }, { kind: 'string' })).toBeUndefined();
    expect(widenedType({ kind: 'other', native: 'uuid' }, { kind: 'integer' })).toBeUndefined();
  });
});

describe('identifierFor', () => {
  it('keeps names that fit and cuts long ones with a hash so they never collide', () => {
    expect(identifierFor('select "x"', 63)).toBe('select "x"');
    const shared = 'x'.repeat(70);
    const a = identifierFor(`${shared}a`, 63);
    const b = identifierFor(`${shared}b`, 63);
    expect(a).not.toBe(b);
    expect(Buffer.byteLength(a)).toBe(63);
    expect(identifierFor(`${shared}a`, 63)).toBe(a);
    const accented = identifierFor('é'.repeat(40), 63);
    expect(Buffer.byteLength(accented)).toBeLessThanOrEqual(63);
    expect(accented.startsWith('é'.repeat(27))).toBe(true);
  });
});

describe('planTable and planChanges', () => {
  const message = {
    type: 'SCHEMA' as const,
    stream: 'users',
    schema: { type: 'object', properties: { id: { type: 'integer' }, score: { type: ['null', 'number'] }, tag: { type: ['null', 'string'] } } },
    key_properties: ['id'],
  };
  const plan = planTable(message, { namespace: 'public', maxIdentifierBytes: 63, metadata: ['_sdc_table_version'] });

  it('plans key columns NOT NULL, everything else nullable, metadata after the properties', () => {
    expect(plan.ref).toEqual({ schema: 'public', table: 'users' });
    expect(plan.keys).toEqual(['id']);
    expect(plan.columns.map((c) => [c.name, c.type.kind, c.nullable])).toEqual([
      ['id', 'integer', false],
      ['score', 'number', true],
      ['tag', 'string', true],
      ['_sdc_table_version', 'integer', true],
    ]);
    expect(planChanges(plan, undefined, { primaryKey: true }).create?.primaryKey).toEqual(['id']);
  });

  it('adds missing columns and widens narrower ones; columns the schema lacks are left alone', () => {
    const existing: ExistingTable = {
      columns: new Map([
        ['id', { name: 'id', type: { kind: 'integer' }, nullable: false }],
        ['score', { name: 'score', type: { kind: 'integer' }, nullable: true }],
        ['old', { name: 'old', type: { kind: 'string' }, nullable: true }],
      ]),
      uniqueKeys: [['id']],
    };
    const changes = planChanges(plan, existing, { primaryKey: true });
    expect(changes.create).toBeUndefined();
    expect(changes.add.map((c) => c.name)).toEqual(['tag', '_sdc_table_version']);
    expect(changes.widen.map((w) => [w.column.name, w.from.kind, w.to.kind])).toEqual([['score', 'integer', 'number']]);
  });
});

describe('load methods', () => {
  it('upsert needs keys; the default follows the keys', () => {
    expect(loadMethodFor({}, ['id'])).toBe('upsert');
    expect(loadMethodFor({}, [])).toBe('append');
    expect(loadMethodFor({ load_method: 'upsert' }, [])).toBe('append');
    expect(loadMethodFor({ load_method: 'overwrite' }, [])).toBe('overwrite');
  });

  it('latestPerKey keeps the last record per key, in arrival order', () => {
    const pending = (id: number, name: string, sequence: number): PendingRecord => ({ record: { id, name }, version: undefined, timeExtracted: undefined, receivedAt: 0, line: sequence, sequence });
    const records = [pending(1, 'a', 1), pending(2, 'b', 2), pending(1, 'c', 3), pending(3, 'd', 4), pending(2, 'e', 5)];
    const key = { name: 'id', property: 'id', type: { kind: 'integer' as const }, read: (p: PendingRecord) => p.record.id };
    expect(latestPerKey(records, [key]).map((p) => p.record.name)).toEqual(['c', 'd', 'e']);
    // Keys in increasing order (a FULL_TABLE sync) have no repeats: all records stay.
    const ordered = [pending(1, 'a', 1), pending(2, 'b', 2), pending(5, 'c', 3)];
    expect(latestPerKey(ordered, [key]).map((p) => p.record.name)).toEqual(['a', 'b', 'c']);
    // A repeat right after the increasing part is still caught.
    expect(latestPerKey([...ordered, pending(5, 'd', 4)], [key]).map((p) => p.record.name)).toEqual(['a', 'b', 'd']);
  });
});
