/**
 * The Singer catalog: what a tap can read (`--discover`) and what the user chose to read (`--catalog`, or
 * the older `--properties`). This file parses catalogs written by any Singer tool, reads and writes
 * metadata by breadcrumb, and decides stream and property selection the way the Singer spec, singer-python
 * and the Meltano SDK do, so that a catalog edited for a Python tap selects the same columns with ours.
 */
import { ConfigurationError } from './errors.js';
import type { JsonSchema } from './json-schema.js';

// The schema type lives in json-schema.ts; re-exported so catalog users need one import.
export type { JsonSchema } from './json-schema.js';

export type Inclusion = 'available' | 'automatic' | 'unsupported';
export type ReplicationMethod = 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED';

export const REPLICATION_METHODS: readonly ReplicationMethod[] = ['FULL_TABLE', 'INCREMENTAL', 'LOG_BASED'];
const INCLUSIONS: readonly Inclusion[] = ['available', 'automatic', 'unsupported'];

/** A path into the schema: `[]` is the stream itself, `['properties', 'id']` a top-level column. */
export type Breadcrumb = readonly string[];

export interface MetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

/** Keys that mean the same at the stream level (breadcrumb `[]`) and at a property. */
interface SelectionMetadata {
  selected?: boolean;
  inclusion?: Inclusion;
  'selected-by-default'?: boolean;
  [key: string]: unknown;
}

/** Stream-level metadata (breadcrumb `[]`), with the keys the Singer world agrees on. */
export interface StreamMetadata extends SelectionMetadata {
  'replication-method'?: ReplicationMethod;
  'replication-key'?: string;
  'valid-replication-keys'?: string[];
  'table-key-properties'?: string[];
  /**
   * Set by a tap that can only sync the stream one way. Usually a method name; tap-salesforce writes
   * `{"replication-method": ..., "reason": ...}`, which we also read.
   */
  'forced-replication-method'?: ReplicationMethod | { 'replication-method': ReplicationMethod; reason?: string };
  'schema-name'?: string;
  'database-name'?: string;
  'is-view'?: boolean;
  'row-count'?: number;
}

/** Property-level metadata (breadcrumb `['properties', name]`). */
export interface PropertyMetadata extends SelectionMetadata {
  'sql-datatype'?: string;
}

export interface CatalogStream {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  key_properties?: string[];
  replication_key?: string;
  /** As written in the file; read it through `replicationMethod()`, which normalizes and applies overrides. */
  replication_method?: string;
  metadata: MetadataEntry[];
  table_name?: string;
  database_name?: string;
}

export interface Catalog {
  streams: CatalogStream[];
}

// ---------------------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Check a catalog (or a legacy `--properties` file, which has the same shape) and return a copy with
 * defaults filled in: `stream` defaults to `tap_stream_id`, `metadata` to `[]`, and JSON `null` in the
 * optional fields (singer-python writes some) counts as absent. Unknown keys are kept so that a catalog
 * survives a round trip through our tools. Every problem is a ConfigurationError naming its exact path.
 *
 * Metadata values that drive selection and replication are type-checked too: a hand-edited
 * `"selected": "false"` would otherwise be silently ignored and the stream left out (or, in Python,
 * silently selected because the string is truthy).
 */
