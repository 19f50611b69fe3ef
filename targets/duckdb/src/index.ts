export * from './duckdb-config.js';
export * from './duckdb-staging.js';
export * from './duckdb-types.js';
export * from './duckdb-target.js';
