/**
 * The config JSON Schema: validation with every error reported at once, the paths it marks secret, and
 * masking for printing an effective config. A property is secret when it says `"secret": true` (Meltano)
 * or `"writeOnly": true` (JSON Schema), directly or in one of its anyOf/oneOf/allOf branches.
 */
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import type { JsonSchema } from '../json-schema.js';
import { registerSecret } from '../redaction.js';
import { InvalidConfigError, formatKeyPath, type ConfigIssue, type ConfigKeyPath } from './config-issues.js';
import { didYouMean } from './did-you-mean.js';
import { isPlainObject, setOwn } from './merge.js';

/** A connector's config schema: a JSON Schema whose top level describes an object. */
export type JsonSchemaObject = JsonSchema;

export const SECRET_MASK = '********';

/** The schema itself plus every anyOf/oneOf/allOf branch, recursively: all the places keywords may sit. */
function alternatives(schema: JsonSchema): JsonSchema[] {
  const branches = [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  return [schema, ...branches.filter(isPlainObject).flatMap((branch) => alternatives(branch as JsonSchema))];
}

function isSecretSchema(schema: JsonSchema): boolean {
  return alternatives(schema).some((node) => node.secret === true || node.writeOnly === true);
}

/** Key paths of the secret settings, e.g. `[['password'], ['ssh_tunnel', 'private_key_passphrase']]`. */
export function secretPaths(schema: JsonSchemaObject): string[][] {
  const found = new Map<string, string[]>();
  const walk = (node: JsonSchema, prefix: string[]): void => {
    for (const branch of alternatives(node)) {
      for (const [key, property] of Object.entries(branch.properties ?? {})) {
        if (!isPlainObject(property)) continue;
        const path = [...prefix, key];
        // A secret object is secret as a whole; nothing under it needs listing separately.
        if (isSecretSchema(property)) found.set(JSON.stringify(path), path);
        else walk(property, path);
      }
    }
  };
  walk(schema, []);
  return [...found.values()];
}

function valueAt(config: unknown, path: readonly string[]): unknown {
  let current = config;
  for (const key of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** A copy of the config with every secret value replaced by `********`; unset (null) secrets stay visible. */
export function maskSecrets(config: Record<string, unknown>, schema: JsonSchemaObject): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of secretPaths(schema)) {
    const parent = valueAt(copy, path.slice(0, -1));
    const key = path[path.length - 1];
    if (key === undefined || !isPlainObject(parent) || !Object.hasOwn(parent, key)) continue;
    const value = parent[key];
    if (value !== null && value !== undefined) setOwn(parent, key, SECRET_MASK);
  }
  return copy;
}

/** Register every value at a secret path (every leaf, for a secret object) with the redactor. */
export function registerConfigSecrets(config: Record<string, unknown>, schema: JsonSchemaObject): void {
  const register = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(register);
    else if (isPlainObject(value)) Object.values(value).forEach(register);
    else registerSecret(value);
  };
  for (const path of secretPaths(schema)) register(valueAt(config, path));
}

/** The JSON types the schema allows at a key path, or [] when it does not say. */
export function typesAt(schema: JsonSchemaObject, path: ConfigKeyPath): string[] {
  let nodes = [schema];
  for (const key of path) {
    nodes = nodes.flatMap(alternatives).flatMap((node): JsonSchema[] => {
      if (typeof key === 'number') {
        const items = Array.isArray(node.items) ? node.items[key] : node.items;
        return items ? [items] : [];
      }
      const property = node.properties?.[key];
      if (property) return [property];
      return isPlainObject(node.additionalProperties) ? [node.additionalProperties as JsonSchema] : [];
    });
  }
  const types = new Set<string>();
  for (const node of nodes.flatMap(alternatives)) {
    for (const type of Array.isArray(node.type) ? node.type : node.type ? [node.type] : []) types.add(type);
  }
  return [...types];
}

/**
 * A template always produces text, but `port: "{{ env_var('PGPORT') }}"` means the number 5432. Convert
 * the text when the schema does not accept a string there and the text reads cleanly as an allowed
 * type; otherwise leave it, and validation says what is wrong.
 */
