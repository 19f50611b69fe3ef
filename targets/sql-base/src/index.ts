export * from './column-types.js';
export * from './identifiers.js';
export * from './table-plan.js';
export * from './sql-target-config.js';
export * from './sql-target-driver.js';
