import { stageConfigSchema, type BaseStageConfig } from '@tapline/transform-base';

/** Options of transform-clean-names, at the top level (all streams) or under streams.<name>. */
export interface CleanNamesOptions {
  enabled?: boolean;
  /** More words that get `_` appended (case-insensitive), on top of the built-in reserved words. */
  reserved_words?: string[];
}

export type CleanNamesConfig = BaseStageConfig & CleanNamesOptions;

export const cleanNamesConfigSchema = stageConfigSchema({
  options: {
    reserved_words: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'Extra reserved words (besides the SQL words reserved in every common target and Python keywords)',
    },
  },
});
