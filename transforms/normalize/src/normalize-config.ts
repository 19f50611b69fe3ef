import { stageConfigSchema, type BaseStageConfig, type ScaleOptions } from '@tapline/transform-base';

/** Options of transform-normalize, at the top level (all streams) or under streams.<name>. */
export interface NormalizeOptions extends ScaleOptions {
  enabled?: boolean;
}

export type NormalizeConfig = BaseStageConfig & NormalizeOptions;

export const normalizeConfigSchema = stageConfigSchema({ options: {} });
