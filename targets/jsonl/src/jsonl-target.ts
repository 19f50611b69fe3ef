import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, SyncError, type ProgramDefinition, type SchemaMessage } from '@tapline/protocol';
import { fileNameForStream, recordWithMetadata, runTarget, type RecordBatch, type StreamSink, type TargetDriver } from '@tapline/target-base';
import { jsonlConfigSchema, type JsonlTargetConfig } from './jsonl-config.js';

class JsonlSink implements StreamSink {
  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly withMetadata: boolean,
  ) {}

  async write(batch: RecordBatch): Promise<void> {
    const lines: string[] = [];
    for (const pending of batch.records) {
      const record = this.withMetadata ? recordWithMetadata(pending) : pending.record;
      lines.push(JSON.stringify(record));
    }
    try {
      await this.handle.appendFile(`${lines.join('\n')}\n`, 'utf8');
      // STATE is printed as soon as this resolves, so the bytes must be on disk, not in the page cache.
      await this.handle.datasync();
    } catch (error) {
      throw new SyncError(`cannot write ${this.path}: ${(error as Error).message}`, { cause: error, file: this.path });
    }
  }
}

class JsonlDriver implements TargetDriver {
  readonly supportsActivateVersion = false;
  private readonly handles = new Map<string, FileHandle>();
  private readonly truncated = new Set<string>();

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
    const path = join(this.config.destination_path, fileNameForStream(this.config.file_naming, schema.stream));
    let handle = this.handles.get(path);
    if (handle === undefined) {
      // Overwrite means "this run's data replaces the last run's": truncate once, on the first SCHEMA.
      const flags = this.config.mode === 'overwrite' && !this.truncated.has(path) ? 'w' : 'a';
      try {
        handle = await open(path, flags);
      } catch (error) {
        throw new SyncError(`cannot open ${path}: ${(error as Error).message}`, { cause: error, file: path });
      }
      this.truncated.add(path);
      this.handles.set(path, handle);
    }
    return new JsonlSink(handle, path, this.config.add_record_metadata);
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((handle) => handle.close().catch(() => undefined)));
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
