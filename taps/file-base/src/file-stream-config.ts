import { ConfigurationError, type JsonSchema } from '@tapline/protocol';
import { BASE_TAP_PROPERTIES, type BaseTapConfig } from '@tapline/tap-base';

/** One stream of a file tap: which files, and what the user already knows about them. */
export interface FileStreamConfig {
  /** The stream name (and tap_stream_id). */
  name: string;
  /** Files or globs; relative paths are relative to the working directory. */
  paths: string[];
  key_properties?: string[];
  /** A complete JSON Schema for the records: no inference. */
  schema?: JsonSchema;
  /** Property schemas that replace the inferred ones (a zip code column that must stay a string, say). */
  schema_overrides?: Record<string, JsonSchema>;
  /** INCREMENTAL (default: new and changed files only) or FULL_TABLE (every file, every run). */
  replication_method?: 'INCREMENTAL' | 'FULL_TABLE';
  encoding?: string;
}

/** Settings every file tap has, besides its streams. */
export interface FileTapConfig extends BaseTapConfig {
  /** Rows (CSV) or lines (JSONL) read per stream to infer a schema. */
  sample_rows: number;
  /** Add _sdc_source_file, _sdc_source_file_mtime and _sdc_source_lineno to every record. */
  add_metadata_columns: boolean;
  encoding: string;
}

/** The stream settings every file tap shares; a tap adds its format's settings to these. */
export const FILE_STREAM_PROPERTIES: Record<string, JsonSchema> = {
  name: { type: 'string', minLength: 1, description: 'Stream name, also its tap_stream_id (e.g. "orders")' },
  paths: {
    type: 'array',
    minItems: 1,
    items: { type: 'string', minLength: 1 },
    description: 'Files or globs (e.g. ["data/orders-*.csv"]); relative to the working directory. A plain path that does not exist is an error; a glob may match nothing yet',
  },
  key_properties: { type: 'array', items: { type: 'string' }, description: 'Columns that identify a record (for upserts in the target)' },
  schema: {
    type: 'object',
    description: 'The stream\'s JSON Schema ({"type": "object", "properties": {...}}); when given, nothing is inferred',
  },
  schema_overrides: {
    type: 'object',
    additionalProperties: { type: 'object' },
    description: 'Property schemas that replace inferred ones, e.g. {"zip": {"type": ["null", "string"]}}',
  },
  replication_method: {
    type: 'string',
    enum: ['INCREMENTAL', 'FULL_TABLE'],
    description: 'INCREMENTAL (default) reads only files newer than the bookmark (modification time, then name); FULL_TABLE reads every file on every run',
  },
  encoding: { type: 'string', minLength: 1, description: 'Text encoding of this stream\'s files; overrides the top-level encoding' },
};

export const FILE_TAP_PROPERTIES: Record<string, JsonSchema> = {
  ...BASE_TAP_PROPERTIES,
  sample_rows: { type: 'integer', minimum: 1, default: 10000, description: 'Records read per stream (across its oldest files) to infer the schema' },
  add_metadata_columns: {
    type: 'boolean',
    default: false,
    description: 'Add _sdc_source_file, _sdc_source_file_mtime and _sdc_source_lineno to every record',
  },
  encoding: {
    type: 'string',
    minLength: 1,
    default: 'utf-8',
    description: 'Text encoding: utf-8 (a BOM is skipped; also utf-8-sig), latin1 / windows-1252 / cp1252, or any other WHATWG label except UTF-16',
  },
};

/** A file tap's config schema: its streams (shared plus format settings) and top-level settings. */
export function fileTapConfigSchema(streamProperties: Record<string, JsonSchema>, topLevel: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    properties: {
      ...FILE_TAP_PROPERTIES,
      ...topLevel,
      streams: {
        type: 'array',
        minItems: 1,
        description: 'The streams to read: each a name, its files or globs, and optional keys, schema and format settings',
        items: {
          type: 'object',
          properties: { ...FILE_STREAM_PROPERTIES, ...streamProperties },
          required: ['name', 'paths'],
          additionalProperties: false,
        },
      },
    },
    required: ['streams'],
    additionalProperties: false,
  };
}

/**
 * A TextDecoder label checked up front, so a typo fails before any output. UTF-16 is refused: files are
 * split into lines on the byte 0x0A, which is only a line break in ASCII-compatible encodings.
 */
/** Python's names for encodings that WHATWG spells otherwise (files often come from pandas). */
const PYTHON_ENCODINGS: Record<string, string> = { 'utf-8-sig': 'utf-8', utf_8_sig: 'utf-8', 'utf8-sig': 'utf-8', 'latin-1': 'latin1', latin_1: 'latin1' };

export function checkEncoding(label: string, stream?: string): string {
  let name: string;
  try {
    name = new TextDecoder(PYTHON_ENCODINGS[label.trim().toLowerCase()] ?? label).encoding;
  } catch {
    throw new ConfigurationError(`unknown encoding "${label}"`, {
      ...(stream === undefined ? {} : { stream }),
      path: 'encoding',
      hint: 'Use utf-8, latin1, windows-1252 or another WHATWG encoding label',
    });
  }
  if (name.startsWith('utf-16')) {
    throw new ConfigurationError(`encoding "${label}" is not supported`, {
      ...(stream === undefined ? {} : { stream }),
      path: 'encoding',
      hint: 'Convert the files to UTF-8 first (iconv -f UTF-16 -t UTF-8)',
    });
  }
  return name;
}