export function parseCatalog(json: unknown, source?: string): Catalog {
  const fail = (message: string, path: string, hint: string, stream?: string): never => {
    throw new ConfigurationError(message, {
      path,
      hint,
      ...(source === undefined ? {} : { file: source }),
      ...(stream === undefined ? {} : { stream }),
    });
  };
  const regenerate = 'Regenerate it with --discover, or fix it by hand';

  if (!isObject(json)) {
    fail(`a catalog must be a JSON object, got ${describe(json)}`, '$', 'A Singer catalog looks like {"streams": [...]}; produce one with --discover');
  }
  const root = json as JsonObject;
  if (!Array.isArray(root.streams)) {
    fail(
      root.streams === undefined ? 'the catalog has no "streams" list' : `"streams" must be a list, got ${describe(root.streams)}`,
      'streams',
      'A Singer catalog looks like {"streams": [...]}; produce one with --discover',
    );
  }

  const seen = new Map<string, number>();
  const streams = (root.streams as unknown[]).map((raw, index): CatalogStream => {
    const at = `streams[${index}]`;
    if (!isObject(raw)) fail(`each stream must be an object, got ${describe(raw)}`, at, regenerate);
    const entry = raw as JsonObject;

    const id = entry.tap_stream_id;
    if (typeof id !== 'string' || id === '') {
      fail(
        id === undefined ? 'the stream has no tap_stream_id' : `tap_stream_id must be a non-empty string, got ${describe(id)}`,
        `${at}.tap_stream_id`,
        'Every stream needs the tap_stream_id the tap gave it in --discover',
      );
    }
    const tapStreamId = id as string;
    const previous = seen.get(tapStreamId);
    if (previous !== undefined) {
      fail(`tap_stream_id "${tapStreamId}" appears twice (also at streams[${previous}])`, `${at}.tap_stream_id`, 'Keep one entry per stream', tapStreamId);
    }
    seen.set(tapStreamId, index);

    const name = entry.stream ?? tapStreamId;
    if (typeof name !== 'string' || name === '') {
      fail(`stream must be a non-empty string, got ${describe(name)}`, `${at}.stream`, regenerate, tapStreamId);
    }

    if (!isObject(entry.schema)) {
      fail(
        entry.schema === undefined ? 'the stream has no schema' : `schema must be a JSON Schema object, got ${describe(entry.schema)}`,
        `${at}.schema`,
        regenerate,
        tapStreamId,
      );
    }
    const schema = entry.schema as JsonSchema;
    // Selection walks `properties`; an array or a string there would make every column vanish silently.
    if (schema.properties !== undefined && !isObject(schema.properties)) {
      fail(`schema.properties must be an object, got ${describe(schema.properties)}`, `${at}.schema.properties`, regenerate, tapStreamId);
    }

    const keys = entry.key_properties ?? undefined;
    if (keys !== undefined && !isStringArray(keys)) {
      fail(`key_properties must be a list of column names, got ${describe(keys)}`, `${at}.key_properties`, 'Write e.g. ["id"], or [] for none', tapStreamId);
    }
    const replicationKey = entry.replication_key ?? undefined;
    if (replicationKey !== undefined && typeof replicationKey !== 'string') {
      fail(`replication_key must be a column name, got ${describe(replicationKey)}`, `${at}.replication_key`, regenerate, tapStreamId);
    }
    const method = entry.replication_method ?? undefined;
    if (method !== undefined && normalizeMethod(method) === undefined) {
      fail(`replication_method must be one of ${REPLICATION_METHODS.join(', ')}, got ${describe(method)}`, `${at}.replication_method`, regenerate, tapStreamId);
    }

    const rawMetadata = entry.metadata ?? [];
    if (!Array.isArray(rawMetadata)) {
      fail(`metadata must be a list of {breadcrumb, metadata} entries, got ${describe(rawMetadata)}`, `${at}.metadata`, regenerate, tapStreamId);
    }
    const metadata = (rawMetadata as unknown[]).map((item, mi): MetadataEntry => {
      const mat = `${at}.metadata[${mi}]`;
      if (!isObject(item)) fail(`each metadata entry must be an object, got ${describe(item)}`, mat, regenerate, tapStreamId);
      const { breadcrumb, metadata: values } = item as JsonObject;
      if (!isStringArray(breadcrumb)) {
        fail(
          `breadcrumb must be a list of strings, got ${describe(breadcrumb)}`,
          `${mat}.breadcrumb`,
          'Use [] for the stream and ["properties", "<column>"] for a column',
          tapStreamId,
        );
      }
      if (!isObject(values)) fail(`metadata must be an object, got ${describe(values)}`, `${mat}.metadata`, regenerate, tapStreamId);
      checkMetadataValues(values as JsonObject, `${mat}.metadata`, (message, path, hint) => fail(message, path, hint, tapStreamId));
      return { breadcrumb: [...(breadcrumb as string[])], metadata: structuredClone(values as JsonObject) };
    });

    const result: CatalogStream = {
      ...(structuredClone(entry) as JsonObject),
      tap_stream_id: tapStreamId,
      stream: name as string,
      schema: structuredClone(schema),
      metadata,
    };
    // JSON null in an optional field means "absent"; drop it so readers need only check for undefined.
    for (const optional of ['key_properties', 'replication_key', 'replication_method', 'table_name', 'database_name'] as const) {
      if (result[optional] === null) delete result[optional];
    }
    return result;
  });

  return { ...(structuredClone(root) as JsonObject), streams };
}

