/**
 * The target fixture cases: one `.jsonl` file per case under fixtures/targets, and here what a user
 * would see afterwards. Expected rows are folded from the fixture itself (append keeps every record,
 * upsert keeps the last one per key), so a case is its file plus a few facts about the outcome.
 */
import { readFileSync } from 'node:fs';
import { parseExact, stringifyExact } from '@tapline/protocol';
import { fileURLToPath } from 'node:url';

export const TARGET_FIXTURES = fileURLToPath(new URL('../fixtures/targets/', import.meta.url));

export interface TargetCase {
  name: string;
  /** What the case is about, for the test title. */
  about: string;
  /** For cases that must fail: the exit code and what the single error line must say. */
  failure?: { exitCode: number; pattern: RegExp; line: number };
  /** Records up to this input line are committed (a failing case commits up to its last good STATE). */
  committedThroughLine?: number;
  /** The exact STATE values expected on stdout, in order. Default: every STATE of the fixture, in order. */
  states?: unknown[];
  /** A capability the target must claim for the case to apply. */
  requires?: 'activate-version';
}

export const TARGET_CASES: TargetCase[] = [
  { name: 'record_before_schema', about: 'a RECORD before its SCHEMA fails clearly', failure: { exitCode: 6, pattern: /RECORD arrived before any SCHEMA/, line: 1 }, committedThroughLine: 0, states: [] },
  { name: 'schema_updates', about: 'a SCHEMA updated mid-stream adds columns without losing rows' },
  { name: 'key_property_updates', about: 'records whose key was seen before update it (upsert) or append' },
  { name: 'duplicate_records', about: 'duplicate keys in one batch: the last one wins (upsert)' },
  { name: 'special_chars_in_names', about: 'quotes, spaces, dots and reserved words in stream and column names' },
  { name: 'camelcase_names', about: 'camelCase and ALLCAPS names' },
  { name: 'nested_objects_arrays', about: 'nested objects and arrays round-trip' },
  { name: 'unicode_emoji', about: 'unicode, emoji and escaped surrogate pairs' },
  { name: 'no_key_properties', about: 'a stream without key properties keeps identical rows' },
  { name: 'optional_fields_missing', about: 'optional fields left out become null' },
  { name: 'invalid_schema', about: 'an invalid SCHEMA fails clearly before anything is loaded', failure: { exitCode: 6, pattern: /invalid JSON Schema: properties.amount.type must be equal to one of the allowed values/, line: 1 }, committedThroughLine: 0, states: [] },
  {
    name: 'record_missing_key_property',
    about: 'a record missing a key property fails clearly; data before the last good STATE is kept',
    failure: { exitCode: 6, pattern: /no value for key property "id"/, line: 5 },
    committedThroughLine: 3,
    states: [{ bookmarks: { users: { replication_key: 'id', replication_key_value: 1 } } }],
  },
  {
    name: 'invalid_record_value',
    about: 'a value that breaks its schema fails clearly, naming stream, column and line',
    failure: { exitCode: 6, pattern: /stream "users", column "age": value "thirty" must be integer or null/, line: 4 },
    committedThroughLine: 3,
    states: [{ bookmarks: { users: { id: 1 } } }],
  },
  {
    name: 'malformed_json',
    about: 'a malformed line fails clearly, naming the line; data before the last good STATE is kept',
    failure: { exitCode: 6, pattern: /malformed JSON/, line: 4 },
    committedThroughLine: 3,
    states: [{ bookmarks: { users: { id: 1 } } }],
  },
  { name: 'interleaved_states', about: 'several STATE messages come out exactly, in order, after their data' },
  { name: 'decimal_edges', about: 'decimals at the edges of numeric(38,9) stay exact' },
  { name: 'integers_beyond_2_53', about: 'bigint limits and keys that differ only past 2^53 keep every digit, in rows and STATE' },
  { name: 'timestamps', about: 'timestamps with offsets, before 1900, dates and times' },
  { name: 'unknown_message_type', about: 'an unknown message type is ignored with one warning' },
];

export interface FixtureMessage {
  line: number;
  message: Record<string, unknown>;
}

export function readFixture(name: string): FixtureMessage[] {
  const text = readFileSync(`${TARGET_FIXTURES}${name}.jsonl`, 'utf8');
  const out: FixtureMessage[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      out.push({ line: index + 1, message: parseExact(line) as Record<string, unknown> });
    } catch {
      // the malformed line of a failure case
    }
  });
  return out;
}

export interface ExpectedStream {
  stream: string;
  keys: string[];
  /** Every property any SCHEMA of the stream declared. */
  properties: string[];
  rows: Record<string, unknown>[];
}

/** What each stream must hold after the case, for a target that upserts on keys or only appends. */
export function expectedStreams(fixture: FixtureMessage[], mode: 'upsert' | 'append', throughLine = Infinity): ExpectedStream[] {
  const streams = new Map<string, { keys: string[]; properties: Set<string>; rows: Record<string, unknown>[]; byKey: Map<string, number> }>();
  for (const { line, message } of fixture) {
    if (message.type === 'SCHEMA') {
      const name = String(message.stream);
      const schema = message.schema as { properties?: Record<string, unknown> };
      const entry = streams.get(name) ?? { keys: [], properties: new Set<string>(), rows: [], byKey: new Map() };
      entry.keys = (message.key_properties as string[] | undefined) ?? [];
      for (const property of Object.keys(schema.properties ?? {})) entry.properties.add(property);
      streams.set(name, entry);
    } else if (message.type === 'RECORD' && line <= throughLine) {
      const entry = streams.get(String(message.stream));
      if (!entry) continue;
      const record = message.record as Record<string, unknown>;
      if (mode === 'upsert' && entry.keys.length > 0) {
        const key = stringifyExact(entry.keys.map((k) => record[k]));
        const index = entry.byKey.get(key);
        if (index === undefined) {
          entry.byKey.set(key, entry.rows.length);
          entry.rows.push(record);
        } else {
          entry.rows[index] = record;
        }
      } else {
        entry.rows.push(record);
      }
    }
  }
  return [...streams].map(([stream, entry]) => ({ stream, keys: entry.keys, properties: [...entry.properties], rows: entry.rows }));
}

export function fixtureStates(fixture: FixtureMessage[]): unknown[] {
  return fixture.filter(({ message }) => message.type === 'STATE').map(({ message }) => message.value);
}
