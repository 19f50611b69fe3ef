import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileNameForStream } from './record-metadata.js';

/**
 * The file of a stream: `{stream}` in the template is the stream name made safe for a file name;
 * `{date}` (2024-01-31) and `{datetime}` (20240131T235959Z) are the run's start time in UTC, so a daily
 * export can write `{date}/{stream}.csv`. Subfolders of the destination are created.
 */
export function streamFilePath(destination: string, template: string, stream: string, startedAt: Date): string {
  const iso = startedAt.toISOString();
  const date = iso.slice(0, 10);
  const datetime = `${iso.slice(0, 19).replace(/[-:]/g, '')}Z`;
  return join(destination, fileNameForStream(template.split('{date}').join(date).split('{datetime}').join(datetime), stream));
}

/** Create the folder of `path` when missing. */
export async function ensureFolder(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}

/**
 * fsync a folder, so that a file just created (or renamed) in it survives a crash: fdatasync of the file
 * alone makes its bytes durable, not its name. Some platforms cannot open a folder; there it is a no-op.
 */
export async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a directory; its file system journals the name anyway.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
