export * from './file-stream-config.js';
export * from './file-listing.js';
export * from './text-chunks.js';
export * from './schema-inference.js';
export * from './file-tap.js';
