import type { JsonSchema } from '@tapline/protocol';
import { fileTapConfigSchema, type FileStreamConfig, type FileTapConfig } from '@tapline/tap-file-base';

export type JsonlStreamConfig = FileStreamConfig;

export interface JsonlTapConfig extends FileTapConfig {
  streams: JsonlStreamConfig[];
}

export const jsonlTapConfigSchema: JsonSchema = fileTapConfigSchema({}, {});
