import { targetConfigSchema, type BaseTargetConfig } from '@tapline/target-base';

export interface JsonlTargetConfig extends BaseTargetConfig {
  /** Folder the files are written to; created when missing. */
  destination_path: string;
  /** File name per stream; `{stream}` is the stream name made safe for a file name, `{date}`/`{datetime}` the run start. */
  file_naming: string;
  /** `append` adds to existing files; `overwrite` replaces each stream's file on its first SCHEMA of the run. */
  mode: 'append' | 'overwrite';
  /** Add `_sdc_*` fields (extracted, received, sequence, table version) to every line. */
  add_record_metadata: boolean;
}

export const jsonlConfigSchema = targetConfigSchema({
  destination_path: { type: 'string', default: '.', description: 'Folder for the files (created if missing)' },
  file_naming: {
    type: 'string',
    default: '{stream}.jsonl',
    pattern: '\\{stream\\}',
    description: 'File name template, relative to destination_path; must contain {stream}; {date} and {datetime} are the run start (UTC), e.g. "{date}/{stream}.jsonl"',
  },
  mode: { type: 'string', enum: ['append', 'overwrite'], default: 'append', description: 'append to existing files or overwrite them' },
  add_record_metadata: { type: 'boolean', default: false, description: 'Add _sdc_* metadata fields to each record' },
});
