export * from './tap-config.js';
export * from './tap-source.js';
export * from './tap-runtime.js';
