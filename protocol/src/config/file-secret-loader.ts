/** `secret('file', 'path')` and `{{ file('path') }}`: a file's contents, as Docker and Kubernetes mount secrets. */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigurationError } from '../errors.js';
import type { SecretLoader } from './secret-loaders.js';

/**
 * Read a text file relative to `baseDir`, without its one trailing newline: editors add one, and a
 * password with a stray "\n" fails to authenticate in ways that are miserable to debug. Only one, so a
 * PEM block keeps its shape.
 */
export async function readTextFile(path: string, baseDir: string): Promise<string> {
  // `~/` means the home folder, as in a shell: users write `{{ file('~/.ssh/id_ed25519') }}`.
  const absolute = path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : resolve(baseDir, path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a directory' : 'cannot be read';
    throw new ConfigurationError(`file "${path}" ${reason}`, {
      cause: error,
      hint: `Relative paths resolve against the config file's directory (here: ${absolute})`,
    });
  }
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

export const fileSecretLoader: SecretLoader = {
  name: 'file',
  load(id, { cwd }) {
    return readTextFile(id, cwd);
  },
};
