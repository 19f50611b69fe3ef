export * from './jsonl-config.js';
export * from './jsonl-target.js';
