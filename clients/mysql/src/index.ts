export * from './mysql-config.js';
export * from './mysql-connection.js';
export * from './mysql-errors.js';
export * from './mysql-sql.js';
