/**
 * MySQL types as JSON Schema, and how each value the driver returns (the server's text, a number, or a
 * Buffer for binary columns) becomes the JSON text of a record field.
 */
import type { JsonSchema } from '@tapline/protocol';
import { withNull, type ColumnType, type SqlColumn } from '@tapline/tap-sql-base';

/** What introspection learns about a column (information_schema.COLUMNS plus JSON checks). */
export interface MysqlTypeInfo {
  /** DATA_TYPE: `int`, `decimal`, `varchar`, `enum`, ... */
  dataType: string;
  /** COLUMN_TYPE: `int(10) unsigned`, `enum('a','b')`, `tinyint(1)`. */
  columnType: string;
  maxLength?: number;
  /** MariaDB's JSON is LONGTEXT guarded by CHECK (json_valid(column)). */
  json: boolean;
  tinyint1AsBoolean: boolean;
}

/** How a driver value becomes JSON text; never called with null. */
export type Render = (value: unknown) => string;

const ANY_JSON: JsonSchema = { type: ['null', 'object', 'array', 'string', 'number', 'boolean'] };

const INTEGER_RANGES: Record<string, [string, string, string]> = {
  // signed min, signed max, unsigned max
  tinyint: ['-128', '127', '255'],
  smallint: ['-32768', '32767', '65535'],
  mediumint: ['-8388608', '8388607', '16777215'],
  int: ['-2147483648', '2147483647', '4294967295'],
  bigint: ['-9223372036854775808', '9223372036854775807', '18446744073709551615'],
};

/** The labels of `enum('a','b')` or `set('a','b')`, quotes undone. */
export function parseLabels(columnType: string): string[] {
  const inner = columnType.slice(columnType.indexOf('(') + 1, columnType.lastIndexOf(')'));
  const labels: string[] = [];
  const pattern = /'((?:[^'\\]|''|\\.)*)'/g;
  for (let m = pattern.exec(inner); m !== null; m = pattern.exec(inner)) labels.push((m[1] ?? '').replace(/''/g, "'").replace(/\\(.)/g, '$1'));
  return labels;
}

const asString: Render = (value) => JSON.stringify(typeof value === 'string' ? value : String(value));
/** Integers, floats and exact BIGINT text: the server's digits are already JSON. */
const asNumber: Render = (value) => String(value);
const asBase64: Render = (value) => `"${(value as Buffer).toString('base64')}"`;
/** A JSON document as stored, compacted: JSON strings cannot hold raw line breaks, so every one is whitespace. */
const asJson: Render = (value) => {
  const text = typeof value === 'string' ? value : String(value);
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text;
};
/** `12:00:00.500000` as `12:00:00.5`, `12:00:00.000000` as `12:00:00`: the value, without a column's padding. */
function trimFraction(text: string): string {
  const dot = text.lastIndexOf('.');
  if (dot < 0 || !text.endsWith('0')) return text;
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end -= 1;
  return text.slice(0, end === dot + 1 ? dot : end);
}
/** Zero dates (`0000-00-00`, allowed by lax sql_modes) are no date at all. */
const asDate: Render = (value) => (String(value).startsWith('0000-00-00') ? 'null' : `"${String(value)}"`);
const asDatetime: Render = (value) => (String(value).startsWith('0000-00-00') ? 'null' : `"${trimFraction(String(value)).replace(' ', 'T')}"`);
/** TIMESTAMP is an instant, read in the session zone, which is always UTC. */
const asTimestamp: Render = (value) => (String(value).startsWith('0000-00-00') ? 'null' : `"${trimFraction(String(value)).replace(' ', 'T')}+00:00"`);
const asTime: Render = (value) => `"${trimFraction(String(value))}"`;

interface MappedType {
  schema: JsonSchema;
  orderable: boolean;
  render: Render;
}

/**
 * The JSON Schema of a column and how its values render. Text types are not orderable on purpose: the
 * server orders them by collation and bookmarks compare by code unit (see tap-postgres).
 */
