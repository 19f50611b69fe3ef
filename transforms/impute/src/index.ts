export * from './impute-config.js';
export * from './impute-stage.js';
