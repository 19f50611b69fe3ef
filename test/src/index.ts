export * from './compare.js';
export * from './run-program.js';
export * from './target-cases.js';
export * from './target-suite.js';
export * from './program-suite.js';
export * from './servers.js';
export * from './tap-suite.js';
export * from './tap-harness.js';
