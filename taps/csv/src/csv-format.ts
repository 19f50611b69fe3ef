/** CSV for the file tap: header handling, schema inference from text cells, and rows to record JSON. */
import { ConfigurationError, DataError, type JsonSchema } from '@tapline/protocol';
import { METADATA_COLUMNS, TextColumnInference, readTextChunks, type FileFormat, type ReadPlan, type SourceFile } from '@tapline/tap-file-base';
import { csvDialect, type CsvStreamConfig, type CsvTapConfig } from './csv-config.js';
import { CsvRowParser, type CsvSyntax, type ParsedRows } from './csv-parser.js';
import { columnType, type ColumnType } from './csv-types.js';

/**
 * Column names as the header writes them, spaces and symbols included (transform-clean-names tidies them
 * later); only what cannot be a property name is changed: an empty name becomes `column_<n>` and a
 * repeated one gets `_2`, `_3`.
 */
export function columnNames(header: readonly string[]): string[] {
  const seen = new Set<string>();
  return header.map((raw, index) => {
    let name = raw === '' ? `column_${index + 1}` : raw;
    for (let n = 2; seen.has(name); n += 1) name = `${raw === '' ? `column_${index + 1}` : raw}_${n}`;
    seen.add(name);
    return name;
  });
}

function generatedNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `column_${i + 1}`);
}

function raggedRow(row: readonly string[], names: readonly string[], file: string, line: number, stream: string, against: 'header' | 'first row' | 'schema'): DataError {
  return new DataError(`the row has ${row.length} field${row.length === 1 ? '' : 's'} but the ${against} has ${names.length}`, {
    file,
    line,
    stream,
    hint: 'Quote fields that contain the delimiter, or check the delimiter and quote_character settings',
  });
}

/** How one selected property is read from a row of a file. */
interface ColumnReader extends ColumnType {
  name: string;
  /** Its position in the file's rows, or -1 when the file does not have the column (always null). */
  index: number;
  /** `"name":`, ready to concatenate. */
  member: string;
  key: boolean;
}

export class CsvFormat implements FileFormat<CsvStreamConfig> {
  constructor(private readonly config: CsvTapConfig) {}

  private dialect(stream: CsvStreamConfig): { syntax: CsvSyntax; header: boolean; nulls: Set<string> } {
    const dialect = csvDialect(this.config, stream);
    if (dialect.delimiter === dialect.quote_character) {
      throw new ConfigurationError('the delimiter and the quote character are the same', { stream: stream.name, hint: 'Set delimiter or quote_character' });
    }
    return {
      syntax: { delimiter: dialect.delimiter, quote: dialect.quote_character, escape: dialect.escape_character },
      header: dialect.header,
      nulls: new Set(dialect.null_values),
    };
  }

  /** Rows of a file, a chunk at a time. */
  private async *rows(path: string, encoding: string, syntax: CsvSyntax, chunkBytes?: number): AsyncGenerator<ParsedRows> {
    const parser = new CsvRowParser(syntax, path);
    let line = 1;
    for await (const chunk of readTextChunks(path, encoding, chunkBytes)) {
      line = chunk.firstLine;
      const parsed = parser.push(chunk.text, chunk.firstLine, false);
      if (parsed.rows.length > 0) yield parsed;
    }
    // Only an unclosed quoted field can be left over; this reports it.
    const last = parser.push('', line, true);
    if (last.rows.length > 0) yield last;
  }

