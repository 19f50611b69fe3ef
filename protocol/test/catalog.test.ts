import { describe, expect, it } from 'vitest';
import {
  applySelection,
  findStream,
  getMetadata,
  isPropertySelected,
  isStreamSelected,
  keyProperties,
  matchesStreamPattern,
  parseCatalog,
  propertyMetadata,
  replicationKey,
  replicationMethod,
  selectedProperties,
  selectedSchema,
  selectedStreams,
  setMetadata,
  standardMetadata,
  streamMetadata,
  toMetadataMap,
  type Catalog,
  type CatalogStream,
  type MetadataEntry,
} from '../src/catalog.js';
import { ConfigurationError } from '../src/errors.js';

/** A stream with columns id, name, email, updated_at and the given metadata. */
function stream(metadata: MetadataEntry[] = [], extra: Partial<CatalogStream> = {}): CatalogStream {
  return {
    tap_stream_id: 'public-users',
    stream: 'users',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        name: { type: ['null', 'string'] },
        email: { type: ['null', 'string'] },
        updated_at: { type: ['null', 'string'], format: 'date-time' },
      },
      required: ['id', 'email'],
    },
    metadata,
    ...extra,
  };
}

const selectedStream = (more: Record<string, unknown> = {}): MetadataEntry => ({ breadcrumb: [], metadata: { selected: true, ...more } });
const prop = (name: string, metadata: Record<string, unknown>): MetadataEntry => ({ breadcrumb: ['properties', name], metadata });

function configurationError(run: () => unknown): ConfigurationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseCatalog', () => {
  it('accepts a catalog and fills defaults', () => {
    const catalog = parseCatalog({
      streams: [{ tap_stream_id: 'public-users', schema: { type: 'object', properties: {} }, key_properties: null, replication_key: null }],
    });
    const only = catalog.streams[0]!;
    expect(only.stream).toBe('public-users');
    expect(only.metadata).toEqual([]);
    expect('key_properties' in only).toBe(false);
    expect('replication_key' in only).toBe(false);
  });

  it('keeps unknown keys and does not alias the input', () => {
    const input = {
      version: 2,
      streams: [{ tap_stream_id: 'a', stream: 'a', is_view: false, schema: { type: 'object' }, metadata: [{ breadcrumb: [], metadata: { selected: true, custom: 1 } }] }],
    };
    const catalog = parseCatalog(input);
    expect((catalog as unknown as { version: number }).version).toBe(2);
    expect((catalog.streams[0] as unknown as { is_view: boolean }).is_view).toBe(false);
    catalog.streams[0]!.metadata[0]!.metadata.selected = false;
    expect(input.streams[0]!.metadata[0]!.metadata.selected).toBe(true);
  });

  it('accepts the legacy --properties format (selection in the schema, no metadata)', () => {
    const catalog = parseCatalog({
      streams: [{ tap_stream_id: 'users', stream: 'users', schema: { type: 'object', selected: true, properties: { id: { type: 'integer', selected: true } } } }],
    });
    expect(isStreamSelected(catalog.streams[0]!)).toBe(true);
    expect(selectedProperties(catalog.streams[0]!)).toEqual(['id']);
  });

  it.each([
    [null, '$'],
    [[], '$'],
    [{}, 'streams'],
    [{ streams: {} }, 'streams'],
    [{ streams: [42] }, 'streams[0]'],
    [{ streams: [{ schema: {} }] }, 'streams[0].tap_stream_id'],
    [{ streams: [{ tap_stream_id: 'a', schema: {} }, { tap_stream_id: 3, schema: {} }] }, 'streams[1].tap_stream_id'],
    [{ streams: [{ tap_stream_id: 'a', schema: {} }, { tap_stream_id: 'a', schema: {} }] }, 'streams[1].tap_stream_id'],
    [{ streams: [{ tap_stream_id: 'a', stream: 5, schema: {} }] }, 'streams[0].stream'],
    [{ streams: [{ tap_stream_id: 'a' }] }, 'streams[0].schema'],
    [{ streams: [{ tap_stream_id: 'a', schema: 'object' }] }, 'streams[0].schema'],
    [{ streams: [{ tap_stream_id: 'a', schema: { properties: [] } }] }, 'streams[0].schema.properties'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, key_properties: 'id' }] }, 'streams[0].key_properties'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, replication_method: 'SOMETIMES' }] }, 'streams[0].replication_method'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, metadata: {} }] }, 'streams[0].metadata'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, metadata: [{ breadcrumb: 'properties/id', metadata: {} }] }] }, 'streams[0].metadata[0].breadcrumb'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, metadata: [{ breadcrumb: [] }] }] }, 'streams[0].metadata[0].metadata'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, metadata: [{ breadcrumb: [], metadata: { selected: 'false' } }] }] }, 'streams[0].metadata[0].metadata.selected'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, metadata: [{ breadcrumb: [], metadata: { inclusion: 'sometimes' } }] }] }, 'streams[0].metadata[0].metadata.inclusion'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, metadata: [{ breadcrumb: [], metadata: { 'replication-method': 'CDC' } }] }] }, 'streams[0].metadata[0].metadata.replication-method'],
    [{ streams: [{ tap_stream_id: 'a', schema: {}, metadata: [{ breadcrumb: [], metadata: { 'table-key-properties': 'id' } }] }] }, 'streams[0].metadata[0].metadata.table-key-properties'],
  ])('rejects %j at %s', (input, path) => {
    const error = configurationError(() => parseCatalog(input, 'catalog.json'));
    expect(error.where.path).toBe(path);
    expect(error.where.file).toBe('catalog.json');
    expect(error.hint).toBeTruthy();
  });

  it('names the stream in errors once its id is known', () => {
    const error = configurationError(() => parseCatalog({ streams: [{ tap_stream_id: 'public-orders', schema: [] }] }));
    expect(error.where.stream).toBe('public-orders');
  });

  it('accepts replication methods in any casing and null metadata values', () => {
    const catalog = parseCatalog({
      streams: [{ tap_stream_id: 'a', schema: {}, replication_method: 'incremental', metadata: [{ breadcrumb: [], metadata: { 'replication-key': null, selected: null } }] }],
    });
    expect(replicationMethod(catalog.streams[0]!)).toBe('INCREMENTAL');
  });
});

