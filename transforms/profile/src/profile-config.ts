import type { JsonSchema } from '@tapline/protocol';

export interface ProfileConfig {
  /** Folder for the reports (created when missing), relative to the working directory. */
  output_dir: string;
  /** Streams to profile; all when absent. */
  streams?: string[];
  /** Rows sampled per stream (seeded reservoir); a stream with no more rows than this is profiled exactly. */
  sample_size: number;
  seed: number;
  /** Distinct values per column counted exactly before a sketch estimates the distinct count. */
  max_tracked_values: number;
}

export const profileConfigSchema: JsonSchema = {
  type: 'object',
  properties: {
    output_dir: { type: 'string', default: '.tapline/profile', description: 'Folder for <stream>.json and <stream>.html (created if missing)' },
    streams: { type: 'array', items: { type: 'string' }, description: 'Streams to profile (default: all); other streams pass through unparsed' },
    sample_size: { type: 'integer', minimum: 1, default: 100000, description: 'Rows kept per stream (seeded reservoir sample); up to this many rows every figure is exact' },
    seed: { type: 'integer', default: 0, description: 'Seed of the sample and of the quantile sketch, so reruns give the same report' },
    max_tracked_values: { type: 'integer', minimum: 1, default: 1000, description: 'Distinct values per column counted exactly; beyond, distinct counts are estimated' },
  },
  required: [],
  additionalProperties: false,
};
