import type { JsonSchema } from '@tapline/protocol';
import type { BaseTargetConfig } from '@tapline/target-base';

export type LoadMethod = 'upsert' | 'append' | 'overwrite';

/** Settings every SQL target shares; a dialect's config spreads `sqlTargetProperties()` beside its connection settings. */
export interface SqlTargetConfig extends BaseTargetConfig {
  /** Schema (namespace) the tables go to. */
  default_target_schema?: string;
  /** Default: upsert for streams with key properties, append for streams without. */
  load_method?: LoadMethod;
  /** ACTIVATE_VERSION deletes rows of older versions (true) or sets their `_sdc_deleted_at` (false). */
  hard_delete?: boolean;
  add_metadata_columns?: boolean;
}

/** The shared settings; `namespace` is the dialect's usual default schema (`public`, `dbo`, ...). */
export function sqlTargetProperties(namespace: string): Record<string, JsonSchema> {
  return {
    default_target_schema: { type: 'string', minLength: 1, default: namespace, description: 'Schema the tables are created in' },
    load_method: {
      type: 'string',
      enum: ['upsert', 'append', 'overwrite'],
      description:
        "upsert (default for streams with key properties) replaces rows by key; append keeps every record; overwrite replaces the table with this run's records",
    },
    hard_delete: {
      type: 'boolean',
      default: false,
      description: 'ACTIVATE_VERSION deletes rows of older table versions; when false they get _sdc_deleted_at set instead',
    },
    add_metadata_columns: {
      type: 'boolean',
      default: false,
      description: 'Add _sdc_extracted_at, _sdc_received_at, _sdc_batched_at, _sdc_deleted_at, _sdc_table_version and _sdc_sequence columns',
    },
  };
}

/** The load method a stream gets: upsert needs keys, so a keyless stream appends whatever was asked. */
export function loadMethodFor(config: SqlTargetConfig, keys: string[]): LoadMethod {
  const asked = config.load_method ?? (keys.length > 0 ? 'upsert' : 'append');
  return asked === 'upsert' && keys.length === 0 ? 'append' : asked;
}
