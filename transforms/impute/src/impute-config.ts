import { stageConfigSchema, type BaseStageConfig } from '@tapline/transform-base';

export const IMPUTE_STRATEGIES = ['auto', 'average', 'median', 'mode', 'constant', 'random', 'sequential', 'column', 'drop_row', 'noop'] as const;
export type ImputeStrategyName = (typeof IMPUTE_STRATEGIES)[number];

/** One column's setting: a strategy name, or an object with the strategy's arguments. */
export interface ColumnImputeSetting {
  strategy: ImputeStrategyName;
  /** constant: the value to fill (default 0 for numbers, `missing` for strings). */
  value?: unknown;
  /** column: the column whose value fills the gap. */
  source_column?: string;
  /** sequential: forward (carry the last value on) or backward (take the next value). */
  direction?: 'forward' | 'backward';
}

/** Options of transform-impute, at the top level (all streams) or under streams.<name>. */
export interface ImputeOptions {
  enabled?: boolean;
  /** Strategy for every column not listed in `columns` (default auto: the reference's rules). */
  strategy?: ImputeStrategyName;
  /** Per-column strategies; with `strategy: auto` only these columns are filled when given. */
  columns?: Record<string, ImputeStrategyName | ColumnImputeSetting>;
  /** Seed for random fill (and for the type-detection sample). */
  seed?: number;
  /** Direction of sequential fill when a column does not say. */
  direction?: 'forward' | 'backward';
}

export type ImputeConfig = BaseStageConfig & ImputeOptions;

const strategySchema = { type: 'string', enum: [...IMPUTE_STRATEGIES] };
const directionSchema = { type: 'string', enum: ['forward', 'backward'] };

export const imputeConfigSchema = stageConfigSchema({
  options: {
    strategy: { ...strategySchema, default: 'auto', description: 'Strategy for columns not listed in columns' },
    seed: { type: 'integer', default: 0, description: 'Seed for random fill and type-detection sampling' },
    direction: { ...directionSchema, default: 'forward', description: 'Sequential fill direction' },
  },
  columns: {
    type: 'object',
    description: 'Per-column strategy: a name, or {strategy, value, source_column, direction}',
    additionalProperties: {
      anyOf: [
        strategySchema,
        {
          type: 'object',
          properties: {
            strategy: strategySchema,
            value: { description: 'constant: the value to fill' },
            source_column: { type: 'string', minLength: 1, description: 'column: where the value comes from' },
            direction: directionSchema,
          },
          required: ['strategy'],
          additionalProperties: false,
        },
      ],
    },
  },
});
