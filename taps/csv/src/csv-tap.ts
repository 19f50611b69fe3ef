import type { ProgramDefinition } from '@tapline/protocol';
import { discoverTap, runTap, type TapSource } from '@tapline/tap-base';
import { FileTap } from '@tapline/tap-file-base';
import { csvTapConfigSchema, type CsvStreamConfig, type CsvTapConfig } from './csv-config.js';
import { CsvFormat } from './csv-format.js';

function openCsvTap(config: CsvTapConfig, logger: import('@tapline/protocol').Logger): Promise<TapSource> {
  return Promise.resolve(new FileTap<CsvStreamConfig>(config, new CsvFormat(config), logger));
}

export const csvTap: ProgramDefinition<CsvTapConfig> = {
  name: 'tap-csv',
  version: '0.1.0',
  kind: 'tap',
  description: 'Singer tap for CSV files: globs per stream, schema inference, INCREMENTAL by file modification time and name',
  configSchema: csvTapConfigSchema,
  capabilities: ['catalog', 'discover', 'state', 'properties', 'about'],
  async run(context) {
    await runTap(context, () => openCsvTap(context.config, context.logger));
  },
  discover(context) {
    return discoverTap(() => openCsvTap(context.config, context.logger));
  },
};
