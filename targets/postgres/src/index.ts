export * from './postgres-config.js';
export * from './postgres-copy.js';
export * from './postgres-copy-batch.js';
export * from './postgres-types.js';
export * from './postgres-target.js';
