export * from './jsonl-config.js';
export * from './jsonl-target.js';
export * from './jsonl-files.js';
