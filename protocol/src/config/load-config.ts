/**
 * loadConfig: files -> profile -> merge -> templates -> secrets registered -> validated with defaults.
 *
 *  1. Each file is read (JSON or YAML) and its profile applied (see profiles.ts).
 *  2. Templated strings are tagged with their file, then the files deep-merge in order, later wins.
 *  3. Templates resolve; values from `secret()` and `file()` are registered with the redactor.
 *  4. With a schema: templated text becomes a number/boolean/object where the schema wants one, every
 *     value at a secret path is registered, and ajv validates and fills defaults.
 */
import { registerConfigSecrets, typesAt, coerceTemplatedText, validateConfig, type JsonSchemaObject } from './config-schema.js';
import { readConfigFile, type ConfigFile } from './config-files.js';
import { deepMerge, isPlainObject, setOwn } from './merge.js';
import { applyProfile, selectProfile } from './profiles.js';
import { markTemplates, resolveTemplates } from './templating.js';
import type { ConfigKeyPath } from './config-issues.js';

export interface LoadConfigOptions {
  /** Config files, merged in order (later wins). Relative paths resolve against `cwd`. */
  files: string[];
  /** Profile to apply; else env.TAPLINE_PROFILE; else `default`. */
  profile?: string;
  schema?: JsonSchemaObject;
  /** Environment for env_var(), TAPLINE_PROFILE and secret loaders; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export async function loadConfig(options: LoadConfigOptions): Promise<Record<string, unknown>> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const files: ConfigFile[] = [];
  for (const file of options.files) files.push(await readConfigFile(file, cwd));

  const layers = applyProfile(files, selectProfile(options.profile, env));
  let merged: Record<string, unknown> = {};
  layers.forEach((layer, index) => {
    const file = files[index];
    const marked = file ? markTemplates(layer, { file: file.file, dir: file.dir }) : layer;
    merged = deepMerge(merged, marked as Record<string, unknown>);
  });

  const { value, templatedPaths } = await resolveTemplates(merged, { env });
  const schema = options.schema;
  if (!schema) return value;
  for (const path of templatedPaths) coerceAt(value, path, typesAt(schema, path));
  // Before validation, so that nothing validation or a later log line prints can show them.
  registerConfigSecrets(value, schema);
  const config = validateConfig(value, schema);
  registerConfigSecrets(config, schema); // a default may have filled a secret
  return config;
}

function coerceAt(config: Record<string, unknown>, path: ConfigKeyPath, types: string[]): void {
  let parent: unknown = config;
  for (const key of path.slice(0, -1)) {
    parent = Array.isArray(parent) && typeof key === 'number' ? parent[key] : isPlainObject(parent) ? parent[String(key)] : undefined;
  }
  const key = path[path.length - 1];
  if (key === undefined) return;
  if (Array.isArray(parent) && typeof key === 'number') {
    const text = parent[key];
    if (typeof text === 'string') parent[key] = coerceTemplatedText(text, types);
  } else if (isPlainObject(parent) && typeof key === 'string') {
    const text = parent[key];
    if (typeof text === 'string') setOwn(parent, key, coerceTemplatedText(text, types));
  }
}
