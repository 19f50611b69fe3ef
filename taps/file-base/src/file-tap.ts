/**
 * The tap every file format shares. A format (CSV, JSON Lines) supplies schema inference and a reader that
 * turns one file into record JSON; this class does the rest: streams from config, catalog, file listing,
 * INCREMENTAL by file modification time and name, resuming inside a large file, metadata columns.
 */
import {
  ConfigurationError,
  DiscoveryError,
  standardMetadata,
  type Catalog,
  type CatalogStream,
  type JsonSchema,
  type Logger,
} from '@tapline/protocol';
import type { StreamSync, TapSource } from '@tapline/tap-base';
import { checkEncoding, type FileStreamConfig, type FileTapConfig } from './file-stream-config.js';
import { filesAfterBookmark, listFiles, type FileBookmark, type SourceFile } from './file-listing.js';
import { withoutNull } from './schema-inference.js';

export const METADATA_COLUMNS: Record<string, JsonSchema> = {
  _sdc_source_file: { type: 'string' },
  _sdc_source_file_mtime: { type: 'string', format: 'date-time' },
  _sdc_source_lineno: { type: 'integer' },
};

/** What a format reader needs to turn one file into records. */
export interface ReadPlan {
  /** The stream id, for error messages. */
  stream: string;
  /** The stream's schema as the catalog gives it. */
  schema: JsonSchema;
  /** The properties to emit (selected, keys included), metadata columns excluded. */
  properties: readonly string[];
  keyProperties: readonly string[];
  /** The metadata columns of a record starting at `line`, as JSON members without braces; undefined when off. */
  metadata: ((line: number) => string) | undefined;
  /** The stream's encoding, checked. */
  encoding: string;
}

export interface FileFormat<S extends FileStreamConfig> {
  /** Property schemas inferred from a sample of the files (read oldest first), in column order. */
  infer(stream: S, files: readonly SourceFile[], sampleRows: number, encoding: string): Promise<Record<string, JsonSchema>>;
  /** The records of one file as JSON object texts, in batches, in file order. */
  read(stream: S, file: SourceFile, plan: ReadPlan): AsyncIterable<string[]>;
}

export type FileTapSettings<S extends FileStreamConfig> = FileTapConfig & { streams: S[] };

export class FileTap<S extends FileStreamConfig> implements TapSource {
  private readonly streams = new Map<string, S>();
  private readonly encodings = new Map<string, string>();
  private readonly listed = new Map<string, Promise<SourceFile[]>>();

  constructor(
    private readonly config: FileTapSettings<S>,
    private readonly format: FileFormat<S>,
    private readonly logger: Logger,
    private readonly cwd: string = process.cwd(),
  ) {
    checkEncoding(config.encoding ?? 'utf-8');
    config.streams.forEach((stream, index) => {
      if (this.streams.has(stream.name)) {
        throw new ConfigurationError(`two streams are named "${stream.name}"`, { path: `streams[${index}].name`, hint: 'Give every stream its own name' });
      }
      this.streams.set(stream.name, stream);
      this.encodings.set(stream.name, checkEncoding(stream.encoding ?? config.encoding ?? 'utf-8', stream.name));
    });
  }

  /** The stream's files, listed once per run (oldest first). */
  private files(stream: S): Promise<SourceFile[]> {
    let files = this.listed.get(stream.name);
    if (files === undefined) {
      files = listFiles(stream.name, stream.paths, this.cwd).then((found) => {
        if (found.length === 0) this.logger.warn(`stream ${stream.name}: no file matches ${stream.paths.join(', ')}`);
        return found;
      });
      this.listed.set(stream.name, files);
    }
    return files;
  }

  async discover(): Promise<Catalog> {
    const streams: CatalogStream[] = [];
    for (const config of this.streams.values()) streams.push(await this.discoverStream(config));
    return { streams };
  }