describe('metadata by breadcrumb', () => {
  it('reads stream and property metadata, empty when missing', () => {
    const s = stream([selectedStream({ 'schema-name': 'public' }), prop('id', { 'sql-datatype': 'bigint' })]);
    expect(streamMetadata(s)['schema-name']).toBe('public');
    expect(propertyMetadata(s, 'id')['sql-datatype']).toBe('bigint');
    expect(propertyMetadata(s, 'name')).toEqual({});
    expect(getMetadata(s, ['properties', 'name'])).toBeUndefined();
  });

  it('merges duplicate breadcrumbs, later keys winning', () => {
    const s = stream([{ breadcrumb: [], metadata: { inclusion: 'available', selected: false } }, { breadcrumb: [], metadata: { selected: true } }]);
    expect(streamMetadata(s)).toEqual({ inclusion: 'available', selected: true });
    expect(toMetadataMap(s.metadata).get('[]')).toEqual({ inclusion: 'available', selected: true });
  });

  it('setMetadata creates, merges, removes undefined keys and folds duplicates', () => {
    const s = stream([{ breadcrumb: [], metadata: { a: 1 } }, prop('id', {}), { breadcrumb: [], metadata: { selected: true } }]);
    setMetadata(s, [], { selected: false, a: undefined });
    expect(s.metadata.filter((e) => e.breadcrumb.length === 0)).toEqual([{ breadcrumb: [], metadata: { selected: false } }]);
    expect(isStreamSelected(s)).toBe(false);
    setMetadata(s, ['properties', 'email'], { selected: false });
    expect(propertyMetadata(s, 'email')).toEqual({ selected: false });
    expect(s.metadata).toHaveLength(3);
  });

  it('standardMetadata marks keys and replication keys automatic', () => {
    const s = stream(
      standardMetadata({
        schema: stream().schema,
        keyProperties: ['id'],
        validReplicationKeys: ['updated_at'],
        schemaName: 'public',
        sqlDatatypes: { id: 'bigint' },
      }),
    );
    expect(streamMetadata(s)).toMatchObject({ inclusion: 'available', 'table-key-properties': ['id'], 'valid-replication-keys': ['updated_at'], 'schema-name': 'public' });
    expect(propertyMetadata(s, 'id')).toEqual({ inclusion: 'automatic', 'sql-datatype': 'bigint' });
    expect(propertyMetadata(s, 'updated_at').inclusion).toBe('automatic');
    expect(propertyMetadata(s, 'name').inclusion).toBe('available');
    // A round trip through the parser keeps it valid.
    expect(() => parseCatalog({ streams: [s] })).not.toThrow();
  });
});

