/**
 * @tapline/transform-base: the runtime every transform stage shares. See README.md for the API and the
 * bounded-memory design.
 */
export * from './bounded-quantiles.js';
export * from './fitted-params.js';
export * from './record-scanner.js';
export * from './decimal-bytes.js';
export * from './row-values.js';
export * from './scale-columns.js';
export * from './schema-columns.js';
export * from './spool.js';
export * from './stage-config.js';
export * from './stage-runtime.js';
