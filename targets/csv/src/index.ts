export * from './csv-config.js';
export * from './csv-target.js';
