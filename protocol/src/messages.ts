/**
 * Singer messages and their codec. This file is the only place that knows which fields each message type
 * carries. Types are matched case-insensitively on the way in (some taps write `record`) and always
 * written upper-case on the way out.
 */
import { DataError } from './errors.js';
import { holdsLargeNumber, readExact, stringifyExact } from './exact-json.js';
import type { JsonSchema } from './json-schema.js';

export interface SchemaMessage {
  type: 'SCHEMA';
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  bookmark_properties?: string[];
}

export interface RecordMessage {
  type: 'RECORD';
  stream: string;
  record: Record<string, unknown>;
  version?: number;
  time_extracted?: string;
}

export interface StateMessage {
  type: 'STATE';
  value: unknown;
}

export interface ActivateVersionMessage {
  type: 'ACTIVATE_VERSION';
  stream: string;
  version: number;
}

/** Meltano SDK's batch message: records live in files named by the manifest. Recognised, not yet loaded. */
export interface BatchMessage {
  type: 'BATCH';
  stream: string;
  encoding: { format: string; compression?: string | null };
  manifest: string[];
}

/** Any other type: transforms pass it through unchanged, targets warn once and ignore it. */
export interface UnknownMessage {
  type: string;
  [key: string]: unknown;
}

export type KnownMessage = SchemaMessage | RecordMessage | StateMessage | ActivateVersionMessage | BatchMessage;
export type Message = KnownMessage | UnknownMessage;

export const KNOWN_MESSAGE_TYPES = ['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION', 'BATCH'] as const;
export type KnownMessageType = (typeof KNOWN_MESSAGE_TYPES)[number];

export function isKnownMessage(message: Message): message is KnownMessage {
  return (KNOWN_MESSAGE_TYPES as readonly string[]).includes(message.type);
}
export function isSchema(message: Message): message is SchemaMessage {
  return message.type === 'SCHEMA';
}
export function isRecord(message: Message): message is RecordMessage {
  return message.type === 'RECORD';
}
export function isState(message: Message): message is StateMessage {
  return message.type === 'STATE';
}
export function isActivateVersion(message: Message): message is ActivateVersionMessage {
  return message.type === 'ACTIVATE_VERSION';
}
export function isBatch(message: Message): message is BatchMessage {
  return message.type === 'BATCH';
}

/** Thrown for a line that is not a valid Singer message; always names the line. */
export class MessageFormatError extends DataError {}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(line: number, message: string, stream?: string): never {
  throw new MessageFormatError(message, {
    line,
    ...(stream === undefined ? {} : { stream }),
    hint: 'Check the program that wrote this line; every line must be one Singer message as JSON',
  });
}

function requireStream(object: Record<string, unknown>, type: string, line: number): string {
  const stream = object.stream;
  if (typeof stream !== 'string' || stream === '') fail(line, `${type} message has no "stream" string`);
  return stream;
}

/**
 * Check a decoded JSON value is a well-formed message, upper-casing its type in place, and return it.
 * Validation is by hand rather than with a JSON Schema because it runs for every line and must be cheap.
 */
export function toMessage(value: unknown, line: number): Message {
  if (!isPlainObject(value)) fail(line, 'a Singer message must be a JSON object');
  const rawType = value.type;
  if (typeof rawType !== 'string' || rawType === '') fail(line, 'message has no "type" string');
  // Fast path: nearly every line is already upper-case RECORD.
  const type = rawType === 'RECORD' ? rawType : rawType.toUpperCase();
  if (type !== rawType) value.type = type;
  switch (type) {
    case 'RECORD': {
      const stream = requireStream(value, type, line);
      if (!isPlainObject(value.record)) fail(line, 'RECORD message has no "record" object', stream);
      if (value.version !== undefined && value.version !== null && typeof value.version !== 'number') {
        fail(line, 'RECORD "version" must be a number', stream);
      }
      break;
    }
    case 'SCHEMA': {
      const stream = requireStream(value, type, line);
      if (!isPlainObject(value.schema)) fail(line, 'SCHEMA message has no "schema" object', stream);
      const keys = value.key_properties;
      if (keys === undefined || keys === null) {
        // Some taps omit key_properties for keyless streams; the spec's meaning of that is "no keys".
        value.key_properties = [];
      } else if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) {
        fail(line, 'SCHEMA "key_properties" must be an array of strings', stream);
      }
      const bookmarks = value.bookmark_properties;
      if (bookmarks !== undefined && bookmarks !== null &&
        (!Array.isArray(bookmarks) || !bookmarks.every((key) => typeof key === 'string'))) {
        fail(line, 'SCHEMA "bookmark_properties" must be an array of strings', stream);
      }
      break;
    }
    case 'STATE':
      if (!('value' in value)) fail(line, 'STATE message has no "value"');
      break;
    case 'ACTIVATE_VERSION': {
      const stream = requireStream(value, type, line);
      if (typeof value.version !== 'number' || !Number.isFinite(value.version)) {
        fail(line, 'ACTIVATE_VERSION message has no numeric "version"', stream);
      }
      break;
    }
    case 'BATCH': {
      const stream = requireStream(value, type, line);
      if (!isPlainObject(value.encoding) || typeof value.encoding.format !== 'string') {
        fail(line, 'BATCH message has no "encoding" with a "format"', stream);
      }
      if (!Array.isArray(value.manifest) || !value.manifest.every((entry) => typeof entry === 'string')) {
        fail(line, 'BATCH "manifest" must be an array of file names', stream);
      }
      break;
    }
    default:
      break;
  }
  return value as Message;
}

/** Decode one line of text into a message. `line` is its 1-based number, for error messages. */
export function parseMessage(text: string, line: number): Message {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const preview = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    throw new MessageFormatError(`malformed JSON (${detail}) in ${JSON.stringify(preview)}`, {
      line,
      cause: error,
      hint: 'Every line must be one complete JSON object; check the program that wrote it',
    });
  }
  // A record's or a state's integers beyond 2^53 (bigint ids, unsigned bookmarks) as exact bigints. A
  // SCHEMA keeps JSON.parse's numbers: its bounds are compared with doubles anyway.
  if (isPlainObject(value)) {
    if (value.type === 'RECORD' ? holdsLargeNumber(value.record) : value.type === 'STATE' && holdsLargeNumber(value.value)) value = readExact(text);
  }
  return toMessage(value, line);
}

/** Encode a message as one line, without the newline. */
export function serializeMessage(message: Message): string {
  return stringifyExact(message);
}

// Constructors that fix field order, so the lines we write look like every other Singer program's.
export function recordMessage(stream: string, record: Record<string, unknown>, extra: { version?: number; time_extracted?: string } = {}): RecordMessage {
  const message: RecordMessage = { type: 'RECORD', stream, record };
  if (extra.version !== undefined) message.version = extra.version;
  if (extra.time_extracted !== undefined) message.time_extracted = extra.time_extracted;
  return message;
}
export function schemaMessage(stream: string, schema: JsonSchema, keyProperties: string[] = [], bookmarkProperties?: string[]): SchemaMessage {
  const message: SchemaMessage = { type: 'SCHEMA', stream, schema, key_properties: keyProperties };
  if (bookmarkProperties !== undefined) message.bookmark_properties = bookmarkProperties;
  return message;
}
export function stateMessage(value: unknown): StateMessage {
  return { type: 'STATE', value };
}
export function activateVersionMessage(stream: string, version: number): ActivateVersionMessage {
  return { type: 'ACTIVATE_VERSION', stream, version };
}
