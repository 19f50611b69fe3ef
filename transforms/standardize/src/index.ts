export * from './standardize-config.js';
export * from './standardize-stage.js';