describe('stream selection', () => {
  it('follows stream-level selected', () => {
    expect(isStreamSelected(stream([selectedStream()]))).toBe(true);
    expect(isStreamSelected(stream([{ breadcrumb: [], metadata: { selected: false } }]))).toBe(false);
  });

  it('is not selected when nothing says so', () => {
    expect(isStreamSelected(stream())).toBe(false);
    expect(isStreamSelected(stream([prop('id', { selected: true })]))).toBe(false);
  });

  it('falls back to selected-by-default only when selected is absent', () => {
    expect(isStreamSelected(stream([{ breadcrumb: [], metadata: { 'selected-by-default': true } }]))).toBe(true);
    expect(isStreamSelected(stream([{ breadcrumb: [], metadata: { 'selected-by-default': true, selected: false } }]))).toBe(false);
    expect(isStreamSelected(stream([{ breadcrumb: [], metadata: { 'selected-by-default': false, selected: true } }]))).toBe(true);
  });

  it('honours the legacy schema-level selected only when metadata is silent', () => {
    const legacy = (metadata: MetadataEntry[]) => {
      const s = stream(metadata);
      s.schema.selected = true;
      return s;
    };
    expect(isStreamSelected(legacy([]))).toBe(true);
    expect(isStreamSelected(legacy([{ breadcrumb: [], metadata: { selected: false } }]))).toBe(false);
    expect(isStreamSelected(legacy([{ breadcrumb: [], metadata: { 'selected-by-default': false } }]))).toBe(false);
  });

  it('never selects an unsupported stream, even with selected: true', () => {
    expect(isStreamSelected(stream([selectedStream({ inclusion: 'unsupported' })]))).toBe(false);
  });

  it('always selects an automatic stream (as the Meltano SDK does)', () => {
    expect(isStreamSelected(stream([{ breadcrumb: [], metadata: { inclusion: 'automatic', selected: false } }]))).toBe(true);
  });

  it('selectedStreams and findStream', () => {
    const a = stream([selectedStream()], { tap_stream_id: 'a' });
    const b = stream([], { tap_stream_id: 'b' });
    const catalog: Catalog = { streams: [a, b] };
    expect(selectedStreams(catalog).map((s) => s.tap_stream_id)).toEqual(['a']);
    expect(findStream(catalog, 'b')).toBe(b);
    expect(findStream(catalog, 'users')).toBeUndefined();
  });
});

