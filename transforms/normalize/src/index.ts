export * from './normalize-config.js';
export * from './normalize-stage.js';
