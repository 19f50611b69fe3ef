/**
 * `{{ env_var('NAME') }}`, `{{ env_var('NAME', 'fallback') }}`, `{{ file('path') }}` and
 * `{{ secret('loader', 'id') }}` inside config string values.
 *
 * Templates are resolved after files are merged and the profile applied, so a value that a later file or
 * profile overrides is never resolved (its env var need not exist). Before merging, every string with
 * `{{` in it is wrapped in a TemplateString that remembers its file, which is how `file('x')` resolves
 * against the directory of the file that wrote it rather than the first file or the working directory.
 *
 * Messages name functions, variables, files and ids but never quote the template text: a literal
 * fallback may itself be a password.
 */
import { TaplineError, ConfigurationError } from '../errors.js';
import { registerSecret } from '../redaction.js';
import { InvalidConfigError, formatKeyPath, type ConfigIssue, type ConfigKeyPath } from './config-issues.js';
import { didYouMean } from './did-you-mean.js';
import { readTextFile } from './file-secret-loader.js';
import { isPlainObject, setOwn } from './merge.js';
import { getSecretLoader, secretLoaderNames } from './secret-loaders.js';

export interface TemplateOrigin {
  /** The config file as the user named it. */
  file: string;
  /** Its directory, the base for relative paths. */
  dir: string;
}

/** A config string containing `{{`, carried through merging as an opaque value. */
export class TemplateString {
  constructor(
    readonly text: string,
    readonly origin: TemplateOrigin,
  ) {}
}

/** Wrap every templated string of one file's settings, so it remembers where it came from. */
export function markTemplates(value: unknown, origin: TemplateOrigin): unknown {
  if (typeof value === 'string') return value.includes('{{') ? new TemplateString(value, origin) : value;
  if (Array.isArray(value)) return value.map((item) => markTemplates(item, origin));
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) setOwn(result, key, markTemplates(item, origin));
    return result;
  }
  return value;
}

export type TemplateSegment = { kind: 'text'; text: string } | { kind: 'call'; name: string; args: string[] };

export type ParsedTemplate = { ok: true; segments: TemplateSegment[] } | { ok: false; message: string };

const TEMPLATE_FUNCTIONS = ['env_var', 'file', 'secret'] as const;
const USAGE = "Use {{ env_var('NAME') }}, {{ env_var('NAME', 'fallback') }}, {{ file('path') }} or {{ secret('loader', 'id') }}";

/** Split a string into literal text and function calls. */
export function parseTemplate(text: string): ParsedTemplate {
  const segments: TemplateSegment[] = [];
  let position = 0;
  for (;;) {
    const open = text.indexOf('{{', position);
    if (open === -1) break;
    if (open > position) segments.push({ kind: 'text', text: text.slice(position, open) });
    const close = findClose(text, open + 2);
    if (close === -1) return { ok: false, message: `template syntax error: '{{' at character ${open + 1} has no closing '}}'` };
    const call = parseCall(text.slice(open + 2, close));
    if ('message' in call) return { ok: false, message: `template syntax error: ${call.message}` };
    segments.push(call);
    position = close + 2;
  }
  if (position < text.length) segments.push({ kind: 'text', text: text.slice(position) });
  return { ok: true, segments };
}

/** The index of the `}}` that ends a template, skipping quoted arguments (which may contain `}}`). */
function findClose(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '}' && text.charAt(i + 1) === '}') {
      return i;
    }
  }
  return -1;
}

