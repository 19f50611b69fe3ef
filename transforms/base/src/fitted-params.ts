/**
 * Fitted parameters, kept so that an incremental run transforms new rows exactly as the first run did:
 * in a JSON file named by `params_file`, and in every STATE the stage passes on, under the stage's own
 * key (`value["transform-normalize"] = { version: 1, streams: { <stream>: params } }`) so that a pipeline
 * that persists state keeps them without any extra file.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ConfigurationError, replaceBigInts, stringifyExact } from '@tapline/protocol';

export const PARAMS_VERSION = 1;

export interface SavedParams {
  version: number;
  streams: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key of a fitted integer beyond 2^53 as saved: `{"$bigint": "9223372036854775807"}`. */
const BIGINT_KEY = '$bigint';

/**
 * Params as saved: an exact integer beyond 2^53 (an imputed id, say) as `{"$bigint": "<digits>"}`, so that
 * it survives any state store, including ones that read JSON numbers as doubles.
 */
export function savedForm(value: unknown): unknown {
  return replaceBigInts(value, (integer) => ({ [BIGINT_KEY]: integer.toString() }));
}

/**
 * Params as read back: savedForm undone. Every exact integer was saved wrapped, so a bare integer beyond
 * 2^53 that the state reader took as a bigint is a double written in its shortest form (a range fitted
 * on bigint ids: `"max":12345678901234567000`), and is that double again.
 */
export function revivedForm(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(revivedForm);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  const digits = value[BIGINT_KEY];
  if (keys.length === 1 && typeof digits === 'string' && /^-?\d+$/.test(digits)) return BigInt(digits);
  const copy: Record<string, unknown> = {};
  for (const key of keys) copy[key] = revivedForm(value[key]);
  return copy;
}

/** The stage's params inside a state value, or undefined when it holds none (or another version). */
export function paramsFromState(stateValue: unknown, stageKey: string): Record<string, unknown> | undefined {
  if (!isObject(stateValue)) return undefined;
  const saved = stateValue[stageKey];
  if (!isObject(saved) || saved.version !== PARAMS_VERSION || !isObject(saved.streams)) return undefined;
  return revivedForm(saved.streams) as Record<string, unknown>;
}

/** A copy of the state value with the stage's params set; non-object states are returned unchanged. */
export function stateWithParams(stateValue: unknown, stageKey: string, streams: Record<string, unknown>): unknown {
  if (!isObject(stateValue)) return stateValue;
  const saved: SavedParams = { version: PARAMS_VERSION, streams: savedForm(streams) as Record<string, unknown> };
  return { ...stateValue, [stageKey]: saved };
}

/** The JSON text stateWithParams puts under the stage's key, made once for the many STATEs that carry it. */
export function savedParamsText(streams: Record<string, unknown>): string {
  const saved: SavedParams = { version: PARAMS_VERSION, streams: savedForm(streams) as Record<string, unknown> };
  return stringifyExact(saved);
}