/** Type checks for the metadata keys that change what we read; other keys are the tap's business. */
function checkMetadataValues(values: JsonObject, at: string, fail: (message: string, path: string, hint: string) => never): void {
  const check = (key: string, ok: (value: unknown) => boolean, expected: string, hint: string): void => {
    const value = values[key];
    if (value === undefined || value === null || ok(value)) return;
    fail(`"${key}" must be ${expected}, got ${describe(value)}`, `${at}.${key}`, hint);
  };
  const boolHint = 'Write true or false without quotes';
  check('selected', (v) => typeof v === 'boolean', 'true or false', boolHint);
  check('selected-by-default', (v) => typeof v === 'boolean', 'true or false', boolHint);
  check('inclusion', (v) => (INCLUSIONS as readonly unknown[]).includes(v), `one of ${INCLUSIONS.join(', ')}`, 'Leave inclusion as the tap discovered it');
  check('replication-method', (v) => normalizeMethod(v) !== undefined, `one of ${REPLICATION_METHODS.join(', ')}`, 'Pick a method the tap supports');
  check(
    'forced-replication-method',
    (v) => normalizeMethod(isObject(v) ? v['replication-method'] : v) !== undefined,
    `one of ${REPLICATION_METHODS.join(', ')}`,
    'Leave forced-replication-method as the tap discovered it',
  );
  check('replication-key', (v) => typeof v === 'string', 'a column name', 'Write the column name as a string');
  check('table-key-properties', isStringArray, 'a list of column names', 'Write e.g. ["id"], or [] for none');
  check('valid-replication-keys', isStringArray, 'a list of column names', 'Leave valid-replication-keys as the tap discovered it');
}

// ---------------------------------------------------------------------------------------------------------
// Metadata by breadcrumb
// ---------------------------------------------------------------------------------------------------------

function sameBreadcrumb(a: Breadcrumb, b: Breadcrumb): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

/** A string key for a breadcrumb (its JSON text), for maps: `[]` -> `"[]"`. */
export function breadcrumbKey(breadcrumb: Breadcrumb): string {
  return JSON.stringify(breadcrumb);
}

/**
 * All metadata of a list of entries, keyed by `breadcrumbKey`. Entries that repeat a breadcrumb (some
 * hand-edited catalogs append a second `[]` entry just to add `selected`) are merged in order, later keys
 * winning. singer-python and the Meltano SDK let the last entry replace the earlier ones entirely; merging
 * reads the same value for every key the later entry sets and does not lose the tap's other keys.
 */
export function toMetadataMap(entries: readonly MetadataEntry[]): Map<string, Record<string, unknown>> {
  const map = new Map<string, Record<string, unknown>>();
  for (const entry of entries) {
    const key = breadcrumbKey(entry.breadcrumb);
    map.set(key, { ...map.get(key), ...entry.metadata });
  }
  return map;
}

/** The metadata at a breadcrumb (a merged copy), or undefined when the stream has none there. */
export function getMetadata(stream: CatalogStream, breadcrumb: Breadcrumb): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  for (const entry of stream.metadata) {
    if (sameBreadcrumb(entry.breadcrumb, breadcrumb)) found = { ...found, ...entry.metadata };
  }
  return found;
}

