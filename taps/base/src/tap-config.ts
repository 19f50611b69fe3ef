import type { JsonSchema } from '@tapline/protocol';

/** Settings every tap understands; a tap's own schema adds its properties to these. */
export interface BaseTapConfig {
  /** Emit a STATE after this many records of a stream (default 10000). */
  state_every_rows?: number;
  /** ... or once this long has passed since the last STATE (default 60). */
  state_every_seconds?: number;
  /**
   * Stream selection by glob on tap_stream_id (`public-*`, `!public-audit_*`), Meltano's `select`. Applied
   * to the --catalog, or to the discovered catalog when there is none.
   */
  select?: string[];
}

export const BASE_TAP_PROPERTIES: Record<string, JsonSchema> = {
  state_every_rows: { type: 'integer', minimum: 1, default: 10000, description: 'Emit a STATE after this many records of a stream' },
  state_every_seconds: { type: 'number', exclusiveMinimum: 0, default: 60, description: 'Emit a STATE once this many seconds have passed since the last one' },
  select: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    description: 'Select streams by glob on tap_stream_id (e.g. "public-*", "!public-audit_*"); overrides the catalog selection',
  },
};

/** A tap's config schema: the base settings plus its own. */
export function tapConfigSchema(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return {
    type: 'object',
    properties: { ...BASE_TAP_PROPERTIES, ...properties },
    required,
    additionalProperties: false,
  };
}