describe('property selection', () => {
  it('selects properties nothing is said about when the stream is selected (Meltano behaviour)', () => {
    const s = stream([selectedStream()]);
    expect(selectedProperties(s)).toEqual(['id', 'name', 'email', 'updated_at']);
  });

  it('selects no property of an unselected stream', () => {
    const s = stream([prop('id', { inclusion: 'automatic' }), prop('name', { selected: true })]);
    expect(isPropertySelected(s, 'id')).toBe(false);
    expect(isPropertySelected(s, 'name')).toBe(false);
    expect(selectedProperties(s)).toEqual([]);
  });

  it('follows the property selected flag, then selected-by-default', () => {
    const s = stream([
      selectedStream(),
      prop('name', { selected: false, 'selected-by-default': true }),
      prop('email', { 'selected-by-default': false }),
      prop('updated_at', { selected: true, 'selected-by-default': false }),
    ]);
    expect(isPropertySelected(s, 'name')).toBe(false);
    expect(isPropertySelected(s, 'email')).toBe(false);
    expect(isPropertySelected(s, 'updated_at')).toBe(true);
  });

  it('keeps automatic properties even with selected: false', () => {
    const s = stream([selectedStream(), prop('email', { inclusion: 'automatic', selected: false })]);
    expect(isPropertySelected(s, 'email')).toBe(true);
  });

  it('drops unsupported properties even with selected: true', () => {
    const s = stream([selectedStream(), prop('email', { inclusion: 'unsupported', selected: true })]);
    expect(isPropertySelected(s, 'email')).toBe(false);
  });

  it('never deselects key properties, from key_properties or table-key-properties', () => {
    const fromStream = stream([selectedStream(), prop('id', { selected: false, inclusion: 'available' })], { key_properties: ['id'] });
    expect(isPropertySelected(fromStream, 'id')).toBe(true);
    const fromMetadata = stream([selectedStream({ 'table-key-properties': ['email'] }), prop('email', { selected: false })]);
    expect(isPropertySelected(fromMetadata, 'email')).toBe(true);
  });

  it('never deselects the replication key', () => {
    const s = stream([selectedStream({ 'replication-key': 'updated_at' }), prop('updated_at', { selected: false })]);
    expect(isPropertySelected(s, 'updated_at')).toBe(true);
    const legacyKey = stream([selectedStream(), prop('updated_at', { selected: false })], { replication_key: 'updated_at' });
    expect(isPropertySelected(legacyKey, 'updated_at')).toBe(true);
  });

  it('honours legacy schema-level property keywords when metadata is silent', () => {
    const s = stream([selectedStream(), prop('name', { selected: true })]);
    s.schema.properties!.email = { type: 'string', selected: false };
    s.schema.properties!.updated_at = { type: 'string', inclusion: 'unsupported' };
    s.schema.properties!.name = { type: 'string', selected: false }; // metadata says true and wins
    expect(selectedProperties(s)).toEqual(['id', 'name']);
  });

  it('does not select names that are not columns', () => {
    expect(isPropertySelected(stream([selectedStream(), prop('ghost', { selected: true })]), 'ghost')).toBe(false);
  });

  it('selectedSchema keeps selected properties and trims required, without touching the stream', () => {
    const s = stream([selectedStream(), prop('email', { selected: false }), prop('name', { selected: false })], { key_properties: ['id'] });
    const schema = selectedSchema(s);
    expect(Object.keys(schema.properties ?? {})).toEqual(['id', 'updated_at']);
    expect(schema.required).toEqual(['id']);
    expect(Object.keys(s.schema.properties ?? {})).toHaveLength(4);
    expect(s.schema.required).toEqual(['id', 'email']);
  });

  it('selectedSchema leaves a schema without properties alone', () => {
    const s = stream([selectedStream()], { schema: { type: 'object', additionalProperties: true } });
    expect(selectedSchema(s)).toEqual({ type: 'object', additionalProperties: true });
  });
});

