import type { JsonSchema } from '@tapline/protocol';
import type { BaseTapConfig } from '@tapline/tap-base';

/** Settings every SQL tap understands, on top of the connection settings of its database. */
export interface SqlTapConfig extends BaseTapConfig {
  /** Discover only schemas whose name matches one of these globs (`*`, `?`); default every user schema. */
  filter_schemas?: string[];
  /** Discover only tables whose name (or `schema.table`) matches one of these globs. */
  filter_tables?: string[];
}

export const SQL_TAP_PROPERTIES: Record<string, JsonSchema> = {
  filter_schemas: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    description: 'Discover only schemas matching one of these globs (e.g. ["public", "sales_*"])',
  },
  filter_tables: {
    type: 'array',
    items: { type: 'string', minLength: 1 },
    description: 'Discover only tables matching one of these globs, by name or as schema.table (e.g. ["orders", "sales.*"])',
  },
};
