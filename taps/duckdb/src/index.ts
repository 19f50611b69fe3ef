export * from './duckdb-config.js';
export * from './duckdb-types.js';
export * from './duckdb-dialect.js';
export * from './duckdb-tap.js';
