import type { JsonSchema } from '@tapline/protocol';

/** How tap-duckdb and target-duckdb open a database; both spread these into their config schema. */
export interface DuckDBConnectionConfig {
  /** A database file, `:memory:`, or (untested) `md:<database>` for MotherDuck. */
  path: string;
  /** MotherDuck service token. UNTESTED: passed to DuckDB as `motherduck_token`, nothing more. */
  motherduck_token?: string;
  /** DuckDB threads for this process (default: DuckDB's own, the number of cores). */
  threads?: number;
  /** DuckDB `memory_limit`, e.g. `1GB` (default: DuckDB's own, 80% of RAM). */
  memory_limit?: string;
}

export const duckdbConnectionProperties: Record<string, JsonSchema> = {
  path: {
    type: 'string',
    minLength: 1,
    description: 'Database file (created by the target when missing), or :memory:; md:<database> is MotherDuck (untested)',
  },
  motherduck_token: {
    type: 'string',
    secret: true,
    writeOnly: true,
    description: 'MotherDuck token for md: paths. UNTESTED: passed through to DuckDB as motherduck_token',
  },
  threads: { type: 'integer', minimum: 1, description: 'DuckDB worker threads (default: one per core)' },
  memory_limit: { type: 'string', pattern: '^\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$', description: 'DuckDB memory_limit, e.g. 1GB (default: 80% of RAM)' },
};

export const DUCKDB_REQUIRED = ['path'];
