export * from './sql-config.js';
export * from './sql-dialect.js';
export * from './sql-discovery.js';
export * from './sql-tap.js';
export * from './column-schema.js';