function parseCall(source: string): { kind: 'call'; name: string; args: string[] } | { message: string } {
  let i = 0;
  const skipSpace = (): void => {
    while (/\s/.test(source.charAt(i))) i++;
  };
  skipSpace();
  const identifier = /[A-Za-z_][A-Za-z0-9_]*/y;
  identifier.lastIndex = i;
  const match = identifier.exec(source);
  if (!match) return { message: "expected a function call such as env_var('NAME') between '{{' and '}}'" };
  const name = match[0];
  i = identifier.lastIndex;
  skipSpace();
  if (source.charAt(i) !== '(') return { message: `expected '(' after ${name}` };
  i++;
  const args: string[] = [];
  skipSpace();
  if (source.charAt(i) === ')') {
    i++;
  } else {
    for (;;) {
      skipSpace();
      const quote = source.charAt(i);
      if (quote !== "'" && quote !== '"') return { message: `the arguments of ${name}(...) must be quoted strings` };
      i++;
      let value = '';
      for (;;) {
        const c = source.charAt(i);
        if (c === '') return { message: `unterminated quoted argument in ${name}(...)` };
        i++;
        if (c === quote) break;
        if (c === '\\') {
          const next = source.charAt(i);
          i++;
          // Only quotes and backslashes are escapes, so a Windows path like C:\secrets\db keeps its backslashes.
          value += next === quote || next === '\\' ? next : `\\${next}`;
          continue;
        }
        value += c;
      }
      args.push(value);
      skipSpace();
      const separator = source.charAt(i);
      i++;
      if (separator === ')') break;
      if (separator !== ',') return { message: `expected ',' or ')' after an argument of ${name}(...)` };
    }
  }
  skipSpace();
  if (i < source.length) return { message: `unexpected text after ${name}(...)` };
  return { kind: 'call', name, args };
}

export interface TemplateContext {
  env: NodeJS.ProcessEnv;
}

export interface ResolvedTemplates {
  value: Record<string, unknown>;
  /** Where templates were, so the loader can turn "5432" into 5432 for an integer setting. */
  templatedPaths: ConfigKeyPath[];
}

interface Job {
  path: ConfigKeyPath;
  template: TemplateString;
  set: (value: string) => void;
}

type CallResult = { ok: true; value: string } | { ok: false; issue: Omit<ConfigIssue, 'path' | 'file'> } | { ok: false; fatal: unknown };

/**
 * Resolve every template in the tree. All problems are collected and thrown together as one
 * InvalidConfigError; an error that is not about the configuration (a secret store that cannot be
 * reached) is thrown as itself when the configuration is otherwise fine.
 */
export async function resolveTemplates(config: Record<string, unknown>, context: TemplateContext): Promise<ResolvedTemplates> {
  const jobs: Job[] = [];
  const value = collect(config, [], jobs) as Record<string, unknown>;
  const cache = new Map<string, Promise<string>>();
  const issues: ConfigIssue[] = [];
  const fatal: unknown[] = [];
  await Promise.all(
    jobs.map(async (job) => {
      const path = formatKeyPath(job.path);
      const file = job.template.origin.file;
      const parsed = parseTemplate(job.template.text);
      if (!parsed.ok) {
        issues.push({ path, file, message: parsed.message, hint: USAGE });
        return;
      }
      const results = await Promise.all(
        parsed.segments.map((segment): Promise<CallResult> | CallResult =>
          segment.kind === 'text' ? { ok: true, value: segment.text } : callFunction(segment.name, segment.args, job.template.origin, context, cache),
        ),
      );
      let text = '';
      let failed = false;
      for (const result of results) {
        if (result.ok) {
          text += result.value;
          continue;
        }
        failed = true;
        if ('issue' in result) {
          issues.push({ ...result.issue, path, file });
        } else {
          if (result.fatal instanceof TaplineError) result.fatal.where.path ??= path;
          fatal.push(result.fatal);
        }
      }
      if (!failed) job.set(text);
    }),
  );
  if (issues.length > 0) {
    // Jobs finish in any order; report in the order the keys appear in the config.
    const order = new Map(jobs.map((job, index) => [formatKeyPath(job.path), index]));
    issues.sort((a, b) => (order.get(a.path) ?? 0) - (order.get(b.path) ?? 0));
    throw new InvalidConfigError(issues);
  }
  if (fatal.length > 0) throw fatal[0];
  return { value, templatedPaths: jobs.map((job) => job.path) };
}

