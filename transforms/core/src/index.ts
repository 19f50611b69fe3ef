/**
 * @tapline/transform-core: the pure computation behind Tapline's transform stages (no I/O, no
 * dependencies). The behaviour follows docs/transforms-reference.md.
 */

export * from './accumulators.js';
export * from './column-names.js';
export * from './column-types.js';
export * from './date-values.js';
export * from './impute-rules.js';
export * from './outlier-rules.js';
export * from './quantiles.js';
export * from './seeded-random.js';
export * from './statistics.js';
export * from './value-identity.js';
export * from './value-patterns.js';