export function coerceTemplatedText(text: string, types: readonly string[]): unknown {
  if (types.length === 0 || types.includes('string')) return text;
  const trimmed = text.trim();
  if (types.includes('integer') && /^[+-]?\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed))) return Number(trimmed);
  if (types.includes('number') && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return Number(trimmed);
  if (types.includes('boolean') && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true';
  if (types.includes('null') && trimmed === '') return null;
  if (types.includes('object') || types.includes('array')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if ((types.includes('object') && isPlainObject(parsed)) || (types.includes('array') && Array.isArray(parsed))) return parsed;
    } catch {
      // not JSON: validation will report the type
    }
  }
  return text;
}

let sharedAjv: AjvInstance | undefined;
const validators = new WeakMap<object, ValidateFunction>();

function getAjv(): AjvInstance {
  if (sharedAjv) return sharedAjv;
  // ajv and ajv-formats are CommonJS; require gives their real exports without default-import games.
  const require = createRequire(import.meta.url);
  const AjvClass = require('ajv').default as new (options: object) => AjvInstance;
  const formats = require('ajv-formats') as ((ajv: AjvInstance) => void) & { default?: (ajv: AjvInstance) => void };
  const ajv = new AjvClass({
    allErrors: true,
    strict: false,
    useDefaults: true,
    // verbose gives each error its parentSchema, which the did-you-mean hint needs. It also attaches the
    // data, which we never print.
    verbose: true,
    // Schemas of different connectors may share an $id; do not keep them in one registry.
    addUsedSchema: false,
    logger: false,
  });
  (formats.default ?? formats)(ajv);
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  sharedAjv = ajv;
  return ajv;
}

function compile(schema: JsonSchemaObject): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    try {
      validate = getAjv().compile(schema);
    } catch (error) {
      // The schema ships with the program: a bad one is a bug, not a user's configuration mistake.
      throw new Error(`invalid config schema: ${(error as Error).message}`, { cause: error });
    }
    validators.set(schema, validate);
  }
  return validate;
}

/** `/ssh_tunnel/port` -> `['ssh_tunnel', 'port']`; indexes become numbers where the data has an array. */
function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let current = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      path.push(Number(key));
      current = current[Number(key)];
    } else {
      path.push(key);
      current = isPlainObject(current) ? current[key] : undefined;
    }
  }
  return path;
}

function toIssue(error: ErrorObject, data: unknown): ConfigIssue | undefined {
  const base = pointerToPath(error.instancePath, data);
  const params = error.params as Record<string, unknown>;
  const at = (path: (string | number)[], message: string, hint?: string): ConfigIssue => {
    const formatted = formatKeyPath(path);
    return { path: formatted, message: formatted === '' ? `the config ${message}` : message, ...(hint ? { hint } : {}) };
  };
  switch (error.keyword) {
    case 'required':
      return at([...base, String(params.missingProperty)], 'is required');
    case 'dependentRequired':
    case 'dependencies':
      return at([...base, String(params.missingProperty)], `is required when "${String(params.property)}" is set`);
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const parent = error.parentSchema as JsonSchema | undefined;
      const known = Object.keys(parent?.properties ?? {});
      return at([...base, key], `unknown key${didYouMean(key, known)}`);
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      return at(base, `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`);
    }
    case 'if':
      return undefined; // always accompanied by the then/else errors that say what is actually wrong
    default:
      return at(base, error.message ?? 'is invalid');
  }
}

/**
 * Validate against the schema and return a copy with the schema's defaults filled in. Every problem is
 * reported at once in one ConfigurationError (an InvalidConfigError with `issues`), each with its path.
 * Messages describe the rule, never the value, so a secret cannot leak through them.
 */
export function validateConfig(config: Record<string, unknown>, schema: JsonSchemaObject): Record<string, unknown> {
  const validate = compile(schema);
  const data = structuredClone(config);
  if (validate(data)) return data;
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const issue = toIssue(error, data);
    if (!issue) continue;
    const key = `${issue.path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  if (issues.length === 0) issues.push({ path: '', message: 'the config does not match its schema' });
  throw new InvalidConfigError(issues);
}
