/** Neutral column types to MySQL types and back (see the type table in README.md). */
import type { ColumnType } from '@tapline/target-sql-base';

/** DECIMAL's widest form: 65 digits, 30 after the point. A value that needs more is rejected, never rounded. */
export const DECIMAL_TYPE = 'decimal(65,30)';
export const DECIMAL_INTEGER_DIGITS = 35;
export const DECIMAL_SCALE = 30;
/** Key columns must be indexable: TEXT cannot be, and 255 utf8mb4 characters keep three keys under InnoDB's 3072-byte limit. */
export const KEY_STRING_TYPE = 'varchar(255)';

/**
 * Strings become LONGTEXT whatever their maxLength (the runtime checks maxLength, and VARCHARs count
 * against MySQL's 65,535-byte row limit); key strings VARCHAR(255). Date-times become DATETIME(6) holding
 * UTC: MySQL has no type that keeps an offset, and TIMESTAMP ends in 2038.
 */
export function mysqlType(type: ColumnType, key = false): string {
  switch (type.kind) {
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double';
    case 'decimal':
      return DECIMAL_TYPE;
    case 'boolean':
      return 'tinyint(1)';
    case 'date':
      return 'date';
    case 'time':
      return 'time(6)';
    case 'date-time':
      return 'datetime(6)';
    case 'json':
      return 'json';
    case 'string':
      return key ? KEY_STRING_TYPE : (type.native ?? 'longtext');
    case 'other':
      return type.native ?? 'longtext';
  }
}

/** An existing column (information_schema COLUMN_TYPE, and whether a json_valid CHECK guards it) in neutral terms. */
export function neutralType(native: string, isJson: boolean): ColumnType {
  const type = native.toLowerCase();
  if (isJson || type === 'json') return { kind: 'json', native };
  if (type === 'tinyint(1)' || type === 'boolean') return { kind: 'boolean', native };
  const base = /^[a-z]+/.exec(type)?.[0] ?? type;
  const length = /^(?:var)?char\((\d+)\)/.exec(type)?.[1];
  switch (base) {
    case 'tinyint':
    case 'smallint':
    case 'mediumint':
    case 'int':
    case 'integer':
    case 'bigint':
      return { kind: 'integer', native };
    case 'double':
    case 'float':
    case 'real':
      return { kind: 'number', native };
    case 'decimal':
    case 'numeric':
      return { kind: 'decimal', native };
    case 'char':
    case 'varchar':
      return length === undefined ? { kind: 'string', native } : { kind: 'string', native, maxLength: Number(length) };
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
      return { kind: 'string', native };
    case 'date':
      return { kind: 'date', native };
    case 'time':
      return { kind: 'time', native };
    case 'datetime':
    case 'timestamp':
      return { kind: 'date-time', native };
    default:
      return { kind: 'other', native };
  }
}

/**
 * The statements that widen a column. ALTER ... MODIFY converts numbers and text itself; a JSON column
 * checks that every value is a JSON document, so text values are quoted into JSON strings first.
 */
export function widenStatements(table: string, column: string, definition: string, from: ColumnType, to: ColumnType): string[] {
  if (to.kind === 'string') {
    const statements = [`ALTER TABLE ${table} MODIFY COLUMN ${column} ${definition}`];
    // A DOUBLE becomes text like 9.007199254740991e15 and a DECIMAL(65,30) keeps its 30 zeros; both are
    // rewritten in plain digits (exactly, through DECIMAL from the text) the way the values were sent.
    const plain = (value: string) => `TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM ${value}))`;
    if (from.kind === 'number') {
      statements.push(`UPDATE ${table} SET ${column} = ${plain(`CAST(${column} AS DECIMAL(65,30))`)} WHERE ${column} REGEXP '^-?[0-9.]+e[+]?[0-9]+$' AND ABS(CAST(${column} AS DOUBLE)) < 1e34`);
    } else if (from.kind === 'decimal') {
      statements.push(`UPDATE ${table} SET ${column} = ${plain(column)} WHERE ${column} LIKE '%.%'`);
    }
    return statements;
  }
  if (to.kind !== 'json') return [`ALTER TABLE ${table} MODIFY COLUMN ${column} ${definition}`];
  const statements = [`ALTER TABLE ${table} MODIFY COLUMN ${column} longtext`];
  if (from.kind === 'boolean') statements.push(`UPDATE ${table} SET ${column} = IF(${column} = '0', 'false', 'true') WHERE ${column} IS NOT NULL`);
  else if (from.kind !== 'integer' && from.kind !== 'number' && from.kind !== 'decimal') {
    statements.push(`UPDATE ${table} SET ${column} = JSON_QUOTE(${column}) WHERE ${column} IS NOT NULL`);
  }
  statements.push(`ALTER TABLE ${table} MODIFY COLUMN ${column} ${definition}`);
  return statements;
}
