export * from './outliers-config.js';
export * from './outliers-stage.js';
