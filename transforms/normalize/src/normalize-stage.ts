/**
 * transform-normalize: min-max scaling, (x - min) / (max - min), of the numeric columns of every stream
 * (or the `columns` named). Nulls stay null; a column whose values are all equal (zero range) maps to 0.
 * Values near the largest double scale without overflow (a range beyond 1.8e308 is taken in halves).
 */
import { MinMaxAccumulator } from '@tapline/transform-core';
import { planScaledColumns, stageProgram, type Scaler, type ScaleParams, type StageDefinition } from '@tapline/transform-base';
import { normalizeConfigSchema, type NormalizeOptions } from './normalize-config.js';

export interface MinMaxParams {
  min: number | null;
  max: number | null;
}

export const minMaxScaler: Scaler<MinMaxParams> = {
  action: 'normalize',
  verb: 'min-max normalized',
  fitter() {
    const accumulator = new MinMaxAccumulator();
    return {
      add: (x) => accumulator.add(x),
      params: () => ({ min: accumulator.min ?? null, max: accumulator.max ?? null }),
    };
  },
  apply(x, { min, max }) {
    if (min === null || max === null) return 0;
    const range = max - min;
    // Zero range (a constant column): every value is the minimum, so 0 rather than 0/0.
    if (range === 0) return 0;
    const offset = x - min;
    if (Number.isFinite(range) && Number.isFinite(offset)) return offset / range;
    // A difference beyond the largest double (values near ±1.8e308): halves subtract without overflow, and
    // halving both sides of the quotient does not change it.
    return (x / 2 - min / 2) / (max / 2 - min / 2);
  },
  describe: ({ min, max }) => `min ${min ?? 'none'}, max ${max ?? 'none'}`,
};

export const normalizeStage: StageDefinition<NormalizeOptions, ScaleParams<MinMaxParams>> = {
  name: 'transform-normalize',
  planStream: (schema, options, context) => planScaledColumns(schema, options, context, minMaxScaler),
};

export const normalizeProgram = stageProgram({
  stage: normalizeStage,
  version: '0.1.0',
  description: 'Min-max normalize numeric columns to [0, 1]: (x - min) / (max - min), fitted per stream and kept in STATE',
  configSchema: normalizeConfigSchema,
});