/**
 * Merge `values` into the metadata at a breadcrumb, creating the entry when missing. This changes `stream`
 * in place (it is the builder taps use while discovering); a value of `undefined` removes that key.
 * Duplicate entries for the breadcrumb are folded into one, so nothing later in the list can shadow what
 * was just written. Returns the resulting metadata.
 */
export function setMetadata(stream: CatalogStream, breadcrumb: Breadcrumb, values: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...getMetadata(stream, breadcrumb), ...values };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  const first = stream.metadata.findIndex((entry) => sameBreadcrumb(entry.breadcrumb, breadcrumb));
  if (first === -1) {
    stream.metadata.push({ breadcrumb: [...breadcrumb], metadata: merged });
  } else {
    stream.metadata = stream.metadata.filter((entry, i) => i <= first || !sameBreadcrumb(entry.breadcrumb, breadcrumb));
    stream.metadata[first] = { breadcrumb: [...breadcrumb], metadata: merged };
  }
  return { ...merged };
}

/** Stream-level metadata (breadcrumb `[]`); an empty object when the catalog has none. */
export function streamMetadata(stream: CatalogStream): StreamMetadata {
  return (getMetadata(stream, []) ?? {}) as StreamMetadata;
}

/** Metadata of a top-level property (breadcrumb `['properties', name]`); empty when there is none. */
export function propertyMetadata(stream: CatalogStream, name: string): PropertyMetadata {
  return (getMetadata(stream, ['properties', name]) ?? {}) as PropertyMetadata;
}

export interface StandardMetadataOptions {
  schema: JsonSchema;
  keyProperties?: string[];
  validReplicationKeys?: string[];
  replicationMethod?: ReplicationMethod;
  /** Set when the tap can sync the stream only one way. */
  forcedReplicationMethod?: ReplicationMethod;
  schemaName?: string;
  databaseName?: string;
  isView?: boolean;
  rowCount?: number;
  selectedByDefault?: boolean;
  /** `sql-datatype` per column, as the database names the type. */
  sqlDatatypes?: Record<string, string>;
}

/**
 * The metadata a tap writes at discovery, as singer-python's `get_standard_metadata` does: one stream entry,
 * and one entry per top-level property, `automatic` for key properties and replication keys (they are needed
 * for upserts and bookmarks, so the user cannot turn them off) and `available` for the rest.
 */
