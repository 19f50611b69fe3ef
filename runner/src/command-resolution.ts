/**
 * Turning a pipeline's `command` into an argv we can spawn without a shell. A shell would hide the real
 * process behind `sh -c` (signals and exit codes would be the shell's), so a command string is split
 * into words here, with the quoting people write in YAML, and the program is looked up the way npm
 * scripts do: node_modules/.bin upwards from the pipeline and the working directory, then PATH.
 */
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError } from '@tapline/protocol';
import type { CommandSpec } from './pipeline-config.js';

/** Split a command line into words: whitespace separates, single and double quotes group, `\` escapes. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (quote) throw new ConfigurationError(`unterminated ${quote} quote in the command "${text}"`);
  if (inWord) words.push(current);
  return words;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function ancestors(dir: string): string[] {
  const found: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    found.push(current);
    if (dirname(current) === current) return found;
  }
}

/**
 * A Tapline program's bin declared by an installed @tapline package. npm links bins into node_modules/.bin
 * only at install time, so a workspace package built after that has none; its package.json still says where
 * the bin is.
 */
function scopedPackageBin(nodeModules: string, name: string): string | undefined {
  const scope = join(nodeModules, '@tapline');
  if (!existsSync(scope)) return undefined;
  for (const entry of readdirSync(scope)) {
    try {
      const pkgDir = join(scope, entry);
      const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { bin?: Record<string, string> | string };
      const bin = typeof pkg.bin === 'object' ? pkg.bin[name] : undefined;
      if (bin !== undefined && existsSync(join(pkgDir, bin))) return join(pkgDir, bin);
    } catch {
      // not a package: ignore
    }
  }
  return undefined;
}

export interface ResolveOptions {
  /** Folder of the pipeline file: relative paths and the first node_modules search start here. */
  dir: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The config path of the command, for the error message (`tap.command`). */
  path: string;
}

/** Find a bare program name, or undefined. */
export function findProgram(name: string, options: Omit<ResolveOptions, 'path'>): string | undefined {
  const runnerDir = dirname(fileURLToPath(import.meta.url));
  const starts = [options.dir, options.cwd ?? process.cwd(), runnerDir];
  const nodeModules = [...new Set(starts.flatMap(ancestors).map((dir) => join(dir, 'node_modules')))];
  for (const folder of nodeModules) {
    const candidate = join(folder, '.bin', name);
    if (isExecutableFile(candidate)) return candidate;
  }
  for (const folder of nodeModules) {
    const bin = scopedPackageBin(folder, name);
    if (bin !== undefined) return bin;
  }
  const path = (options.env ?? process.env).PATH ?? '';
  for (const folder of path.split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * The argv to spawn for a command: its program found (or a ConfigurationError naming the setting), and a
 * JavaScript file run with this Node, which neither depends on the file's mode nor on which `node` is first
 * on PATH.
 */
export function resolveCommand(spec: CommandSpec, options: ResolveOptions): string[] {
  const words = Array.isArray(spec) ? [...spec] : splitCommand(spec);
  const [program, ...args] = words;
  if (program === undefined || program === '') throw new ConfigurationError('the command is empty', { path: options.path });
  let found: string | undefined;
  if (program.includes('/') || isAbsolute(program)) {
    const candidate = resolve(options.dir, program);
    if (existsSync(candidate)) found = candidate;
  } else {
    found = findProgram(program, options);
  }
  if (found === undefined) {
    throw new ConfigurationError(`command "${program}" not found`, {
      path: options.path,
      hint: program.includes('/')
        ? 'Relative paths resolve against the pipeline file\'s folder; check the path'
        : 'Install the program (npm install, pip install) or give its path; looked in node_modules/.bin and PATH',
    });
  }
  if (/^\.[mc]?js$/.test(extname(found))) return [process.execPath, found, ...args];
  return [found, ...args];
}

/** A short label for a transform from its command: `transform-impute`, or the script's name. */
export function commandLabel(spec: CommandSpec): string {
  const words = Array.isArray(spec) ? spec : splitCommand(spec);
  const interpreters = /^(node|nodejs|python3?|sh|bash|deno|bun|npx)$/;
  const first = words[0] ?? 'transform';
  const word = interpreters.test(first.split('/').pop() ?? '') && words[1] !== undefined ? words[1] : first;
  const base = word.split('/').pop() ?? word;
  return base.replace(/\.(m?js|cjs|py|sh)$/, '') || 'transform';
}
