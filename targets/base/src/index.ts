export * from './target-config.js';
export * from './target-driver.js';
export * from './pending-batch.js';
export * from './target-runtime.js';
export * from './state-tracker.js';
export * from './record-metadata.js';
export * from './stream-files.js';