/** `{...}` of members given as [key, JSON text], leaving out those without text (undefined values, as JSON.stringify does). */
function objectText(members: Iterable<readonly [string, string | undefined]>): string {
  let text = '';
  for (const [key, value] of members) {
    if (value === undefined) continue;
    text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${value}`;
  }
  return `{${text}}`;
}

/**
 * The line of a STATE message (an object value) with the stage's params set in its value, the params given
 * as savedParamsText: the same text as stringifyExact({ ...message, value: stateWithParams(...) }), but
 * without serializing the params again at every STATE (a fitted model can be hundreds of kilobytes, and
 * some taps send a STATE every few hundred records).
 */
export function stateLineWithParams(message: Record<string, unknown>, stageKey: string, paramsText: string): string {
  const value = message.value as Record<string, unknown>;
  function* valueMembers(): Generator<readonly [string, string | undefined]> {
    for (const key of Object.keys(value)) yield [key, key === stageKey ? paramsText : (stringifyExact(value[key]) as string | undefined)];
    if (!Object.prototype.hasOwnProperty.call(value, stageKey)) yield [stageKey, paramsText];
  }
  function* messageMembers(): Generator<readonly [string, string | undefined]> {
    for (const key of Object.keys(message)) yield [key, key === 'value' ? objectText(valueMembers()) : (stringifyExact(message[key]) as string | undefined)];
  }
  return objectText(messageMembers());
}

const STATE_PREFIX = Buffer.from('{"type":"STATE","value":{');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Where the stage's params go in a STATE line: [from, to) of the line becomes `before` + the params' text. */
export interface ParamsPlace {
  from: number;
  to: number;
  before: string;
}

/**
 * Where the params go in a STATE line of the compact shape `{"type":"STATE","value":{...}}` (already
 * checked to be JSON): in place of the value of the stage's key, or as a last member of `value`. So a STATE
 * is written with just that member new, its other bytes as they came, without parsing and serializing all
 * of it again at each STATE (a state echoed by a tap carries every stage's params of the last run).
 * Undefined for any other shape, or a key written with escapes; such a line is serialized in full instead.
 */
export function paramsPlace(bytes: Buffer, start: number, end: number, stageKey: string): ParamsPlace | undefined {
  const open = start + STATE_PREFIX.length - 1;
  if (end - start < STATE_PREFIX.length + 2 || bytes[end - 1] !== 0x7d) return undefined;
  for (let k = 0; k < STATE_PREFIX.length; k += 1) if (bytes[start + k] !== STATE_PREFIX[k]) return undefined;
  const key = Buffer.from(JSON.stringify(stageKey));
  let depth = 0;
  let expectKey = false;
  let members = 0;
  let valueFrom = -1;
  let valueTo = -1;
  for (let i = open; i < end; i += 1) {
    const c = bytes[i] as number;
    if (c === QUOTE) {
      const from = i;
      let escaped = false;
      for (i += 1; i < end && bytes[i] !== QUOTE; i += 1) {
        if (bytes[i] === BACKSLASH) {
          escaped = true;
          i += 1;
        }
      }
      if (i >= end) return undefined; // an unterminated string: not a line the intake let through
      if (depth === 1 && expectKey) {
        expectKey = false;
        members += 1;
        if (escaped) return undefined; // it might spell the stage's key another way
        if (i + 1 - from === key.length && bytes.compare(key, 0, key.length, from, i + 1) === 0) {
          if (valueFrom !== -1 || bytes[i + 1] !== 0x3a) return undefined; // twice, or a space before the colon
          valueFrom = i + 2;
        }
      }
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth === 1) expectKey = true;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 1 && valueFrom !== -1 && valueTo === -1) valueTo = i;
      depth -= 1;
      if (depth === 0) {
        // `value` must be the message's last member: only its closing brace may follow.
        if (i !== end - 2) return undefined;
        if (valueFrom !== -1) return { from: valueFrom, to: valueTo, before: '' };
        return { from: i, to: i, before: `${members > 0 ? ',' : ''}${key.toString()}:` };
      }
    } else if (c === 0x2c && depth === 1) {
      if (valueFrom !== -1 && valueTo === -1) valueTo = i;
      expectKey = true;
    }
  }
  return undefined;
}

/** Params from the file, or undefined when the file does not exist yet (a first run). */
export async function readParamsFile(path: string, stageKey: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigurationError(`cannot read params_file: ${(error as Error).message}`, { file: path, cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError('params_file is not JSON', {
      file: path,
      cause: error,
      hint: 'Remove it (or set refit: true) to fit afresh',
    });
  }
  const streams = isObject(value) && value.stage === stageKey ? paramsFromState({ [stageKey]: value }, stageKey) : undefined;
  if (streams === undefined) {
    throw new ConfigurationError(`params_file does not hold version ${PARAMS_VERSION} parameters of ${stageKey}`, {
      file: path,
      hint: 'Each stage needs its own params_file; remove it (or set refit: true) to fit afresh',
    });
  }
  return streams;
}

/** Write atomically: a reader sees the old file or the new one, never half of one. */
export async function writeParamsFile(path: string, stageKey: string, streams: Record<string, unknown>): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const body = { stage: stageKey, version: PARAMS_VERSION, streams: savedForm(streams) };
  await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, 'utf8');
  await rename(temporary, path);
}
