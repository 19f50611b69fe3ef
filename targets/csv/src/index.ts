export * from './csv-config.js';
export * from './csv-target.js';
export * from './csv-files.js';