export function mysqlMappedType(info: MysqlTypeInfo): MappedType | undefined {
  const type = info.dataType.toLowerCase();
  const unsigned = /\bunsigned\b/i.test(info.columnType);
  if (info.json || type === 'json') return { schema: ANY_JSON, orderable: false, render: asJson };
  if (type === 'tinyint' && /^tinyint\(1\)/i.test(info.columnType) && info.tinyint1AsBoolean) {
    return { schema: { type: 'boolean' }, orderable: false, render: (value) => (Number(value) === 0 ? 'false' : 'true') };
  }
  const range = INTEGER_RANGES[type];
  if (range !== undefined) {
    const [min, max, umax] = range;
    // Bounds beyond 2^53 stay out of the schema: a JSON parser would round them.
    const bound = (text: string) => (Number.isSafeInteger(Number(text)) ? Number(text) : undefined);
    const minimum = unsigned ? 0 : bound(min);
    const maximum = bound(unsigned ? umax : max);
    return { schema: { type: 'integer', ...(minimum === undefined ? {} : { minimum }), ...(maximum === undefined ? {} : { maximum }) }, orderable: true, render: asNumber };
  }
  switch (type) {
    case 'year':
      return { schema: { type: 'integer', minimum: 1901, maximum: 2155 }, orderable: true, render: asNumber };
    case 'decimal':
    case 'numeric':
      return { schema: { type: 'string', format: 'singer.decimal' }, orderable: true, render: (value) => `"${String(value)}"` };
    case 'float':
    case 'double':
    case 'real':
      return { schema: { type: 'number' }, orderable: true, render: asNumber };
    case 'bit': {
      const width = Number(/\((\d+)\)/.exec(info.columnType)?.[1] ?? 1);
      return {
        schema: { type: 'string', pattern: `^[01]{${width}}$` },
        orderable: false,
        render: (value) => {
          const buffer = value as Buffer;
          let bits = '';
          for (const byte of buffer) bits += byte.toString(2).padStart(8, '0');
          return `"${bits.slice(-width).padStart(width, '0')}"`;
        },
      };
    }
    case 'char':
    case 'varchar':
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
      return { schema: { type: 'string', ...(info.maxLength === undefined || info.maxLength > 1_000_000 ? {} : { maxLength: info.maxLength }) }, orderable: false, render: asString };
    case 'enum':
      return { schema: { type: 'string', enum: parseLabels(info.columnType) }, orderable: false, render: asString };
    case 'set':
      return {
        schema: { type: 'array', items: { type: 'string', enum: parseLabels(info.columnType) } },
        orderable: false,
        render: (value) => (value === '' ? '[]' : JSON.stringify(String(value).split(','))),
      };
    case 'date':
      return { schema: { type: 'string', format: 'date' }, orderable: true, render: asDate };
    case 'datetime':
      return { schema: { type: 'string', format: 'date-time' }, orderable: true, render: asDatetime };
    case 'timestamp':
      return { schema: { type: 'string', format: 'date-time' }, orderable: true, render: asTimestamp };
    case 'time':
      return { schema: { type: 'string', format: 'time' }, orderable: false, render: asTime };
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return { schema: { type: 'string', contentEncoding: 'base64' }, orderable: false, render: asBase64 };
    default:
      return undefined;
  }
}

export function typeInfoOf(column: SqlColumn): MysqlTypeInfo {
  return column.detail as MysqlTypeInfo;
}

export function mysqlColumnType(column: SqlColumn): ColumnType | undefined {
  const mapped = mysqlMappedType(typeInfoOf(column));
  if (mapped === undefined) return undefined;
  return { schema: column.nullable ? withNull(mapped.schema) : mapped.schema, orderable: mapped.orderable };
}

/** A driver value as database text, for a FULL_TABLE resume point (binary keys as base64). */
export function positionText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return String(value);
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * A literal of the column's type from a resume point (database text) or a bookmark (a record's value).
 * Numbers go unquoted so DECIMAL and BIGINT compare exactly (a quoted number would compare as a double).
 */
export function literalFor(column: SqlColumn, value: unknown, quote: (text: string) => string): string {
  const info = typeInfoOf(column);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const type = info.dataType.toLowerCase();
  if (/blob|binary/.test(type)) return `FROM_BASE64(${quote(text)})`;
  if (PLAIN_NUMBER.test(text) && (INTEGER_RANGES[type] !== undefined || ['decimal', 'numeric', 'year'].includes(type))) return text;
  if (['float', 'double', 'real'].includes(type) && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text)) return text;
  // Bookmarks of TIMESTAMP columns carry the session zone's offset; the session is UTC, so it goes.
  if (type === 'timestamp' || type === 'datetime') return quote(text.replace(/(\+00:00|Z)$/, ''));
  return quote(text);
}
