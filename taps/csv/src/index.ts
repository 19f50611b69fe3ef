export * from './csv-config.js';
export * from './csv-parser.js';
export * from './csv-types.js';
export * from './csv-format.js';
export * from './csv-tap.js';
