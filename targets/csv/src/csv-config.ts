import { targetConfigSchema, type BaseTargetConfig } from '@tapline/target-base';

export interface CsvTargetConfig extends BaseTargetConfig {
  destination_path: string;
  file_naming: string;
  mode: 'append' | 'overwrite';
  delimiter: string;
  quote_character: string;
  include_header: boolean;
  add_record_metadata: boolean;
}

export const csvConfigSchema = targetConfigSchema({
  destination_path: { type: 'string', default: '.', description: 'Folder for the files (created if missing)' },
  file_naming: {
    type: 'string',
    default: '{stream}.csv',
    pattern: '\\{stream\\}',
    description: 'File name template, relative to destination_path; must contain {stream}; {date} and {datetime} are the run start (UTC), e.g. "{date}/{stream}.csv"',
  },
  mode: { type: 'string', enum: ['append', 'overwrite'], default: 'append', description: 'append to existing files or overwrite them' },
  delimiter: { type: 'string', minLength: 1, maxLength: 1, default: ',', description: 'Field delimiter' },
  quote_character: { type: 'string', minLength: 1, maxLength: 1, default: '"', description: 'Quote character' },
  include_header: { type: 'boolean', default: true, description: 'Write a header row when a file is created' },
  add_record_metadata: { type: 'boolean', default: false, description: 'Add _sdc_* metadata columns' },
});
