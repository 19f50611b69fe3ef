export * from './duckdb-config.js';
export * from './duckdb-connection.js';
export * from './duckdb-errors.js';
export * from './duckdb-sql.js';
