import { stageConfigSchema, type BaseStageConfig, type ScaleOptions } from '@tapline/transform-base';

/** Options of transform-standardize, at the top level (all streams) or under streams.<name>. */
export interface StandardizeOptions extends ScaleOptions {
  enabled?: boolean;
}

export type StandardizeConfig = BaseStageConfig & StandardizeOptions;

export const standardizeConfigSchema = stageConfigSchema({ options: {} });
