/**
 * target-csv: one CSV file per stream. Columns are the schema's properties in order; objects and arrays
 * are written as JSON text; null is an empty field and the empty string a quoted empty field ("") so the
 * two stay apart. When a later SCHEMA (in this run, or a file from an earlier run) brings new columns, the
 * file is rewritten once with the wider header, old rows getting empty fields: one file per stream, never
 * a row under the wrong header.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'csv-parse';
import { ConfigurationError, SyncError, type ProgramDefinition, type SchemaMessage } from '@tapline/protocol';
import { ensureFolder, FILE_METADATA_FIELDS, recordWithMetadata, runTarget, type RecordBatch, type StreamSink, type TargetDriver, streamFilePath, syncFolder, valueText } from '@tapline/target-base';
import { csvConfigSchema, type CsvTargetConfig } from './csv-config.js';

/** The text of one field; null stays an empty cell. */
function cell(value: unknown): string | null {
  return value === null || value === undefined ? null : valueText(value);
}

/**
 * RFC 4180 rows. Written here rather than with csv-stringify because a null must stay an empty field while
 * an empty string is a quoted empty field (""), a distinction that library cannot express per value.
 */
export function csvEncoder(delimiter: string, quote: string): (rows: (string | null)[][]) => string {
  const doubled = quote + quote;
  const needsQuotes = (text: string): boolean =>
    text === '' || text.includes(delimiter) || text.includes(quote) || text.includes('\n') || text.includes('\r') || text.trim() !== text;
  const field = (value: string | null): string => {
    if (value === null) return '';
    return needsQuotes(value) ? quote + value.split(quote).join(doubled) + quote : value;
  };
  return (rows) => {
    let out = '';
    for (const row of rows) out += `${row.map(field).join(delimiter)}\n`;
    return out;
  };
}

interface OpenFile {
  handle: FileHandle;
  columns: string[];
  /** The file's name is new (created, or renamed into place): its folder is fsynced with the next batch. */
  created: boolean;
}

class CsvDriver implements TargetDriver {
  readonly supportsActivateVersion = false;
  private readonly files = new Map<string, OpenFile>();
  private readonly started = new Set<string>();
  private readonly startedAt = new Date();

  constructor(private readonly config: CsvTargetConfig) {
    this.encode = csvEncoder(config.delimiter, config.quote_character);
  }

  private readonly encode: (rows: (string | null)[][]) => string;

  async open(): Promise<void> {
    try {
      await mkdir(this.config.destination_path, { recursive: true });
    } catch (error) {
      throw new ConfigurationError(`cannot create the destination folder: ${(error as Error).message}`, { file: this.config.destination_path, cause: error });
    }
  }

  /** The header of an existing file, or undefined when the file is missing or empty. */
  private async existingHeader(path: string): Promise<string[] | undefined> {
    try {
      if ((await stat(path)).size === 0) return undefined;
    } catch {
      return undefined;
    }
    const parser = createReadStream(path).pipe(parse({ delimiter: this.config.delimiter, quote: this.config.quote_character, to_line: 1 }));
    for await (const row of parser) return row as string[];
    return undefined;
  }

  /** Rewrite `path` with `columns` as its header, old rows keeping their values under their old names. */
  private async widen(path: string, oldColumns: string[], columns: string[]): Promise<void> {
    const temporary = `${path}.tapline-widen`;
    const out = await open(temporary, 'w');
    try {
      await out.appendFile(this.encode([columns]));
      const parser = createReadStream(path).pipe(
        parse({
          delimiter: this.config.delimiter,
          quote: this.config.quote_character,
          from_line: 2,
          relax_column_count: true,
          cast: (value: string, context: { quoting: boolean }) => (value === '' && !context.quoting ? null : value),
        }),
      );
      let rows: (string | null)[][] = [];
      const index = columns.map((column) => oldColumns.indexOf(column));
      for await (const row of parser as AsyncIterable<(string | null)[]>) {
        rows.push(index.map((i) => (i < 0 ? null : (row[i] ?? null))));
        if (rows.length >= 10_000) {
          await out.appendFile(this.encode(rows));
          rows = [];
        }
      }
      if (rows.length > 0) await out.appendFile(this.encode(rows));
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(temporary, path);
  }

  async openStream(schema: SchemaMessage): Promise<StreamSink> {
    const path = streamFilePath(this.config.destination_path, this.config.file_naming, schema.stream, this.startedAt);
    const wanted = [...Object.keys(schema.schema.properties ?? {}), ...(this.config.add_record_metadata ? FILE_METADATA_FIELDS : [])];
    let file = this.files.get(path);
    try {
      if (file === undefined) {
        const fresh = this.config.mode === 'overwrite' && !this.started.has(path);
        await ensureFolder(path);
        const header = fresh ? undefined : await this.existingHeader(path);
        const handle = await open(path, fresh ? 'w' : 'a');
        this.started.add(path);
        file = { handle, columns: header ?? [], created: header === undefined };
        this.files.set(path, file);
        if (header === undefined && this.config.include_header) {
          file.columns = wanted;
          await handle.appendFile(this.encode([wanted]));
        } else if (header === undefined) {
          file.columns = wanted;
        }
      }
      const missing = wanted.filter((column) => !file!.columns.includes(column));
      if (missing.length > 0) {
        const columns = [...file.columns, ...missing];
        await file.handle.close();
        if (this.config.include_header) await this.widen(path, file.columns, columns);
        file.handle = await open(path, 'a');
        file.columns = columns;
        file.created = true;
      }
    } catch (error) {
      throw new SyncError(`cannot write ${path}: ${(error as Error).message}`, { cause: error, file: path });
    }
    return new CsvSink(file, path, this.config.add_record_metadata, this.encode);
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((file) => file.handle.close().catch(() => undefined)));
  }
}

class CsvSink implements StreamSink {
  constructor(
    private readonly file: OpenFile,
    private readonly path: string,
    private readonly withMetadata: boolean,
    private readonly encode: (rows: (string | null)[][]) => string,
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    const columns = this.file.columns;
    const rows = batch.records.map((pending) => {
      const values = this.withMetadata ? recordWithMetadata(pending) : pending.record;
      return columns.map((column) => cell(values[column]));
    });
    try {
      await this.file.handle.appendFile(this.encode(rows));
      // The STATE covering these rows is printed as soon as this resolves: the bytes must be on disk.
      await this.file.handle.datasync();
      if (this.file.created) {
        await syncFolder(dirname(this.path));
        this.file.created = false;
      }
    } catch (error) {
      throw new SyncError(`cannot write ${this.path}: ${(error as Error).message}`, { cause: error, file: this.path });
    }
  }
}

export const csvTarget: ProgramDefinition<CsvTargetConfig> = {
  name: 'target-csv',
  version: '0.1.0',
  kind: 'target',
  description: 'Writes each Singer stream to a CSV file; new columns widen the file; STATE is printed once rows are on disk.',
  configSchema: csvConfigSchema,
  capabilities: ['about', 'schema-evolution', 'append', 'overwrite'],
  async run(context) {
    await runTarget(context, new CsvDriver(context.config));
  },
};
