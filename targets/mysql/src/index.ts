export * from './mysql-config.js';
export * from './mysql-types.js';
export * from './mysql-values.js';
export * from './mysql-target.js';
