import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigurationError, SyncError, stringifyExact, type ProgramDefinition, type SchemaMessage } from '@tapline/protocol';
import { ensureFolder, recordWithMetadata, runTarget, type RecordBatch, type StreamSink, type TargetDriver, streamFilePath, syncFolder } from '@tapline/target-base';
import { jsonlConfigSchema, type JsonlTargetConfig } from './jsonl-config.js';

interface OpenFile {
  handle: FileHandle;
  /** The file was created by this run: its folder is fsynced once with the first batch. */
  created: boolean;
}

class JsonlSink implements StreamSink {
  constructor(
    private readonly file: OpenFile,
    private readonly path: string,
    private readonly withMetadata: boolean,
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    const lines: string[] = [];
    for (const pending of batch.records) {
      const record = this.withMetadata ? recordWithMetadata(pending) : pending.record;
      // Integers beyond 2^53 arrive as bigints: written digit for digit (JSON.stringify would throw).
      lines.push(stringifyExact(record));
    }
    try {
      await this.file.handle.appendFile(`${lines.join('\n')}\n`, 'utf8');
      // STATE is printed as soon as this resolves, so the bytes must be on disk, not in the page cache;
      // and for a new file its name too.
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

class JsonlDriver implements TargetDriver {
  readonly supportsActivateVersion = false;
  private readonly files = new Map<string, OpenFile>();
  private readonly truncated = new Set<string>();
  private readonly startedAt = new Date();

  constructor(private readonly config: JsonlTargetConfig) {}

  async open(): Promise<void> {
    try {
      await mkdir(this.config.destination_path, { recursive: true });
    } catch (error) {
      throw new ConfigurationError(`cannot create the destination folder: ${(error as Error).message}`, {
        file: this.config.destination_path,
        cause: error,
        hint: 'Set destination_path to a folder you can write to',
      });
    }
  }

  async openStream(schema: SchemaMessage): Promise<StreamSink> {
    const path = streamFilePath(this.config.destination_path, this.config.file_naming, schema.stream, this.startedAt);
    let file = this.files.get(path);
    if (file === undefined) {
      // Overwrite means "this run's data replaces the last run's": truncate once, on the first SCHEMA.
      const flags = this.config.mode === 'overwrite' && !this.truncated.has(path) ? 'w' : 'a';
      try {
        await ensureFolder(path);
        // 'ax' fails when the file exists: then it is opened for appending, else it is new.
        let created = true;
        let handle: FileHandle;
        try {
          handle = await open(path, flags === 'w' ? 'w' : 'ax');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          created = false;
          handle = await open(path, 'a');
        }
        file = { handle, created };
      } catch (error) {
        throw new SyncError(`cannot open ${path}: ${(error as Error).message}`, { cause: error, file: path });
      }
      this.truncated.add(path);
      this.files.set(path, file);
    }
    return new JsonlSink(file, path, this.config.add_record_metadata);
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((file) => file.handle.close().catch(() => undefined)));
  }
}

export const jsonlTarget: ProgramDefinition<JsonlTargetConfig> = {
  name: 'target-jsonl',
  version: '0.1.0',
  kind: 'target',
  description: 'Writes each Singer stream to a JSON Lines file; STATE is printed once the lines are on disk.',
  configSchema: jsonlConfigSchema,
  capabilities: ['about', 'schema-evolution', 'append', 'overwrite'],
  async run(context) {
    await runTarget(context, new JsonlDriver(context.config));
  },
};
