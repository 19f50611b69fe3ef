export * from './mysql-config.js';
export * from './mysql-types.js';
export * from './mysql-dialect.js';
export * from './mysql-tap.js';
