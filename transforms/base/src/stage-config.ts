/**
 * The settings every transform stage shares, and how a stage's own options are laid out: each option can
 * be given at the top level (the default for every stream) and again under `streams.<name>` (that stream
 * only; it wins). `columns` names the columns an option applies to, per stream or for all.
 */
import type { JsonSchema } from '@tapline/protocol';

/** Settings of the runtime itself (top level only). */
export interface BaseStageConfig {
  /** JSON file holding fitted parameters: read at start (when present), written at the end (atomically). */
  params_file?: string;
  /** Fit afresh even when saved parameters exist (in params_file or in an incoming STATE). */
  refit?: boolean;
  /** Fit on a stream's first N records, then transform the rest as they come; unset: fit on the whole stream. */
  fit_max_rows?: number;
  /** Folder for the temporary spool file while a stream is being fitted (default: the OS temp folder). */
  spill_dir?: string;
  /** Megabytes of held-back input kept in memory before the spool moves to files under spill_dir (default 8). */
  spool_memory_mb?: number;
  /** Per-stream options; any stage option may appear here and wins over the top-level default. */
  streams?: Record<string, Record<string, unknown>>;
}

/** Options every stage accepts per stream (and at the top level as defaults). */
export interface BaseStreamOptions {
  /** false: pass this stream through untouched. */
  enabled?: boolean;
  /** The columns to work on: a list of names, or (stage-specific) an object keyed by column name. */
  columns?: string[] | Record<string, unknown>;
}

export const BASE_STAGE_PROPERTIES: Record<string, JsonSchema> = {
  params_file: {
    type: 'string',
    description: 'File for fitted parameters: read at start when it exists, written atomically at the end',
  },
  refit: {
    type: 'boolean',
    default: false,
    description: 'Fit afresh, ignoring parameters saved in params_file or carried in an incoming STATE',
  },
  fit_max_rows: {
    type: 'integer',
    minimum: 1,
    description: "Fit on each stream's first N records and stream the rest; unset fits on the whole stream (exact)",
  },
  spill_dir: {
    type: 'string',
    description: 'Folder for the temporary spool while a stream is fitted (default: the OS temp folder)',
  },
  spool_memory_mb: {
    type: 'number',
    minimum: 0,
    description: 'Megabytes of held-back input kept in memory while a stream is fitted, before the spool moves to files under spill_dir (default 8; 0: straight to files)',
  },
};

const BASE_STREAM_OPTION_PROPERTIES: Record<string, JsonSchema> = {
  enabled: { type: 'boolean', default: true, description: 'false passes the stream through untouched' },
};

export interface StageConfigSchemaOptions {
  /** The stage's own options, valid at the top level and under streams.<name>. */
  options: Record<string, JsonSchema>;
  /** Schema of `columns`; defaults to a list of column names. */
  columns?: JsonSchema;
  /** Top-level-only settings of the stage (not repeated per stream). */
  settings?: Record<string, JsonSchema>;
}

export const COLUMN_LIST_SCHEMA: JsonSchema = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
  description: 'Column names (as they are in the SCHEMA this stage receives)',
};

/**
 * A copy of a schema with every `default` removed. The config validator fills defaults in (ajv
 * useDefaults), so a default inside `streams.<name>` would be written into each stream's options and
 * override the top-level value the user set: per-stream options must only hold what the user wrote.
 */
export function withoutDefaults(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema)) return schema.map((item) => withoutDefaults(item as JsonSchema)) as unknown as JsonSchema;
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'default') continue;
    copy[key] = value !== null && typeof value === 'object' ? withoutDefaults(value as JsonSchema) : value;
  }
  return copy as JsonSchema;
}

/** A stage's config schema: base settings, the stage options as defaults, and `streams` overrides. */
export function stageConfigSchema(options: StageConfigSchemaOptions): JsonSchema {
  const streamOptions: Record<string, JsonSchema> = {
    ...BASE_STREAM_OPTION_PROPERTIES,
    columns: options.columns ?? COLUMN_LIST_SCHEMA,
    ...options.options,
  };
  const perStream: Record<string, JsonSchema> = {};
  for (const [name, property] of Object.entries(streamOptions)) perStream[name] = withoutDefaults(property);
  return {
    type: 'object',
    properties: {
      ...BASE_STAGE_PROPERTIES,
      ...(options.settings ?? {}),
      ...streamOptions,
      streams: {
        type: 'object',
        description: 'Options per stream, by stream name; they override the top-level defaults',
        additionalProperties: { type: 'object', properties: perStream, additionalProperties: false },
      },
    },
    additionalProperties: false,
  };
}

const BASE_KEYS = new Set([...Object.keys(BASE_STAGE_PROPERTIES), 'streams']);

/**
 * The options in force for one stream: the top-level values overlaid by `streams.<stream>`. Base
 * settings (params_file, refit, ...) are left out; they are not per-stream.
 */
export function streamOptionsFor<Options>(config: Record<string, unknown>, stream: string): Options {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) if (!BASE_KEYS.has(key) && value !== undefined) merged[key] = value;
  const own = (config.streams as Record<string, Record<string, unknown>> | undefined)?.[stream];
  if (own !== undefined) for (const [key, value] of Object.entries(own)) if (value !== undefined) merged[key] = value;
  return merged as Options;
}

/** The column names an options object names (`columns` as a list or as an object's keys). */
export function namedColumns(columns: unknown): string[] {
  if (Array.isArray(columns)) return columns.filter((name): name is string => typeof name === 'string');
  if (columns !== null && typeof columns === 'object') return Object.keys(columns);
  return [];
}
