import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { DiscoveryError, type Bookmark } from '@tapline/protocol';

/** A file to read, as listed at the start of a stream. */
export interface SourceFile {
  /** Absolute path. */
  path: string;
  /** Modification time in whole milliseconds (the precision the bookmark keeps). */
  mtimeMs: number;
  /** The same as ISO 8601 text, as it appears in the bookmark and in _sdc_source_file_mtime. */
  modifiedAt: string;
  size: number;
}

/**
 * Every file the patterns name, oldest first by modification time and then by path: the order files are
 * read in, and the order the bookmark advances in. A plain path must exist; a glob may match nothing (the
 * files may simply not have arrived yet), which is logged by the caller.
 */
export async function listFiles(stream: string, patterns: readonly string[], cwd: string): Promise<SourceFile[]> {
  const paths = new Set<string>();
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      for (const path of await glob(pattern, { cwd, absolute: true, onlyFiles: true, dot: false, expandDirectories: false })) paths.add(resolve(path));
      continue;
    }
    const path = resolve(cwd, pattern);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new DiscoveryError(`file ${path} does not exist or cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
        stream,
        file: path,
        cause: error,
        hint: 'Fix the path in "paths", or use a glob (e.g. "data/*.csv") if the file may not exist yet',
      });
    }
    if (info.isDirectory()) {
      throw new DiscoveryError(`${path} is a folder, not a file`, { stream, file: path, hint: `Use a glob such as "${pattern.replace(/\/$/, '')}/*"` });
    }
    paths.add(path);
  }
  const files: SourceFile[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      continue; // removed between listing and stat: as if it had never been listed
    }
    const mtimeMs = Math.floor(info.mtimeMs);
    files.push({ path, mtimeMs, modifiedAt: new Date(mtimeMs).toISOString(), size: info.size });
  }
  return files.sort(compareFiles);
}

export function compareFiles(a: { mtimeMs: number; path: string }, b: { mtimeMs: number; path: string }): number {
  if (a.mtimeMs !== b.mtimeMs) return a.mtimeMs - b.mtimeMs;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * The incremental bookmark of a file stream: the last file read completely, by modification time and path,
 * and (while a large file is being read) how many of its records were already emitted.
 */
export interface FileBookmark extends Bookmark {
  last_modified?: string;
  last_file?: string;
  file_resume?: { file: string; modified: string; records: number };
}

/** The files a run must read: those after the bookmark's (modification time, path). */
export function filesAfterBookmark(files: readonly SourceFile[], bookmark: FileBookmark): SourceFile[] {
  if (typeof bookmark.last_modified !== 'string') return [...files];
  const lastMs = Date.parse(bookmark.last_modified);
  if (Number.isNaN(lastMs)) return [...files];
  const last = { mtimeMs: lastMs, path: typeof bookmark.last_file === 'string' ? bookmark.last_file : '' };
  return files.filter((file) => compareFiles(file, last) > 0);
}
