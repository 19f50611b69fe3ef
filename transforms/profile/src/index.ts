export * from './profile-config.js';
export * from './profile-transform.js';
export * from './stream-profiler.js';
export * from './html-report.js';
export * from './distinct-sketch.js';
