import type { JsonSchema } from '@tapline/protocol';

/** Settings every target understands; a target's own schema adds its properties to these. */
export interface BaseTargetConfig {
  /** Validate each record against its stream's SCHEMA (default true). */
  validate_records?: boolean;
  /** Commit a stream's batch once it holds this many records. */
  batch_size_rows?: number;
  /** ... or this many bytes of input (the size of the RECORD lines). */
  batch_size_bytes?: number;
  /** ... or when its oldest record has waited this long. */
  batch_max_age_seconds?: number;
  /** Keep loading the other streams when one stream's load fails (its bookmark stays where it was). */
  continue_on_stream_failure?: boolean;
}

export const BASE_TARGET_PROPERTIES: Record<string, JsonSchema> = {
  validate_records: { type: 'boolean', default: true, description: 'Validate every record against its SCHEMA' },
  batch_size_rows: { type: 'integer', minimum: 1, default: 50000, description: 'Commit a stream after this many records' },
  batch_size_bytes: { type: 'integer', minimum: 1024, default: 33554432, description: 'Commit a stream after this many bytes of input' },
  batch_max_age_seconds: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Commit a stream once its oldest pending record is this old' },
  continue_on_stream_failure: {
    type: 'boolean',
    default: true,
    description: 'When one stream fails to load, keep loading and confirming the others; the run still exits non-zero',
  },
};

/** A target's config schema: the base settings plus its own. */
export function targetConfigSchema(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return {
    type: 'object',
    properties: { ...BASE_TARGET_PROPERTIES, ...properties },
    required,
    additionalProperties: false,
  };
}
