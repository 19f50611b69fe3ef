import { stringifyExact } from '@tapline/protocol';
import type { PendingRecord } from './target-driver.js';

/**
 * A value (not null) as the text a destination stores for it: a string as it is, an object or array as its
 * JSON, anything else (numbers, booleans, bigints for integers beyond 2^53) as String() writes it. Integers
 * beyond 2^53 keep every digit, nested ones too.
 */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return stringifyExact(value);
  return String(value);
}

/** The Singer `_sdc_*` fields a file destination adds to each record when asked to. */
export const FILE_METADATA_FIELDS = ['_sdc_extracted_at', '_sdc_received_at', '_sdc_sequence', '_sdc_table_version'] as const;

export function recordWithMetadata(pending: PendingRecord): Record<string, unknown> {
  return {
    ...pending.record,
    _sdc_extracted_at: pending.timeExtracted ?? null,
    _sdc_received_at: new Date(pending.receivedAt).toISOString(),
    _sdc_sequence: pending.sequence,
    _sdc_table_version: pending.version ?? null,
  };
}

/**
 * A file name for a stream from a template containing `{stream}`: path separators and control characters
 * become `_`, and a leading dot too, so a stream name can never escape the destination folder.
 */
export function fileNameForStream(template: string, stream: string): string {
  // eslint-disable-next-line no-control-regex
  const safe = stream.replace(/[/\\\x00-\x1f]/g, '_').replace(/^\.+/, '_');
  return template.split('{stream}').join(safe);
}
