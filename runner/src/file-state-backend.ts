/**
 * State in a local file, written so that a crash at any instant leaves either the old or the new state:
 * the new one goes to a temporary file in the same folder, is fsynced, renamed over the old one, and the
 * folder is fsynced so the rename itself survives a power cut. The file holds a plain Singer state, so it
 * can be handed to any tap with `--state`. The history of replaced states sits next to it as JSON lines.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigurationError, parseExact, parseState, isEmptyState, readStateFile, stringifyExact, type SingerState } from '@tapline/protocol';
import { checkStateToSave, HISTORY_LIMIT, type SaveStateOptions, type StateBackend, type StateHistoryEntry } from './state-backend.js';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Write `text` to `path` atomically: temp file, fsync, rename, fsync the folder. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

export class FileStateBackend implements StateBackend {
  readonly description: string;
  private readonly historyPath: string;

  constructor(private readonly path: string) {
    this.description = `file ${path}`;
    this.historyPath = path.replace(/\.json$/, '') + '.history.jsonl';
  }

  async load(): Promise<SingerState | undefined> {
    if (!(await exists(this.path))) return undefined;
    // Takes what orchestrators hand over (a plain state, a STATE line, appended STATE lines) and says
    // which file is not JSON.
    const value = await readStateFile(this.path);
    if (value === undefined) return undefined;
    const state = parseState(value, this.path);
    return isEmptyState(state) ? undefined : state;
  }

  async save(state: SingerState, options: SaveStateOptions): Promise<void> {
    const current = await this.load();
    checkStateToSave(current, state, options);
    if (options.keepHistory && current !== undefined) await this.appendHistory(current);
    await writeFileAtomic(this.path, `${stringifyExact(state)}\n`);
  }

  async clear(): Promise<void> {
    const current = await this.load();
    if (current !== undefined) await this.appendHistory(current);
    await rm(this.path, { force: true });
  }

  async rollback(): Promise<SingerState> {
    const entries = await this.history();
    const previous = entries.pop();
    if (previous === undefined) {
      throw new ConfigurationError('there is no earlier state to roll back to', { file: this.historyPath, hint: 'Set one with `tapline state set`' });
    }
    await writeFileAtomic(this.path, `${stringifyExact(previous.state)}\n`);
    await this.writeHistory(entries);
    return previous.state;
  }

  async history(): Promise<StateHistoryEntry[]> {
    if (!(await exists(this.historyPath))) return [];
    const text = await readFile(this.historyPath, 'utf8');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, index) => {
        try {
          const entry = parseExact(line) as { state: unknown; replaced_at: string };
          return { state: parseState(entry.state, this.historyPath), replacedAt: entry.replaced_at };
        } catch (error) {
          if (error instanceof ConfigurationError) throw error;
          throw new ConfigurationError('the state history is not JSON lines', { file: this.historyPath, line: index + 1, cause: error });
        }
      });
  }

  async dispose(): Promise<void> {}

  private async appendHistory(state: SingerState): Promise<void> {
    const entries = await this.history();
    entries.push({ state, replacedAt: new Date().toISOString() });
    await this.writeHistory(entries.slice(-HISTORY_LIMIT));
  }

  private async writeHistory(entries: StateHistoryEntry[]): Promise<void> {
    if (entries.length === 0) {
      await rm(this.historyPath, { force: true });
      return;
    }
    const text = entries.map((entry) => stringifyExact({ replaced_at: entry.replacedAt, state: entry.state })).join('\n');
    await writeFileAtomic(this.historyPath, `${text}\n`);
  }
}