  private async discoverStream(config: S): Promise<CatalogStream> {
    const name = config.name;
    let schema: JsonSchema;
    if (config.schema !== undefined) {
      schema = { type: 'object', ...structuredClone(config.schema) };
      if (schema.properties === undefined || typeof schema.properties !== 'object') {
        throw new ConfigurationError('the schema has no "properties"', { stream: name, path: 'schema', hint: 'Write {"type": "object", "properties": {"id": {"type": "integer"}, ...}}' });
      }
    } else {
      const files = await this.files(config);
      const inferred = await this.format.infer(config, files, this.config.sample_rows ?? 10000, this.encodings.get(name) ?? 'utf-8');
      for (const key of config.key_properties ?? []) if (inferred[key] !== undefined) inferred[key] = withoutNull(inferred[key]);
      schema = { type: 'object', properties: { ...inferred, ...structuredClone(config.schema_overrides ?? {}) } };
    }
    const properties = schema.properties as Record<string, JsonSchema>;
    for (const key of config.key_properties ?? []) {
      if (properties[key] === undefined) {
        const columns = Object.keys(properties);
        throw new DiscoveryError(`key property "${key}" is not a column of the stream`, {
          stream: name,
          column: key,
          hint: columns.length === 0 ? 'No file was found to read the columns from' : `Its columns are ${columns.map((c) => JSON.stringify(c)).join(', ')}`,
        });
      }
    }
    if (this.config.add_metadata_columns) Object.assign(properties, structuredClone(METADATA_COLUMNS));
    const keys = [...(config.key_properties ?? [])];
    return {
      tap_stream_id: name,
      stream: name,
      schema,
      key_properties: keys,
      metadata: standardMetadata({ schema, keyProperties: keys, replicationMethod: config.replication_method ?? 'INCREMENTAL', selectedByDefault: true }),
    };
  }

  /** Every selected stream must be one of the config's, with its plain paths present, before any output. */
  async prepare(streams: readonly CatalogStream[]): Promise<void> {
    for (const stream of streams) {
      const config = this.streams.get(stream.tap_stream_id);
      if (config === undefined) {
        throw new DiscoveryError('the catalog selects a stream the config does not define', {
          stream: stream.tap_stream_id,
          hint: `Add it to "streams" in the config, or run --discover again (the config has ${[...this.streams.keys()].join(', ')})`,
        });
      }
      await this.files(config);
    }
  }

  async syncStream(sync: StreamSync): Promise<void> {
    const config = this.streams.get(sync.streamId);
    if (config === undefined) throw new Error(`stream ${sync.streamId} was not prepared`);
    if (sync.method === 'LOG_BASED') {
      throw new ConfigurationError('LOG_BASED replication does not apply to files', { stream: sync.streamId, hint: 'Use INCREMENTAL or FULL_TABLE' });
    }
    const incremental = sync.method === 'INCREMENTAL';
    const all = await this.files(config);
    const bookmark = sync.bookmark as FileBookmark;
    const files = incremental ? filesAfterBookmark(all, bookmark) : all;
    sync.logger.info(`${sync.streamId}: ${files.length} of ${all.length} file(s) to read${incremental && files.length < all.length ? ' (the others were read by earlier runs)' : ''}`);
    const resume = incremental ? bookmark.file_resume : undefined;
    const withMetadata = this.config.add_metadata_columns === true;
    const properties = sync.properties.filter((name) => !(withMetadata && name in METADATA_COLUMNS));
    const emitMetadata = withMetadata && sync.properties.some((name) => name in METADATA_COLUMNS);
    for (const file of files) {
      const skip = resume !== undefined && resume.file === file.path && resume.modified === file.modifiedAt ? resume.records : 0;
      if (skip > 0) sync.logger.info(`${sync.streamId}: resuming ${file.path} after its first ${skip} records`);
      const fileJson = `"_sdc_source_file":${JSON.stringify(file.path)},"_sdc_source_file_mtime":"${file.modifiedAt}","_sdc_source_lineno":`;
      const plan: ReadPlan = {
        stream: sync.streamId,
        schema: sync.stream.schema,
        properties,
        keyProperties: sync.keyProperties,
        metadata: emitMetadata ? (line) => fileJson + String(line) : undefined,
        encoding: this.encodings.get(config.name) ?? 'utf-8',
      };
      let done = 0;
      for await (const batch of this.format.read(config, file, plan)) {
        let room = true;
        for (const json of batch) {
          done += 1;
          if (done <= skip) continue;
          if (!sync.writeRecordJson(json)) room = false;
          if (incremental && sync.stateDue()) sync.checkpoint({ file_resume: { file: file.path, modified: file.modifiedAt, records: done } });
        }
        if (!room || sync.signal.aborted) await sync.drain();
      }
      sync.logger.debug(`${sync.streamId}: read ${file.path} (${done} records)`);
      if (incremental) sync.updateBookmark({ last_modified: file.modifiedAt, last_file: file.path, file_resume: undefined });
    }
  }

  async close(): Promise<void> {
    this.listed.clear();
  }
}