  async infer(stream: CsvStreamConfig, files: readonly SourceFile[], sampleRows: number, encoding: string): Promise<Record<string, JsonSchema>> {
    const { syntax, header, nulls } = this.dialect(stream);
    const columns = new Map<string, TextColumnInference>();
    let sampled = 0;
    for (const file of files) {
      let names: string[] | undefined;
      // Once the sample is complete only the header is wanted: read a small first chunk, not 64 KiB.
      const chunkBytes = sampled >= sampleRows ? 4096 : undefined;
      reading: for await (const { rows, lines } of this.rows(file.path, encoding, syntax, chunkBytes)) {
        for (let r = 0; r < rows.length; r += 1) {
          const row = rows[r] as string[];
          if (names === undefined) {
            names = header ? columnNames(row) : generatedNames(row.length);
            for (const name of names) if (!columns.has(name)) columns.set(name, new TextColumnInference());
            if (header) continue;
          }
          // Past the sample, every later file still contributes its header (its columns), not its rows.
          if (sampled >= sampleRows) break reading;
          if (row.length !== names.length) throw raggedRow(row, names, file.path, lines[r] as number, stream.name, header ? 'header' : 'first row');
          for (let i = 0; i < row.length; i += 1) {
            const text = row[i] as string;
            if (!nulls.has(text)) columns.get(names[i] as string)?.observe(text);
          }
          sampled += 1;
        }
      }
    }
    const decimals = this.config.decimals ?? 'string';
    return Object.fromEntries([...columns].map(([name, inference]) => [name, inference.schema(decimals)]));
  }

  async *read(stream: CsvStreamConfig, file: SourceFile, plan: ReadPlan): AsyncGenerator<string[]> {
    const { syntax, header, nulls } = this.dialect(stream);
    const properties = (plan.schema.properties ?? {}) as Record<string, JsonSchema>;
    const onlyEmptyIsNull = nulls.size === 1 && nulls.has('');
    const keys = new Set(plan.keyProperties);
    let names: string[] | undefined;
    let columns: ColumnReader[] = [];
    const unknownColumn = (name: string): DataError =>
      new DataError(`column "${name}" is not in the stream's schema`, {
        file: file.path,
        line: 1,
        stream: plan.stream,
        column: name,
        hint: 'Run --discover again so the catalog has it, or add it to "schema"',
      });
    const start = (row: string[] | undefined): void => {
      const schemaNames = Object.keys(properties).filter((name) => !(name in METADATA_COLUMNS));
      if (header) {
        names = columnNames(row ?? []);
        for (const name of names) if (properties[name] === undefined) throw unknownColumn(name);
      } else {
        // Without a header, columns are the schema's properties in order (or column_1... as discovered).
        names = schemaNames;
      }
      columns = plan.properties.map((name) => {
        const type = columnType(properties[name] ?? {});
        return { name, index: (names as string[]).indexOf(name), member: `${JSON.stringify(name)}:`, ...type, key: keys.has(name) };
      });
    };
    for await (const { rows, lines } of this.rows(file.path, plan.encoding, syntax)) {
      const records: string[] = [];
      for (let r = 0; r < rows.length; r += 1) {
        const row = rows[r] as string[];
        if (names === undefined) {
          start(row);
          if (header) continue;
        }
        const line = lines[r] as number;
        const width = (names as string[]).length;
        if (row.length !== width) throw raggedRow(row, names as string[], file.path, line, plan.stream, header ? 'header' : 'schema');
        let json = '{';
        for (let c = 0; c < columns.length; c += 1) {
          const column = columns[c]!;
          const text = column.index < 0 ? undefined : row[column.index];
          let value: string | undefined;
          if (text === undefined || (onlyEmptyIsNull ? text === '' : nulls.has(text))) {
            if (column.key || !column.nullable) {
              throw new DataError(column.key ? `key property "${column.name}" is empty` : `"${column.name}" is empty but its schema does not allow null`, {
                file: file.path,
                line,
                stream: plan.stream,
                column: column.name,
                hint: column.key ? 'Every row needs a value in its key columns; fix the file or change key_properties' : 'Allow null in its schema ("type": ["null", ...])',
              });
            }
            value = 'null';
          } else {
            value = column.convert(text);
            if (value === undefined) {
              throw new DataError(`${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text)} is not ${column.description}`, {
                file: file.path,
                line,
                stream: plan.stream,
                column: column.name,
                hint: `Declare the column in "schema_overrides" (e.g. {"type": ["null", "string"]}), or raise sample_rows so that inference sees such values`,
              });
            }
          }
          json += c === 0 ? column.member + value : `,${column.member}${value}`;
        }
        if (plan.metadata !== undefined) json += (columns.length === 0 ? '' : ',') + plan.metadata(line);
        records.push(`${json}}`);
      }
      if (records.length > 0) yield records;
    }
  }
}
