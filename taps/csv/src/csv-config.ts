import type { JsonSchema } from '@tapline/protocol';
import { fileTapConfigSchema, type FileStreamConfig, type FileTapConfig } from '@tapline/tap-file-base';

/** How a stream's files are written; each setting may also be given at the top level for every stream. */
export interface CsvDialectConfig {
  delimiter?: string;
  quote_character?: string;
  /** Escapes a quote inside a quoted field; the default (the quote itself) means RFC 4180's `""`. */
  escape_character?: string;
  /** The first row names the columns (default true). */
  header?: boolean;
  /** Cell texts read as null (default: only the empty cell). */
  null_values?: string[];
}

export interface CsvStreamConfig extends FileStreamConfig, CsvDialectConfig {}

export interface CsvTapConfig extends FileTapConfig, CsvDialectConfig {
  streams: CsvStreamConfig[];
  /** Inferred exact decimals: `string` (singer.decimal text, the default) or `number` (a 64-bit float). */
  decimals: 'string' | 'number';
}

const DIALECT_PROPERTIES: Record<string, JsonSchema> = {
  delimiter: { type: 'string', minLength: 1, maxLength: 1, description: 'Field delimiter (default ","; "\\t" for TSV)' },
  quote_character: { type: 'string', minLength: 1, maxLength: 1, description: 'Quote character (default \'"\')' },
  escape_character: {
    type: 'string',
    minLength: 1,
    maxLength: 1,
    description: 'Escapes a quote inside a quoted field (default: the quote character itself, as in "a ""b"" c"; "\\\\" for \\")',
  },
  header: { type: 'boolean', description: 'The first row holds the column names (default true); without one, columns come from "schema" or are named column_1, column_2, ...' },
  null_values: { type: 'array', items: { type: 'string' }, description: 'Cell texts read as null (default [""]: only empty cells), e.g. ["", "NA", "N/A"]' },
};

export const csvTapConfigSchema: JsonSchema = fileTapConfigSchema(DIALECT_PROPERTIES, {
  ...DIALECT_PROPERTIES,
  decimals: {
    type: 'string',
    enum: ['string', 'number'],
    default: 'string',
    description: 'How inferred decimal columns travel: "string" as exact singer.decimal text (default), "number" as JSON numbers (64-bit floats)',
  },
});

/** A stream's dialect: its own settings, else the top-level ones, else the defaults. */
export function csvDialect(config: CsvTapConfig, stream: CsvStreamConfig): Required<CsvDialectConfig> {
  const delimiter = stream.delimiter ?? config.delimiter ?? ',';
  const quote = stream.quote_character ?? config.quote_character ?? '"';
  return {
    delimiter,
    quote_character: quote,
    escape_character: stream.escape_character ?? config.escape_character ?? quote,
    header: stream.header ?? config.header ?? true,
    null_values: stream.null_values ?? config.null_values ?? [''],
  };
}