describe('replication settings', () => {
  it('defaults to FULL_TABLE, even with a replication key', () => {
    expect(replicationMethod(stream())).toBe('FULL_TABLE');
    expect(replicationMethod(stream([selectedStream({ 'replication-key': 'updated_at' })]))).toBe('FULL_TABLE');
  });

  it('prefers forced-replication-method, then metadata, then the stream field', () => {
    expect(replicationMethod(stream([], { replication_method: 'LOG_BASED' }))).toBe('LOG_BASED');
    expect(replicationMethod(stream([selectedStream({ 'replication-method': 'INCREMENTAL' })], { replication_method: 'LOG_BASED' }))).toBe('INCREMENTAL');
    expect(
      replicationMethod(stream([selectedStream({ 'replication-method': 'INCREMENTAL', 'forced-replication-method': 'FULL_TABLE' })], { replication_method: 'LOG_BASED' })),
    ).toBe('FULL_TABLE');
    // tap-salesforce writes the forced method as an object with a reason.
    expect(replicationMethod(stream([selectedStream({ 'forced-replication-method': { 'replication-method': 'full_table', reason: 'no key' } })]))).toBe('FULL_TABLE');
  });

  it('reads the replication key from metadata first, then the stream', () => {
    expect(replicationKey(stream())).toBeUndefined();
    expect(replicationKey(stream([], { replication_key: 'id' }))).toBe('id');
    expect(replicationKey(stream([selectedStream({ 'replication-key': 'updated_at' })], { replication_key: 'id' }))).toBe('updated_at');
  });

  it('reads key properties from table-key-properties first, then key_properties', () => {
    expect(keyProperties(stream())).toEqual([]);
    expect(keyProperties(stream([], { key_properties: ['id'] }))).toEqual(['id']);
    expect(keyProperties(stream([selectedStream({ 'table-key-properties': ['email'] })], { key_properties: ['id'] }))).toEqual(['email']);
    expect(keyProperties(stream([selectedStream({ 'table-key-properties': [] })], { key_properties: ['id'] }))).toEqual([]);
  });
});

describe('applySelection', () => {
  const ids = ['public-orders', 'public-users', 'audit-log', 'audit-login'];
  const catalog = (): Catalog => ({ streams: ids.map((id) => stream([], { tap_stream_id: id })) });
  const chosen = (c: Catalog) => selectedStreams(c).map((s) => s.tap_stream_id);

  it('selects exact names and unselects the rest', () => {
    const input = catalog();
    input.streams[1]!.metadata.push(selectedStream());
    const result = applySelection(input, ['public-orders']);
    expect(chosen(result)).toEqual(['public-orders']);
    // Every stream gets an explicit flag, so selected-by-default can no longer sneak one in.
    expect(result.streams.map((s) => streamMetadata(s).selected)).toEqual([true, false, false, false]);
  });

  it('understands * and ? globs', () => {
    expect(chosen(applySelection(catalog(), ['public-*']))).toEqual(['public-orders', 'public-users']);
    expect(chosen(applySelection(catalog(), ['*']))).toEqual(ids);
    expect(chosen(applySelection(catalog(), ['audit-lo?']))).toEqual(['audit-log']);
    expect(chosen(applySelection(catalog(), ['public-orders', 'audit-*']))).toEqual(['public-orders', 'audit-log', 'audit-login']);
  });

  it('excludes with !pattern, whatever the order', () => {
    expect(chosen(applySelection(catalog(), ['*', '!audit-*']))).toEqual(['public-orders', 'public-users']);
    expect(chosen(applySelection(catalog(), ['!audit-login', 'audit-*']))).toEqual(['audit-log']);
  });

  it('treats only exclusions as "everything but"', () => {
    expect(chosen(applySelection(catalog(), ['!public-*']))).toEqual(['audit-log', 'audit-login']);
  });

  it('takes regex characters literally', () => {
    expect(matchesStreamPattern('public.orders', 'public.orders')).toBe(true);
    expect(matchesStreamPattern('publicXorders', 'public.orders')).toBe(false);
    expect(matchesStreamPattern('a(b)+c', 'a(b)+*')).toBe(true);
  });

  it('does not mutate its input and keeps unsupported streams unselected', () => {
    const input = catalog();
    input.streams[0]!.metadata.push({ breadcrumb: [], metadata: { inclusion: 'unsupported' } });
    const before = structuredClone(input);
    const result = applySelection(input, ['*']);
    expect(input).toEqual(before);
    expect(chosen(result)).toEqual(ids.slice(1));
  });
});
