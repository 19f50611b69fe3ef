export * from './postgres-config.js';
export * from './postgres-connection.js';
export * from './postgres-errors.js';
export * from './postgres-sql.js';
