/**
 * Record validation: one compiled ajv validator per distinct schema, reused for every record of every
 * stream that sends it. The validator is strict about what matters (types, formats, exact multipleOf)
 * and tolerant of the extra keywords real Singer schemas carry (`inclusion`, `selected`, ...).
 */
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { isMultipleOf } from './decimal.js';
import { DataError } from './errors.js';
import { replaceBigInts, stringifyExact } from './exact-json.js';
import { SINGER_FORMATS } from './formats.js';
import type { JsonSchema } from './json-schema.js';

export class RecordValidationError extends DataError {}

export class InvalidSchemaError extends DataError {}

export type RecordValidator = (record: Record<string, unknown>, line?: number) => void;

let sharedAjv: AjvInstance | undefined;

function createAjv(): AjvInstance {
  // ajv is CommonJS; loading it through require keeps start-up fast for programs that never validate.
  const require = createRequire(import.meta.url);
  const AjvClass = require('ajv').default as new (options: object) => AjvInstance;
  const ajv = new AjvClass({
    strict: false,
    allErrors: false,
    logger: false,
    validateFormats: true,
    // Singer schemas put keywords such as `inclusion` or `selected` next to the types; ignore them.
    validateSchema: true,
  });
  for (const [name, validate] of Object.entries(SINGER_FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate });
  }
  // Formats we do not know must not fail records; JSON Schema says unknown formats are annotations.
  for (const name of ['uri', 'email', 'uuid', 'ipv4', 'ipv6', 'hostname', 'binary', 'byte', 'uri-reference', 'json']) {
    ajv.addFormat(name, true);
  }
  // ajv checks multipleOf with floating-point division, so 0.07 is "not a multiple of 0.01". Replace it
  // with a check on the decimal text.
  ajv.removeKeyword('multipleOf');
  const exactMultipleOf = (divisor: number, data: number): boolean => {
    if (isMultipleOf(data, divisor)) return true;
    exactMultipleOf.errors = [{ keyword: 'multipleOf', message: `must be multiple of ${divisor}`, params: { multipleOf: divisor } }];
    return false;
  };
  exactMultipleOf.errors = [] as object[];
  ajv.addKeyword({ keyword: 'multipleOf', type: 'number', schemaType: 'number', errors: true, validate: exactMultipleOf });
  return ajv;
}

function getAjv(): AjvInstance {
  sharedAjv ??= createAjv();
  return sharedAjv;
}

const compiled = new Map<string, ValidateFunction>();

/** Compile (or reuse) a validator for a schema. Throws InvalidSchemaError for a schema ajv rejects. */
export function compileSchema(schema: JsonSchema, stream?: string, line?: number): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    const ajv = getAjv();
    const where = { ...(stream === undefined ? {} : { stream }), ...(line === undefined ? {} : { line }) };
    if (!ajv.validateSchema(schema)) {
      const first = ajv.errors?.[0];
      const at = first ? pointerToField(first.instancePath) : '';
      throw new InvalidSchemaError(`invalid JSON Schema: ${at ? `${at} ` : ''}${first?.message ?? 'is not a schema'}`, {
        ...where,
        hint: 'Fix the SCHEMA message of the program that wrote it',
      });
    }
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new InvalidSchemaError(`invalid JSON Schema: ${error instanceof Error ? error.message : String(error)}`, {
        ...(stream === undefined ? {} : { stream }),
        ...(line === undefined ? {} : { line }),
        cause: error,
        hint: 'Fix the SCHEMA message of the program that wrote it',
      });
    }
    compiled.set(key, validate);
  }
  return validate;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : stringifyExact(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

function pointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function valueAt(record: unknown, pointer: string): unknown {
  let current = record;
  for (const part of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}

/** Turn ajv's first error into a sentence about a field. */
export function describeValidationError(error: ErrorObject, record: unknown): { field: string; message: string } {
  let field = pointerToField(error.instancePath);
  let message: string;
  switch (error.keyword) {
    case 'required': {
      const missing = String((error.params as { missingProperty?: string }).missingProperty);
      field = field ? `${field}.${missing}` : missing;
      message = 'is required but missing';
      break;
    }
    case 'additionalProperties': {
      const extra = String((error.params as { additionalProperty?: string }).additionalProperty);
      field = field ? `${field}.${extra}` : extra;
      message = 'is not in the schema, which allows no additional properties';
      break;
    }
    case 'multipleOf':
      message = `value ${preview(valueAt(record, error.instancePath))} is not a multiple of ${String((error.params as { multipleOf?: number }).multipleOf)}`;
      break;
    case 'type': {
      const allowed = String((error.params as { type?: string }).type ?? '').split(',');
      const named = allowed.filter((type) => type !== 'null');
      const phrase = named.join(' or ') + (allowed.includes('null') ? ' or null' : '');
      message = `value ${preview(valueAt(record, error.instancePath))} must be ${phrase}`;
      break;
    }
    case 'format':
      message = `value ${preview(valueAt(record, error.instancePath))} is not a valid ${String((error.params as { format?: string }).format)}`;
      break;
    default:
      message = `value ${preview(valueAt(record, error.instancePath))} ${error.message ?? 'is invalid'}`;
  }
  return { field, message };
}

/** A function that validates a stream's records and throws a RecordValidationError naming stream, field and line. */
export function createRecordValidator(stream: string, schema: JsonSchema, line?: number): RecordValidator {
  const validate = compileSchema(schema, stream, line);
  return (record, line) => {
    if (validate(record)) return;
    // ajv knows no bigint: a record holding integers beyond 2^53 (exact bigints) is checked as the
    // nearest doubles, which have the same types and, but at the last digits, the same bounds.
    const doubles = replaceBigInts(record, Number);
    if (doubles !== record && validate(doubles)) return;
    const first = validate.errors?.[0];
    const { field, message } = first ? describeValidationError(first, record) : { field: '', message: 'is invalid' };
    throw new RecordValidationError(message, {
      stream,
      ...(field ? { column: field } : {}),
      ...(line === undefined ? {} : { line }),
      hint: 'The record does not match the SCHEMA sent before it; fix the source or its schema',
    });
  };
}
