/**
 * Reading one config file: JSON or YAML by extension, either for anything else. Parse errors name the file,
 * line and column but never quote the file's text, because a config file may hold a plain-text password.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type * as YamlModule from 'yaml';
import { ConfigurationError } from '../errors.js';
import { isPlainObject } from './merge.js';

export interface ConfigFile {
  /** The path as the user gave it, used in messages. */
  file: string;
  /** Absolute path. */
  path: string;
  /** Directory that relative paths inside this file's values resolve against. */
  dir: string;
  data: Record<string, unknown>;
}

type Format = 'json' | 'yaml';

interface SyntaxProblem {
  format: Format;
  message: string;
  line?: number;
  column?: number;
}

export async function readConfigFile(file: string, cwd: string): Promise<ConfigFile> {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new ConfigurationError(`cannot read the config file: ${reason}`, {
      file,
      cause: error,
      hint: `Check the --config path (resolved to ${path})`,
    });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const format = formatOf(path);
  // The YAML parser is loaded only for a file that may be YAML: a JSON config never pays for it.
  const yaml = format === 'json' ? undefined : await import('yaml');
  const data = parseConfigText(text, format, file, yaml);
  if (!isPlainObject(data)) {
    const found = data === null || data === undefined ? 'it is empty' : `found ${Array.isArray(data) ? 'an array' : typeof data}`;
    throw new ConfigurationError(`the config file must hold an object of settings at the top level; ${found}`, {
      file,
      hint: 'Write the settings as key: value pairs (YAML) or {"key": value} (JSON)',
    });
  }
  return { file, path, dir: dirname(path), data };
}

function formatOf(path: string): Format | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yml' || extension === '.yaml') return 'yaml';
  return undefined;
}

function parseConfigText(text: string, format: Format | undefined, file: string, yaml: typeof YamlModule | undefined): unknown {
  let problem: SyntaxProblem;
  if (format === 'json') {
    const parsed = parseJson(text);
    if (parsed.ok) return parsed.value;
    problem = parsed.problem;
  } else if (format === 'yaml') {
    const parsed = parseYaml(yaml as typeof YamlModule, text);
    if (parsed.ok) return parsed.value;
    problem = parsed.problem;
  } else {
    // Unknown extension: JSON first (stricter, so a JSON file gets JSON's error), then YAML.
    const json = parseJson(text);
    if (json.ok) return json.value;
    const asYaml = parseYaml(yaml as typeof YamlModule, text);
    if (asYaml.ok) return asYaml.value;
    problem = /^\s*[[{]/.test(text) ? json.problem : asYaml.problem;
  }
  const where = problem.column === undefined ? '' : ` (column ${problem.column})`;
  throw new ConfigurationError(`the config file is not valid ${problem.format === 'json' ? 'JSON' : 'YAML'}${where}: ${problem.message}`, {
    file,
    ...(problem.line === undefined ? {} : { line: problem.line }),
    hint: 'Fix the syntax at that line',
  });
}

type ParseResult = { ok: true; value: unknown } | { ok: false; problem: SyntaxProblem };

function parseYaml(yaml: typeof YamlModule, text: string): ParseResult {
  const lineCounter = new yaml.LineCounter();
  // prettyErrors would append the offending source line to the message; we only want its position.
  const document = yaml.parseDocument(text, { lineCounter, prettyErrors: false });
  const [error] = document.errors;
  if (error === undefined) return { ok: true, value: document.toJS() };
  const { line, col } = lineCounter.linePos(error.pos[0]);
  return { ok: false, problem: { format: 'yaml', message: lowerFirst(error.message), line, column: col } };
}

function parseJson(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // V8's message quotes the surrounding text ("...": hunter2"... is not valid JSON), so we locate the
    // error ourselves and describe it without quoting anything.
    const found = locateJsonError(text);
    if (found === undefined) return { ok: false, problem: { format: 'json', message: 'syntax error' } };
    const before = text.slice(0, found.offset);
    const line = before.split('\n').length;
    const column = found.offset - before.lastIndexOf('\n');
    return { ok: false, problem: { format: 'json', message: found.message, line, column } };
  }
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** A strict JSON scanner that only reports where the first error is and what was expected there. */
export function locateJsonError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const fail = (message: string): never => {
    throw new JsonSyntax(i, message);
  };
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const describe = (c: string): string => (c === '' ? 'end of file' : c < ' ' ? `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `'${c}'`);
  const string = (): void => {
    i++;
    for (;;) {
      const c = text.charAt(i);
      if (c === '') fail('unterminated string');
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const escape = text.charAt(i + 1);
        if (escape === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in a string');
          i += 6;
        } else if ('"\\/bfnrt'.includes(escape) && escape !== '') {
          i += 2;
        } else {
          fail('invalid escape in a string');
        }
        continue;
      }
      if (c < ' ') fail(`${describe(c)} inside a string`);
      i++;
    }
  };
  const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    skipSpace();
    const c = text.charAt(i);
    if (c === '{') {
      i++;
      skipSpace();
      if (text.charAt(i) === '}') {
        i++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text.charAt(i) !== '"') fail(`expected a double-quoted property name, found ${describe(text.charAt(i))}`);
        string();
        skipSpace();
        if (text.charAt(i) !== ':') fail(`expected ':' after a property name, found ${describe(text.charAt(i))}`);
        i++;
        value();
        skipSpace();
        const next = text.charAt(i);
        i++;
        if (next === '}') return;
        if (next !== ',') {
          i--;
          fail(`expected ',' or '}' after a property value, found ${describe(next)}`);
        }
      }
    }
    if (c === '[') {
      i++;
      skipSpace();
      if (text.charAt(i) === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        skipSpace();
        const next = text.charAt(i);
        i++;
        if (next === ']') return;
        if (next !== ',') {
          i--;
          fail(`expected ',' or ']' after an array element, found ${describe(next)}`);
        }
      }
    }
    if (c === '"') return string();
    number.lastIndex = i;
    if (number.test(text)) {
      i = number.lastIndex;
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    fail(c === '' ? 'unexpected end of file' : `unexpected ${describe(c)}`);
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail(`unexpected ${describe(text.charAt(i))} after the end of the JSON value`);
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntax) return { offset: error.offset, message: error.message };
    return undefined; // nesting deep enough to overflow the stack: the caller says "syntax error"
  }
}