function collect(value: unknown, path: ConfigKeyPath, jobs: Job[]): unknown {
  if (value instanceof TemplateString) return value; // replaced by its job's setter
  if (Array.isArray(value)) {
    const result: unknown[] = [];
    value.forEach((item, index) => {
      result[index] = collect(item, [...path, index], jobs);
      if (item instanceof TemplateString) jobs.push({ path: [...path, index], template: item, set: (text) => (result[index] = text) });
    });
    return result;
  }
  if (isPlainObject(value)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      setOwn(result, key, collect(item, [...path, key], jobs));
      if (item instanceof TemplateString) jobs.push({ path: [...path, key], template: item, set: (text) => setOwn(result, key, text) });
    }
    return result;
  }
  return value;
}

function arityIssue(name: string, expected: string, got: number): CallResult {
  return { ok: false, issue: { message: `${name}() takes ${expected}, got ${got}`, hint: USAGE } };
}

async function callFunction(
  name: string,
  args: string[],
  origin: TemplateOrigin,
  context: TemplateContext,
  cache: Map<string, Promise<string>>,
): Promise<CallResult> {
  switch (name) {
    case 'env_var': {
      const [variable, fallback] = args;
      if (variable === undefined || args.length > 2) return arityIssue(name, '1 or 2 arguments (name, fallback)', args.length);
      const value = context.env[variable] ?? fallback;
      if (value === undefined) {
        return {
          ok: false,
          issue: { message: `environment variable "${variable}" is not set`, hint: `Set ${variable}, or give a fallback: env_var('${variable}', '...')` },
        };
      }
      return { ok: true, value };
    }
    case 'file': {
      const [path] = args;
      if (path === undefined || args.length > 1) return arityIssue(name, '1 argument (path)', args.length);
      return settle(() => readTextFile(path, origin.dir), `file\0${origin.dir}\0${path}`, cache, `file("${path}")`);
    }
    case 'secret': {
      const [loaderName, id] = args;
      if (loaderName === undefined || id === undefined || args.length > 2) return arityIssue(name, "2 arguments (loader, id)", args.length);
      const loader = getSecretLoader(loaderName);
      if (!loader) {
        const known = secretLoaderNames();
        return {
          ok: false,
          issue: { message: `unknown secret loader "${loaderName}"${didYouMean(loaderName, known, { prefixes: true })}`, hint: `Known loaders: ${known.join(', ')}` },
        };
      }
      const key = `secret\0${loaderName}\0${origin.dir}\0${id}`;
      return settle(() => loader.load(id, { env: context.env, cwd: origin.dir }), key, cache, `secret loader "${loaderName}" for "${id}"`);
    }
    default:
      return { ok: false, issue: { message: `unknown template function "${name}"${didYouMean(name, TEMPLATE_FUNCTIONS, { prefixes: true })}`, hint: USAGE } };
  }
}

/** Load once per config (the same secret is often used twice), register the value, classify failures. */
async function settle(
  load: () => Promise<string>,
  key: string,
  cache: Map<string, Promise<string>>,
  source: string,
): Promise<CallResult> {
  let pending = cache.get(key);
  if (!pending) {
    pending = load().then((value) => {
      if (typeof value !== 'string') throw new ConfigurationError(`${source} returned no text`);
      registerSecret(value);
      return value;
    });
    cache.set(key, pending);
  }
  try {
    return { ok: true, value: await pending };
  } catch (error) {
    if (error instanceof ConfigurationError) {
      return { ok: false, issue: { message: error.message, ...(error.hint ? { hint: error.hint } : {}), cause: error } };
    }
    if (error instanceof TaplineError) return { ok: false, fatal: error };
    // A third-party loader that throws a plain error: report it as a config problem, keeping the cause.
    return { ok: false, issue: { message: `${source} failed`, cause: error } };
  }
}
