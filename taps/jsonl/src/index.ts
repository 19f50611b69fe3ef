export * from './jsonl-config.js';
export * from './jsonl-format.js';
export * from './jsonl-tap.js';
