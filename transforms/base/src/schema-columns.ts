/**
 * Reading and rewriting the column definitions of a SCHEMA message, so that a stage's output SCHEMA stays
 * true: a normalized integer column becomes a number, nullability is kept, a flag column can be added.
 */
import { schemaTypes, type JsonSchema, type SchemaMessage } from '@tapline/protocol';

/** How a column's values travel, as far as numeric stages care. */
export type NumericKind = 'integer' | 'number' | 'decimal_string';

export function columnsOf(schema: SchemaMessage): Record<string, JsonSchema> {
  return schema.schema.properties ?? {};
}

export function columnTypes(property: JsonSchema | undefined): string[] {
  return property === undefined ? [] : schemaTypes(property);
}

export function isNullable(property: JsonSchema | undefined): boolean {
  return columnTypes(property).includes('null');
}

/**
 * integer, number, or a string with `format: singer.decimal` (exact decimals as Tapline and PipelineWise
 * taps send them); undefined for any other column.
 */
export function numericKind(property: JsonSchema | undefined): NumericKind | undefined {
  if (property !== undefined && isFloatWithNonFiniteText(property)) return 'number';
  const types = columnTypes(property).filter((type) => type !== 'null');
  if (types.length === 0) return undefined;
  if (types.every((type) => type === 'integer')) return 'integer';
  if (types.every((type) => type === 'integer' || type === 'number')) return 'number';
  if (types.every((type) => type === 'string') && property?.format === 'singer.decimal') return 'decimal_string';
  return undefined;
}

/** The texts a float column may carry for values JSON has no number for (PostgreSQL double precision). */
export const NON_FINITE_TEXTS: readonly string[] = ['NaN', 'Infinity', '-Infinity'];

/**
 * `anyOf: [{type: number}, {type: string, enum: [NaN, Infinity, -Infinity]}, {type: null}]`: how
 * tap-postgres (and others) declare a float column, whose NaN and infinities travel as text. Such a
 * column is numeric; its non-finite texts pass through stages unchanged, as non-finite decimals do.
 */
function isFloatWithNonFiniteText(property: JsonSchema): boolean {
  const branches = property.anyOf ?? property.oneOf;
  if (!Array.isArray(branches) || branches.length === 0) return false;
  let numeric = false;
  for (const branch of branches) {
    const types = columnTypes(branch).filter((type) => type !== 'null');
    if (types.length === 0) continue;
    if (types.every((type) => type === 'number' || type === 'integer')) {
      numeric = true;
      continue;
    }
    const texts = branch.enum;
    if (types.length === 1 && types[0] === 'string' && Array.isArray(texts) && texts.every((text) => NON_FINITE_TEXTS.includes(text as string))) continue;
    return false;
  }
  return numeric;
}

/** Non-finite decimal texts (PostgreSQL numeric allows them). */
const NON_FINITE_DECIMAL = /^[+-]?(nan|inf|infinity)$/i;

/** What columnNumber gives for NaN or an infinity a numeric column may carry: a value, but not a finite number. */
export const NON_FINITE = Symbol('non-finite');

/**
 * The number a value of a numeric column of `kind` stands for: a JSON number; an integer beyond 2^53 (an
 * exact bigint) as its nearest double; a `singer.decimal` string as Number() reads it. NON_FINITE for the
 * texts of NaN and infinities (a float column's `"NaN"`, a decimal's `"-Infinity"`); undefined for
 * anything else (missing, blank, or not a number at all).
 */
export function columnNumber(value: unknown, kind: NumericKind | undefined): number | typeof NON_FINITE | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : NON_FINITE;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  if (kind === 'decimal_string') {
    // The common case first: a decimal that reads as a finite number is neither a non-finite text nor
    // blank (blank reads as 0, so only a 0 needs the blank check).
    const x = Number(value);
    if (Number.isFinite(x) && (x !== 0 || value.trim() !== '')) return x;
    return NON_FINITE_DECIMAL.test(value.trim()) ? NON_FINITE : undefined;
  }
  return kind === 'number' && NON_FINITE_TEXTS.includes(value) ? NON_FINITE : undefined;
}

/** The numeric columns of a SCHEMA, in property order. */
export function numericColumns(schema: SchemaMessage): string[] {
  return Object.entries(columnsOf(schema))
    .filter(([, property]) => numericKind(property) !== undefined)
    .map(([name]) => name);
}

/** The column's property with its type set to `type`, keeping `null` when the column allowed it. */
export function withType(property: JsonSchema | undefined, type: string, keep: Partial<JsonSchema> = {}): JsonSchema {
  const nullable = isNullable(property);
  const { anyOf: _anyOf, oneOf: _oneOf, multipleOf: _multipleOf, minimum: _minimum, maximum: _maximum, exclusiveMinimum: _eMin, exclusiveMaximum: _eMax, format: _format, ...rest } =
    property ?? {};
  return { ...rest, type: nullable ? [type, 'null'] : type, ...keep };
}

/** A copy of a SCHEMA message with some properties replaced or added; key and bookmark properties kept. */
export function withProperties(schema: SchemaMessage, replace: Record<string, JsonSchema>): SchemaMessage {
  const properties: Record<string, JsonSchema> = { ...columnsOf(schema), ...replace };
  const copy: SchemaMessage = { ...schema, schema: { ...schema.schema, properties } };
  return copy;
}
