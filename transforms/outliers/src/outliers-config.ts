import { stageConfigSchema, type BaseStreamOptions } from '@tapline/transform-base';

export const OUTLIER_METHODS = ['auto', 'zscore', 'iqr', 'isolation_forest', 'lof'] as const;
export type OutlierMethodOption = (typeof OUTLIER_METHODS)[number];

export interface OutliersOptions extends BaseStreamOptions {
  columns?: string[];
  method?: OutlierMethodOption;
  action?: 'drop' | 'flag';
  flag_column?: string;
  fit_sample_rows?: number;
  lof_fit_rows?: number;
  seed?: number;
  z_threshold?: number;
  iqr_multiplier?: number;
}

/**
 * Defaults live in code (OUTLIER_DEFAULTS), not in the schema: ajv fills schema defaults into every
 * `streams.<name>` object too, where they would override the top-level values.
 */
export const OUTLIER_DEFAULTS = {
  method: 'auto',
  action: 'drop',
  flag_column: 'is_outlier',
  fit_sample_rows: 100_000,
  lof_fit_rows: 2_000,
  seed: 42,
  z_threshold: 3,
  iqr_multiplier: 1.5,
} as const;

export const outliersConfigSchema = stageConfigSchema({
  options: {
    method: {
      type: 'string',
      enum: [...OUTLIER_METHODS],
      description: '(default auto) zscore and iqr judge each column alone; isolation_forest and lof judge rows; auto: lof up to 5 columns, isolation_forest above',
    },
    action: { type: 'string', enum: ['drop', 'flag'], description: '(default drop) drop outlier rows, or keep them and set flag_column' },
    flag_column: { type: 'string', minLength: 1, description: '(default is_outlier) Boolean column added by action: flag' },
    fit_sample_rows: {
      type: 'integer',
      minimum: 1,
      description: '(default 100000) Rows (seeded reservoir sample of complete rows) the isolation forest, the contamination estimate and PCA are fitted on',
    },
    lof_fit_rows: {
      type: 'integer',
      minimum: 2,
      description: '(default 2000) Rows local outlier factor is fitted on (a seeded subsample); every row is scored against them',
    },
    seed: { type: 'integer', description: '(default 42) Seed of the samples, the isolation forest and PCA' },
    z_threshold: { type: 'number', exclusiveMinimum: 0, description: '(default 3) zscore: keep mean - k*std <= x <= mean + k*std' },
    iqr_multiplier: { type: 'number', exclusiveMinimum: 0, description: '(default 1.5) iqr: keep Q1 - m*IQR <= x <= Q3 + m*IQR' },
  },
});
