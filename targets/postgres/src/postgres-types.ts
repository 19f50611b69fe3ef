/** Neutral column types to PostgreSQL types and back (see the type table in README.md). */
import type { ColumnType } from '@tapline/target-sql-base';

/**
 * Exact decimals become unconstrained `numeric`, which keeps every digit it is given (a declared
 * precision would round or reject). Strings become `text` whatever their maxLength: the runtime already
 * checks maxLength, and a length in the column would need DDL every time a tap raises it.
 */
export function postgresType(type: ColumnType): string {
  switch (type.kind) {
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double precision';
    case 'decimal':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'date-time':
      return 'timestamptz';
    case 'json':
      return 'jsonb';
    case 'string':
    case 'other':
      return type.native ?? 'text';
  }
}

/** An existing column's type (as `format_type` prints it) in neutral terms. */
export function neutralType(native: string): ColumnType {
  const base = native.replace(/\(.*?\)/, '').trim();
  const length = /^character(?: varying)?\((\d+)\)$/.exec(native)?.[1];
  switch (base) {
    case 'bigint':
    case 'integer':
    case 'smallint':
      return { kind: 'integer', native };
    case 'double precision':
    case 'real':
      return { kind: 'number', native };
    case 'numeric':
      return { kind: 'decimal', native };
    case 'text':
    case 'character varying':
    case 'character':
      return length === undefined ? { kind: 'string', native } : { kind: 'string', native, maxLength: Number(length) };
    case 'boolean':
      return { kind: 'boolean', native };
    case 'date':
      return { kind: 'date', native };
    case 'time without time zone':
    case 'time with time zone':
      return { kind: 'time', native };
    case 'timestamp with time zone':
    case 'timestamp without time zone':
      return { kind: 'date-time', native };
    case 'json':
    case 'jsonb':
      return { kind: 'json', native };
    default:
      return { kind: 'other', native };
  }
}

/** How an existing column's values convert when the column widens (`ALTER ... TYPE ... USING`). */
export function widenUsing(column: string, from: ColumnType, to: ColumnType): string {
  switch (to.kind) {
    case 'json':
      return `to_jsonb(${column})`;
    case 'decimal':
      // A double's text (extra_float_digits = 3) is its exact shortest form; a direct cast keeps 15 digits.
      return from.kind === 'number' ? `${column}::text::numeric` : `${column}::numeric`;
    case 'string':
      // float8 prints 2^53 as 9.007199254740992e+15; through numeric it prints every digit, no exponent.
      return from.kind === 'number' ? `${column}::text::numeric::text` : `${column}::text`;
    default:
      return `${column}::${postgresType(to)}`;
  }
}
