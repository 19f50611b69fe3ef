/**
 * Schema inference from a sample. A column gets a type only when every sampled value has it; anything
 * ambiguous stays a string, because a wrong guess fails the sync later while a string always loads.
 */
import { isDate, isDateTime, type JsonSchema } from '@tapline/protocol';

const INTEGER = 1;
const DECIMAL = 2;
const BOOLEAN = 4;
const DATE = 8;
const DATE_TIME = 16;
const ALL = INTEGER | DECIMAL | BOOLEAN | DATE | DATE_TIME;

// No sign other than '-', no leading zeros: "007" is an identifier, "+5" and "1e3" are ambiguous.
const INTEGER_TEXT = /^-?(?:0|[1-9]\d*)$/;
const DECIMAL_TEXT = /^-?(?:0|[1-9]\d*)\.\d+$/;
const BOOLEAN_TEXT = /^(?:true|false)$/i;

/** The kinds one text value could be. */
export function textKinds(text: string): number {
  let kinds = 0;
  if (INTEGER_TEXT.test(text)) {
    kinds |= DECIMAL;
    // Beyond 2^53 a JSON number loses digits: such a column is exact decimal text instead.
    if (Number.isSafeInteger(Number(text))) kinds |= INTEGER;
  } else if (DECIMAL_TEXT.test(text)) kinds |= DECIMAL;
  else if (BOOLEAN_TEXT.test(text)) kinds |= BOOLEAN;
  else if (text.length === 10 && isDate(text)) kinds |= DATE;
  else if (text.length > 10 && isDateTime(text)) kinds |= DATE_TIME;
  return kinds;
}

export type DecimalMode = 'string' | 'number';

/** Inference for a column of text cells (CSV). Cells that count as null do not vote. */
export class TextColumnInference {
  private kinds = ALL;
  private seen = 0;

  observe(text: string): void {
    this.seen += 1;
    if (this.kinds !== 0) this.kinds &= textKinds(text);
  }

  /**
   * integer, else exact decimal (`singer.decimal` text, or a JSON number with `decimals: number`), else
   * boolean, date, date-time, else string. A column without a single non-null value is a string.
   */
  schema(decimals: DecimalMode): JsonSchema {
    if (this.seen === 0 || this.kinds === 0) return { type: ['null', 'string'] };
    if (this.kinds & INTEGER) return { type: ['null', 'integer'] };
    if (this.kinds & DECIMAL) return decimals === 'number' ? { type: ['null', 'number'] } : { type: ['null', 'string'], format: 'singer.decimal' };
    if (this.kinds & BOOLEAN) return { type: ['null', 'boolean'] };
    if (this.kinds & DATE) return { type: ['null', 'string'], format: 'date' };
    return { type: ['null', 'string'], format: 'date-time' };
  }
}

/** Inference for a property of JSON documents (JSONL): the union of the JSON types seen. */
export class JsonValueInference {
  private readonly types = new Set<string>();
  private stringFormats = DATE | DATE_TIME;

  observe(value: unknown): void {
    if (value === null || value === undefined) return;
    if (typeof value === 'string') {
      this.types.add('string');
      this.stringFormats &= textKinds(value);
    } else if (typeof value === 'number') this.types.add(Number.isInteger(value) ? 'integer' : 'number');
    // An integer beyond 2^53, read exactly (parseExact).
    else if (typeof value === 'bigint') this.types.add('integer');
    else if (typeof value === 'boolean') this.types.add('boolean');
    else if (Array.isArray(value)) this.types.add('array');
    else this.types.add('object');
  }

  schema(): JsonSchema {
    if (this.types.has('number')) this.types.delete('integer');
    const order = ['string', 'integer', 'number', 'boolean', 'object', 'array'];
    const types = order.filter((type) => this.types.has(type));
    if (types.length === 0) return { type: ['null', 'string'] };
    const schema: JsonSchema = { type: ['null', ...types] };
    if (this.types.has('string')) {
      if (this.stringFormats & DATE) schema.format = 'date';
      else if (this.stringFormats & DATE_TIME) schema.format = 'date-time';
    }
    return schema;
  }
}

/** The schema without `null` in its type: key properties always have a value. */
export function withoutNull(schema: JsonSchema): JsonSchema {
  if (!Array.isArray(schema.type)) return schema;
  const types = schema.type.filter((type) => type !== 'null');
  return { ...schema, type: types.length === 1 ? (types[0] as string) : types };
}
