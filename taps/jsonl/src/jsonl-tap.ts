import type { ProgramDefinition } from '@tapline/protocol';
import { discoverTap, runTap, type TapSource } from '@tapline/tap-base';
import { FileTap } from '@tapline/tap-file-base';
import { jsonlTapConfigSchema, type JsonlStreamConfig, type JsonlTapConfig } from './jsonl-config.js';
import { JsonlFormat } from './jsonl-format.js';

function openJsonlTap(config: JsonlTapConfig, logger: import('@tapline/protocol').Logger): Promise<TapSource> {
  return Promise.resolve(new FileTap<JsonlStreamConfig>(config, new JsonlFormat(), logger));
}

export const jsonlTap: ProgramDefinition<JsonlTapConfig> = {
  name: 'tap-jsonl',
  version: '0.1.0',
  kind: 'tap',
  description: 'Singer tap for JSON Lines files: globs per stream, schema inference, INCREMENTAL by file modification time and name',
  configSchema: jsonlTapConfigSchema,
  capabilities: ['catalog', 'discover', 'state', 'properties', 'about'],
  async run(context) {
    await runTap(context, () => openJsonlTap(context.config, context.logger));
  },
  discover(context) {
    return discoverTap(() => openJsonlTap(context.config, context.logger));
  },
};
