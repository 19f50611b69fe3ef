/**
 * From a cell's text to the JSON value its property's schema asks for. Inferred columns take the fast
 * path (the text is already canonical JSON); a schema written by hand gets the lenient readings a person
 * expects (`+5`, `007`, `yes`), still exact: integers of any size keep every digit.
 */
import { isDate, isDateTime, isDecimalText, isTime, schemaTypes, type JsonSchema } from '@tapline/protocol';

/** JSON text for the cell, or undefined when the text is not a value of the schema. */
export type CellConverter = (text: string) => string | undefined;

const CANONICAL_INTEGER = /^-?(?:0|[1-9]\d*)$/;
const LENIENT_INTEGER = /^[+-]?\d+$/;
const CANONICAL_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LENIENT_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

const FORMAT_CHECKS: Record<string, (text: string) => boolean> = {
  date: isDate,
  'date-time': isDateTime,
  time: isTime,
  'singer.decimal': isDecimalText,
};

// Characters JSON.stringify would escape (control characters, quote, backslash, surrogates).
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** A JSON string literal; most cells need no escaping, and checking for that is cheaper than JSON.stringify. */
export function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function integer(text: string): string | undefined {
  if (CANONICAL_INTEGER.test(text)) return text;
  if (!LENIENT_INTEGER.test(text)) return undefined;
  return BigInt(text).toString();
}

function number(text: string): string | undefined {
  if (CANONICAL_NUMBER.test(text)) return text;
  if (!LENIENT_NUMBER.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? String(value) : undefined;
}

function boolean(text: string): string | undefined {
  const lower = text.toLowerCase();
  return TRUE.has(lower) ? 'true' : FALSE.has(lower) ? 'false' : undefined;
}

function json(kind: 'object' | 'array'): CellConverter {
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    const isArray = Array.isArray(value);
    return value !== null && typeof value === 'object' && isArray === (kind === 'array') ? text.trim() : undefined;
  };
}

export interface ColumnType {
  convert: CellConverter;
  nullable: boolean;
  /** For messages: `integer`, `string (date)`. */
  description: string;
}

export function columnType(schema: JsonSchema): ColumnType {
  const all = schemaTypes(schema);
  const types = all.filter((type) => type !== 'null');
  const nullable = all.length === 0 || all.includes('null');
  const format = typeof schema.format === 'string' ? schema.format : undefined;
  const attempts: CellConverter[] = [];
  for (const type of ['integer', 'number', 'boolean', 'object', 'array']) {
    if (!types.includes(type)) continue;
    if (type === 'integer') attempts.push(integer);
    else if (type === 'number') attempts.push(number);
    else if (type === 'boolean') attempts.push(boolean);
    else attempts.push(json(type as 'object' | 'array'));
  }
  if (types.includes('string') || types.length === 0) {
    const check = format === undefined || types.length === 0 ? undefined : FORMAT_CHECKS[format];
    attempts.push(check === undefined ? jsonString : (text) => (check(text) ? jsonString(text) : undefined));
  }
  const description = `${types.length === 0 ? 'any' : types.join(' or ')}${format === undefined ? '' : ` (${format})`}`;
  if (attempts.length === 1) return { convert: attempts[0] as CellConverter, nullable, description };
  return {
    convert: (text) => {
      for (const attempt of attempts) {
        const value = attempt(text);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    nullable,
    description,
  };
}
