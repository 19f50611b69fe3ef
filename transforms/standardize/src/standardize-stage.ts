/**
 * transform-standardize: z-scores, (x - mean) / std, of the numeric columns of every stream (or the
 * `columns` named). One ddof everywhere: the sample standard deviation (n - 1), as the statistics, the
 * profile and the z-score outlier rule use (the reference used the population std here only). Nulls stay
 * null; a column with zero deviation (constant, or a single value) maps to 0.
 */
import { MomentsAccumulator } from '@tapline/transform-core';
import { planScaledColumns, stageProgram, type Scaler, type ScaleParams, type StageDefinition } from '@tapline/transform-base';
import { standardizeConfigSchema, type StandardizeOptions } from './standardize-config.js';

export interface ZScoreParams {
  count: number;
  mean: number | null;
  /** Sample standard deviation (ddof 1); null below two values. */
  std: number | null;
}

export const zScoreScaler: Scaler<ZScoreParams> = {
  action: 'standardize',
  verb: 'standardized',
  fitter() {
    const moments = new MomentsAccumulator();
    return {
      add: (x) => moments.add(x),
      params: () => {
        const std = moments.sampleStd;
        return { count: moments.count, mean: moments.count === 0 ? null : moments.mean, std: Number.isFinite(std) ? std : null };
      },
    };
  },
  apply(x, { mean, std }) {
    // No deviation to divide by: every value equals the mean, which is 0 standard deviations away.
    if (mean === null || std === null || std === 0) return 0;
    const offset = x - mean;
    if (Number.isFinite(offset)) return offset / std;
    // A difference beyond the largest double (values near ±1.8e308): taken in halves, the same quotient.
    return (x / 2 - mean / 2) / (std / 2);
  },
  describe: ({ mean, std }) => `mean ${mean ?? 'none'}, sample std ${std ?? 'none'}`,
};

export const standardizeStage: StageDefinition<StandardizeOptions, ScaleParams<ZScoreParams>> = {
  name: 'transform-standardize',
  planStream: (schema, options, context) => planScaledColumns(schema, options, context, zScoreScaler),
};

export const standardizeProgram = stageProgram({
  stage: standardizeStage,
  version: '0.1.0',
  description: 'Standardize numeric columns to z-scores: (x - mean) / sample std, fitted per stream and kept in STATE',
  configSchema: standardizeConfigSchema,
});