export function standardMetadata(options: StandardMetadataOptions): MetadataEntry[] {
  const stream: Record<string, unknown> = { inclusion: 'available' };
  if (options.keyProperties !== undefined) stream['table-key-properties'] = [...options.keyProperties];
  if (options.validReplicationKeys !== undefined) stream['valid-replication-keys'] = [...options.validReplicationKeys];
  if (options.replicationMethod !== undefined) stream['replication-method'] = options.replicationMethod;
  if (options.forcedReplicationMethod !== undefined) stream['forced-replication-method'] = options.forcedReplicationMethod;
  if (options.schemaName !== undefined) stream['schema-name'] = options.schemaName;
  if (options.databaseName !== undefined) stream['database-name'] = options.databaseName;
  if (options.isView !== undefined) stream['is-view'] = options.isView;
  if (options.rowCount !== undefined) stream['row-count'] = options.rowCount;
  if (options.selectedByDefault !== undefined) stream['selected-by-default'] = options.selectedByDefault;

  const automatic = new Set([...(options.keyProperties ?? []), ...(options.validReplicationKeys ?? [])]);
  const entries: MetadataEntry[] = [{ breadcrumb: [], metadata: stream }];
  for (const name of Object.keys(options.schema.properties ?? {})) {
    const property: Record<string, unknown> = { inclusion: automatic.has(name) ? 'automatic' : 'available' };
    const datatype = options.sqlDatatypes?.[name];
    if (datatype !== undefined) property['sql-datatype'] = datatype;
    entries.push({ breadcrumb: ['properties', name], metadata: property });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------------------
// Replication settings
// ---------------------------------------------------------------------------------------------------------

/** A replication method from any casing or spacing (`incremental`, `Log_Based `), or undefined. */
function normalizeMethod(value: unknown): ReplicationMethod | undefined {
  if (typeof value !== 'string') return undefined;
  const upper = value.trim().toUpperCase();
  return (REPLICATION_METHODS as readonly string[]).includes(upper) ? (upper as ReplicationMethod) : undefined;
}

/**
 * How the stream is to be synced. `forced-replication-method` wins (the tap knows it can do nothing else),
 * then the metadata `replication-method` (where Meltano and most UIs write the user's choice), then the
 * stream's own `replication_method`. Without any of them: FULL_TABLE, even when a replication key is set,
 * because guessing INCREMENTAL would silently skip rows whose key is null or not monotonic.
 */
export function replicationMethod(stream: CatalogStream): ReplicationMethod {
  const md = streamMetadata(stream);
  const forced = md['forced-replication-method'];
  return (
    normalizeMethod(isObject(forced) ? forced['replication-method'] : forced) ??
    normalizeMethod(md['replication-method']) ??
    normalizeMethod(stream.replication_method) ??
    'FULL_TABLE'
  );
}

/** The replication key: metadata `replication-key` first (the Meltano SDK reads only that), then the stream's. */
export function replicationKey(stream: CatalogStream): string | undefined {
  const fromMetadata = streamMetadata(stream)['replication-key'];
  if (typeof fromMetadata === 'string' && fromMetadata !== '') return fromMetadata;
  return typeof stream.replication_key === 'string' && stream.replication_key !== '' ? stream.replication_key : undefined;
}

/**
 * The key properties: metadata `table-key-properties` when present (that is where users override keys for
 * keyless views, and the only place the Meltano SDK looks), else the stream's `key_properties`, else none.
 */
export function keyProperties(stream: CatalogStream): string[] {
  const fromMetadata = streamMetadata(stream)['table-key-properties'];
  if (isStringArray(fromMetadata)) return [...fromMetadata];
  return isStringArray(stream.key_properties) ? [...stream.key_properties] : [];
}

// ---------------------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------------------

/**
 * A stream is selected when:
 * - `inclusion: unsupported` -> never (the tap cannot read it, whatever `selected` says);
 * - `inclusion: automatic` -> always (the Meltano SDK treats every breadcrumb this way, streams included);
 * - else its stream-level `selected`, when it is a boolean;
 * - else `selected-by-default`;
 * - else the pre-metadata convention `schema.selected: true`;
 * - else not selected: a stream is read only when someone asked for it.
 */
export function isStreamSelected(stream: CatalogStream): boolean {
  const md = streamMetadata(stream);
  const inclusion = md.inclusion ?? legacyKeyword(stream.schema, 'inclusion');
  if (inclusion === 'unsupported') return false;
  if (inclusion === 'automatic') return true;
  if (typeof md.selected === 'boolean') return md.selected;
  if (typeof md['selected-by-default'] === 'boolean') return md['selected-by-default'];
  return stream.schema.selected === true;
}

/** A keyword of the pre-metadata catalog format, where `selected`/`inclusion` lived inside the schema. */
function legacyKeyword(schema: JsonSchema | undefined, keyword: 'selected' | 'inclusion'): unknown {
  return schema === undefined ? undefined : schema[keyword];
}

/** Columns that must reach the target whatever the user deselected: keys for upserts, the bookmark column. */
function protectedProperties(stream: CatalogStream): Set<string> {
  const names = new Set<string>([...keyProperties(stream), ...(stream.key_properties ?? [])]);
  const key = replicationKey(stream);
  if (key !== undefined) names.add(key);
  return names;
}

/** Selection of one property, ignoring whether its stream is selected. */
function propertySelectedInStream(stream: CatalogStream, name: string, protectedNames: Set<string>): boolean {
  const schema = stream.schema.properties?.[name];
  if (schema === undefined) return false; // not a column of this stream
  const md = propertyMetadata(stream, name);
  const inclusion = md.inclusion ?? legacyKeyword(schema, 'inclusion');
  // Unsupported beats everything, key columns included: the tap cannot produce the value at all.
  if (inclusion === 'unsupported') return false;
  if (inclusion === 'automatic') return true;
  // Deselecting a key or the replication key would break upserts or bookmarks; ignore such a request.
  if (protectedNames.has(name)) return true;
  const selected = md.selected ?? legacyKeyword(schema, 'selected');
  if (typeof selected === 'boolean') return selected;
  if (typeof md['selected-by-default'] === 'boolean') return md['selected-by-default'];
  // Nothing said: selected. This follows the Meltano SDK, where a property inherits its selected stream's
  // selection; singer-python's `should_sync_field` would leave it out. Users expect "select the stream"
  // to mean "all of its columns", and a column the tap adds later should not vanish without a word.
  return true;
}

/**
 * A property is selected when its stream is selected and: `unsupported` -> no; `automatic` -> yes; a key
 * property or the replication key -> yes; otherwise its own `selected` (or the legacy schema keyword), else
 * `selected-by-default`, else yes (see above). Only top-level properties are judged.
 */
export function isPropertySelected(stream: CatalogStream, name: string): boolean {
  return isStreamSelected(stream) && propertySelectedInStream(stream, name, protectedProperties(stream));
}

/** The selected top-level properties, in schema order; none when the stream itself is not selected. */
export function selectedProperties(stream: CatalogStream): string[] {
  if (!isStreamSelected(stream)) return [];
  const protectedNames = protectedProperties(stream);
  return Object.keys(stream.schema.properties ?? {}).filter((name) => propertySelectedInStream(stream, name, protectedNames));
}

/**
 * A copy of the schema with only the selected top-level properties (and `required` trimmed to match), for
 * the SCHEMA message. A schema without `properties` (a schemaless document stream) is returned as is.
 * Like `selectedProperties`, an unselected stream keeps no properties.
 */
export function selectedSchema(stream: CatalogStream): JsonSchema {
  const copy = structuredClone(stream.schema);
  if (copy.properties === undefined) return copy;
  const keep = new Set(selectedProperties(stream));
  copy.properties = Object.fromEntries(Object.entries(copy.properties).filter(([name]) => keep.has(name)));
  if (Array.isArray(copy.required)) copy.required = copy.required.filter((name) => keep.has(name));
  return copy;
}

export function selectedStreams(catalog: Catalog): CatalogStream[] {
  return catalog.streams.filter(isStreamSelected);
}

export function findStream(catalog: Catalog, id: string): CatalogStream | undefined {
  return catalog.streams.find((stream) => stream.tap_stream_id === id);
}

/** A glob as a regular expression: `*` is any run of characters, `?` one character, the rest literal. */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`, 's');
}

/** True when `id` matches the glob `pattern` (`public-*`, `*`, `public-order?`); case-sensitive. */
export function matchesStreamPattern(id: string, pattern: string): boolean {
  return globToRegExp(pattern).test(id);
}

/**
 * A new catalog where a stream is selected exactly when its tap_stream_id matches at least one pattern and
 * no `!pattern`. The order of patterns does not matter. With no positive pattern (only exclusions, or none
 * at all) every stream counts as matched, so `['!audit-*']` means "everything but the audit streams".
 * Selection is written as stream-level `selected` metadata, which overrides `selected-by-default` and the
 * legacy schema keyword; `unsupported` streams stay unselected. The input catalog is not changed.
 */
export function applySelection(catalog: Catalog, patterns: readonly string[]): Catalog {
  const include = patterns.filter((p) => !p.startsWith('!')).map(globToRegExp);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1)));
  const copy = structuredClone(catalog);
  for (const stream of copy.streams) {
    const id = stream.tap_stream_id;
    const selected = (include.length === 0 || include.some((re) => re.test(id))) && !exclude.some((re) => re.test(id));
    setMetadata(stream, [], { selected });
  }
  return copy;
}
