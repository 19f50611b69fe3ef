export * from './clean-names-config.js';
export * from './clean-names-stage.js';
