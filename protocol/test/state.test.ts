import { describe, expect, it } from 'vitest';
import {
  BookmarkStore,
  StateRegressionError,
  assertEmittableState,
  bookmarkRegressions,
  compareBookmarkValues,
  compareStates,
  isEmptyState,
  mergeStates,
  parseState,
} from '../src/state.js';
import { ConfigurationError, SyncError } from '../src/errors.js';

function regression(run: () => unknown): StateRegressionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(StateRegressionError);
    return error as StateRegressionError;
  }
  throw new Error('expected a StateRegressionError');
}

describe('compareBookmarkValues', () => {
  it('compares numbers numerically, not as text', () => {
    expect(compareBookmarkValues(9, 10)).toBe(-1);
    expect(compareBookmarkValues(10, 9)).toBe(1);
    expect(compareBookmarkValues(5, 5)).toBe(0);
    expect(compareBookmarkValues('9', '10')).toBe(-1);
    expect(compareBookmarkValues(10, '9.5')).toBe(1);
    expect(compareBookmarkValues(-1.5, '-1.25')).toBe(-1);
  });

  it('compares decimal text exactly, beyond float precision', () => {
    expect(compareBookmarkValues('12345678901234567890.5', '12345678901234567890.4')).toBe(1);
    expect(compareBookmarkValues('12345678901234567891', '12345678901234567890')).toBe(1);
    expect(compareBookmarkValues('0.1000000000000000000001', '0.1')).toBe(1);
    expect(compareBookmarkValues('1.50', '1.5')).toBe(0);
    expect(compareBookmarkValues('1e3', 999)).toBe(1);
  });

  it('compares date-times by instant, whatever their offsets', () => {
    expect(compareBookmarkValues('2024-01-01T10:00:00+02:00', '2024-01-01T09:00:00Z')).toBe(-1);
    expect(compareBookmarkValues('2024-01-01T09:00:00Z', '2024-01-01T10:00:00+02:00')).toBe(1);
    expect(compareBookmarkValues('2024-01-01T10:00:00+01:00', '2024-01-01T09:00:00Z')).toBe(0);
    expect(compareBookmarkValues('2023-12-31T23:30:00-05:30', '2024-01-01T05:00:00+00:00')).toBe(0);
    expect(compareBookmarkValues('2024-01-01 09:00:00', '2024-01-01T09:00:00Z')).toBe(0); // no offset means UTC
  });

  it('keeps microseconds that Date would drop', () => {
    expect(compareBookmarkValues('2024-01-01T00:00:00.000002Z', '2024-01-01T00:00:00.000001Z')).toBe(1);
    expect(compareBookmarkValues('2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.500000Z')).toBe(0);
  });

  it('compares dates with date-times as midnight UTC, and old years correctly', () => {
    expect(compareBookmarkValues('2024-01-02', '2024-01-01T23:59:59Z')).toBe(1);
    expect(compareBookmarkValues('1850-03-01T12:00:00-00:17', '1850-03-01T12:00:00Z')).toBe(1);
    expect(compareBookmarkValues('0099-01-01', '1999-01-01')).toBe(-1);
  });

  it('compares other strings lexicographically', () => {
    expect(compareBookmarkValues('abc', 'abd')).toBe(-1);
    expect(compareBookmarkValues('65a1f0c2e4b0', '65a1f0c2e4a9')).toBe(1);
    expect(compareBookmarkValues('2024-02-30', '2024-03-01')).toBe(-1); // not a real date: text order
  });

  it('gives values of different kinds a stable order', () => {
    expect(compareBookmarkValues(5, '2024-01-01')).toBe(-compareBookmarkValues('2024-01-01', 5));
    expect(compareBookmarkValues(true, true)).toBe(0);
  });
});

describe('parseState', () => {
  it('tolerates a first run', () => {
    expect(parseState(undefined)).toEqual({ bookmarks: {}, currently_syncing: null });
    expect(parseState(null)).toEqual({ bookmarks: {}, currently_syncing: null });
    expect(parseState({})).toEqual({ bookmarks: {}, currently_syncing: null });
  });

  it('keeps unknown keys at every level', () => {
    const state = { bookmarks: { a: { xmin: 42, partitions: [{ context: { id: 1 } }] } }, currently_syncing: 'a', meltano: { run: 7 } };
    expect(parseState(state)).toEqual(state);
  });

  it.each([
    ['[]', [], undefined],
    ['a string', 'bookmarks', undefined],
    ['bookmarks as a list', { bookmarks: [] }, 'bookmarks'],
    ['a bookmark that is not an object', { bookmarks: { a: '2024-01-01' } }, 'bookmarks["a"]'],
    ['currently_syncing as a number', { currently_syncing: 3 }, 'currently_syncing'],
  ])('rejects %s', (_name, value, path) => {
    try {
      parseState(value, 'state.json');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).where.path).toBe(path);
      expect((error as ConfigurationError).where.file).toBe('state.json');
    }
  });
});

describe('BookmarkStore', () => {
  it('starts empty and rejects a state that is not an object', () => {
    expect(new BookmarkStore().isEmpty()).toBe(true);
    expect(new BookmarkStore(null).toState()).toEqual({ bookmarks: {}, currently_syncing: null });
    expect(() => new BookmarkStore(42)).toThrow(ConfigurationError);
  });

  it('gets, sets, updates and clears', () => {
    const store = new BookmarkStore({ bookmarks: { a: { version: 1 } } });
    expect(store.get('a')).toEqual({ version: 1 });
    expect(store.get('b')).toBeUndefined();
    store.set('b', { replication_key: 'id', replication_key_value: 5 });
    expect(store.update('b', { replication_key_value: 6, version: 2 })).toEqual({ replication_key: 'id', replication_key_value: 6, version: 2 });
    store.set('a', { lsn: 10 }); // set replaces
    expect(store.get('a')).toEqual({ lsn: 10 });
    store.clear('a');
    expect(store.get('a')).toBeUndefined();
    expect(store.streams()).toEqual(['b']);
  });

  it('removes a key updated to undefined (a completed full-table scan drops its resume point)', () => {
    const store = new BookmarkStore({ bookmarks: { a: { version: 1, full_table_resume: { id: 500 } } } });
    store.update('a', { full_table_resume: undefined });
    expect(store.toState().bookmarks.a).toEqual({ version: 1 });
  });

  it('does not let callers change its bookmarks behind its back', () => {
    const initial = { bookmarks: { a: { replication_key_value: 5 } } };
    const store = new BookmarkStore(initial);
    initial.bookmarks.a.replication_key_value = 1;
    const got = store.get('a')!;
    got.replication_key_value = 0;
    const state = store.toState();
    state.bookmarks.a!.replication_key_value = -1;
    expect(store.get('a')).toEqual({ replication_key_value: 5 });
  });

  it('keeps unknown bookmark and top-level keys', () => {
    const store = new BookmarkStore({ bookmarks: { a: { max_pk_values: { id: 9 }, xmin: '123' } }, currently_syncing: 'a', extra: { note: 'x' } });
    store.update('a', { version: 3 });
    expect(store.toState()).toEqual({ bookmarks: { a: { max_pk_values: { id: 9 }, xmin: '123', version: 3 } }, currently_syncing: 'a', extra: { note: 'x' } });
  });

  it('tracks currently_syncing', () => {
    const store = new BookmarkStore();
    expect(store.currentlySyncing).toBeNull();
    store.currentlySyncing = 'public-orders';
    expect(store.toState().currently_syncing).toBe('public-orders');
    store.currentlySyncing = null;
    expect(store.toState().currently_syncing).toBeNull();
  });

  it('is empty with only empty bookmarks or currently_syncing', () => {
    expect(new BookmarkStore({ bookmarks: { users: {} }, currently_syncing: 'users' }).isEmpty()).toBe(true);
    expect(new BookmarkStore({ bookmarks: { users: { version: 1 } } }).isEmpty()).toBe(false);
  });

  describe('refuses regressions', () => {
    const store = (bookmark: Record<string, unknown>) => new BookmarkStore({ bookmarks: { s: bookmark } });

    it('replication_key_value going back (numbers, timestamps, exact decimals, strings)', () => {
      expect(regression(() => store({ replication_key: 'id', replication_key_value: 10 }).update('s', { replication_key_value: 9 })).regressions).toEqual([
        { stream: 's', key: 'replication_key_value', from: 10, to: 9 },
      ]);
      regression(() => store({ replication_key: 'at', replication_key_value: '2024-01-01T09:00:00Z' }).update('s', { replication_key_value: '2024-01-01T10:00:00+02:00' }));
      regression(() => store({ replication_key: 'n', replication_key_value: '12345678901234567890.5' }).update('s', { replication_key_value: '12345678901234567890.4' }));
      regression(() => store({ replication_key: 'code', replication_key_value: 'b' }).set('s', { replication_key: 'code', replication_key_value: 'a' }));
    });

    it('accepts a replication_key_value that moves forward or stays', () => {
      const s = store({ replication_key: 'at', replication_key_value: '2024-01-01T09:00:00Z' });
      s.update('s', { replication_key_value: '2024-01-01T11:00:00+02:00' }); // 09:00Z, same instant
      s.update('s', { replication_key_value: '2024-01-01T10:00:00+00:00' });
      s.update('s', { replication_key_value: 1 }); // a number after a date: no order, not judged
      expect(s.get('s')?.replication_key_value).toBe(1);
    });

    it('lsn going back, as numbers and as PostgreSQL text compared as 64-bit values', () => {
      regression(() => store({ lsn: 1000 }).update('s', { lsn: 999 }));
      // As text '16/B374D848' < '9/FFFFFFFF', as LSNs it is far above.
      const s = store({ lsn: '9/FFFFFFFF' });
      s.update('s', { lsn: '16/B374D848' });
      expect(regression(() => s.update('s', { lsn: '9/FFFFFFFF' })).regressions[0]).toMatchObject({ key: 'lsn', from: '16/B374D848', to: '9/FFFFFFFF' });
      regression(() => s.update('s', { lsn: '16/B374D847' }));
      // A numeric LSN (PipelineWise) and the text form compare in one space: 0x16B374D848 = 97500059720.
      regression(() => store({ lsn: '16/B374D848' }).update('s', { lsn: 97500059719 }));
      store({ lsn: '16/B374D848' }).update('s', { lsn: 97500059720 });
      regression(() => store({ lsn: '0x0000002A000001A80003' }).update('s', { lsn: '0x0000002A000001A80002' }));
    });

    it('binlog going back: file by numeric suffix across rollover, then position', () => {
      const s = store({ log_file: 'mysql-bin.000999', log_pos: 900 });
      s.update('s', { log_file: 'mysql-bin.001000', log_pos: 4 }); // rollover: text order would call this a step back
      expect(regression(() => s.update('s', { log_file: 'mysql-bin.000999', log_pos: 1000 })).regressions[0]).toMatchObject({ key: 'log_file' });
      expect(regression(() => s.update('s', { log_pos: 3 })).regressions[0]).toMatchObject({ key: 'log_pos', from: 4, to: 3 });
      s.update('s', { log_pos: 120 });
      // Another server's binlog (a failover) cannot be ordered against ours: not judged.
      s.update('s', { log_file: 'replica-bin.000001', log_pos: 4 });
      expect(s.get('s')).toMatchObject({ log_file: 'replica-bin.000001', log_pos: 4 });
    });

    it('version going back', () => {
      expect(regression(() => store({ version: 1700000000002 }).update('s', { version: 1700000000001 })).regressions[0]).toMatchObject({ key: 'version' });
      store({ version: 1 }).update('s', { version: 2 });
    });

    it('reports every regression at once, naming the stream', () => {
      const error = regression(() => store({ lsn: 10, version: 5 }).set('s', { lsn: 9, version: 4 }));
      expect(error.regressions.map((r) => r.key)).toEqual(['lsn', 'version']);
      expect(error).toBeInstanceOf(SyncError);
      expect(error.where.stream).toBe('s');
      expect(error.hint).toMatch(/full-refresh/);
    });

    it('leaves the stored bookmark unchanged after a refused write', () => {
      const s = store({ lsn: 10 });
      expect(() => s.update('s', { lsn: 9 })).toThrow(StateRegressionError);
      expect(s.get('s')).toEqual({ lsn: 10 });
    });

    it('allows it with allowRegression (for --full-refresh and state set)', () => {
      const s = store({ replication_key: 'id', replication_key_value: 10, version: 5 });
      s.set('s', { replication_key: 'id', replication_key_value: 1, version: 1 }, { allowRegression: true });
      expect(s.get('s')).toEqual({ replication_key: 'id', replication_key_value: 1, version: 1 });
      s.update('s', { replication_key_value: 0 }, { allowRegression: true });
    });

    it('resets without error when the replication key changes', () => {
      const s = store({ replication_key: 'updated_at', replication_key_value: '2024-06-01T00:00:00Z', version: 9 });
      expect(s.update('s', { replication_key: 'id', replication_key_value: 1 })).toEqual({ replication_key: 'id', replication_key_value: 1 });
    });

    it('resets without error when the replication method changes', () => {
      const s = store({ last_replication_method: 'LOG_BASED', lsn: 1000, version: 9 });
      expect(s.update('s', { last_replication_method: 'FULL_TABLE', version: 1 })).toEqual({ last_replication_method: 'FULL_TABLE', version: 1 });
      // set() with a new method is not judged either.
      s.set('s', { last_replication_method: 'LOG_BASED', lsn: 5, version: 0 });
    });

    it('does not compare opaque keys (resume tokens, full-table resume points)', () => {
      const s = store({ resume_token: { _data: '8263' }, full_table_resume: { id: 100 } });
      s.update('s', { resume_token: { _data: '0001' }, full_table_resume: { id: 1 } });
    });
  });
});

describe('mergeStates', () => {
  it('replaces a stream\'s bookmark whole, keeping streams only in base', () => {
    const base = { bookmarks: { a: { version: 1, replication_key: 'id', replication_key_value: 5, xmin: 7 }, b: { lsn: 3 } }, currently_syncing: 'a', keep: 1, both: 'base' };
    const incoming = { bookmarks: { a: { version: 1, replication_key: 'id', replication_key_value: 8 }, c: { version: 2 } }, both: 'incoming' };
    expect(mergeStates(base, incoming)).toEqual({
      bookmarks: { a: { version: 1, replication_key: 'id', replication_key_value: 8 }, b: { lsn: 3 }, c: { version: 2 } },
      currently_syncing: 'a',
      keep: 1,
      both: 'incoming',
    });
  });

  it('does not bring back a resume point the tap dropped when its full-table scan completed', () => {
    const merged = mergeStates(
      { bookmarks: { a: { last_replication_method: 'FULL_TABLE', version: 5, full_table_resume: { id: '52000' } } } },
      { bookmarks: { a: { last_replication_method: 'FULL_TABLE', version: 5 } } },
    );
    expect(merged.bookmarks.a).toEqual({ last_replication_method: 'FULL_TABLE', version: 5 });
  });

  it('takes currently_syncing from incoming when incoming has it, null included', () => {
    expect(mergeStates({ currently_syncing: 'a' }, { currently_syncing: null }).currently_syncing).toBeNull();
    expect(mergeStates({ currently_syncing: 'a' }, { currently_syncing: 'b' }).currently_syncing).toBe('b');
  });

  it('replaces a stream whose replication method changed instead of mixing positions', () => {
    const merged = mergeStates(
      { bookmarks: { a: { last_replication_method: 'LOG_BASED', lsn: 100, version: 1 } } },
      { bookmarks: { a: { last_replication_method: 'INCREMENTAL', replication_key: 'id', replication_key_value: 3 } } },
    );
    expect(merged.bookmarks.a).toEqual({ last_replication_method: 'INCREMENTAL', replication_key: 'id', replication_key_value: 3 });
  });

  it('accepts empty sides and does not alias its inputs', () => {
    const base = { bookmarks: { a: { version: 1 } } };
    const merged = mergeStates(base, null);
    expect(merged).toEqual({ bookmarks: { a: { version: 1 } }, currently_syncing: null });
    merged.bookmarks.a!.version = 2;
    expect(base.bookmarks.a.version).toBe(1);
    expect(mergeStates(undefined, { bookmarks: { b: { lsn: 1 } } }).bookmarks).toEqual({ b: { lsn: 1 } });
  });
});

describe('compareStates', () => {
  it('lists regressions without throwing', () => {
    const prev = {
      bookmarks: {
        a: { replication_key: 'at', replication_key_value: '2024-01-01T09:00:00Z' },
        b: { lsn: '16/B374D848' },
        c: { log_file: 'mysql-bin.000012', log_pos: 500 },
        d: { version: 3 },
      },
    };
    const next = {
      bookmarks: {
        a: { replication_key: 'at', replication_key_value: '2024-01-01T10:00:00+02:00' },
        b: { lsn: '16/B374D800' },
        c: { log_file: 'mysql-bin.000011', log_pos: 900 },
        d: { version: 4 },
        e: { version: 1 },
      },
    };
    expect(compareStates(prev, next)).toEqual([
      { stream: 'a', key: 'replication_key_value', from: '2024-01-01T09:00:00Z', to: '2024-01-01T10:00:00+02:00' },
      { stream: 'b', key: 'lsn', from: '16/B374D848', to: '16/B374D800' },
      { stream: 'c', key: 'log_file', from: 'mysql-bin.000012', to: 'mysql-bin.000011' },
    ]);
  });

  it('finds nothing for forward moves, resets, missing streams or a first run', () => {
    expect(compareStates(null, { bookmarks: { a: { version: 1 } } })).toEqual([]);
    expect(compareStates({ bookmarks: { a: { version: 2 }, gone: { lsn: 5 } } }, { bookmarks: { a: { version: 3 } } })).toEqual([]);
    expect(compareStates({ bookmarks: { a: { replication_key: 'x', replication_key_value: 9 } } }, { bookmarks: { a: { replication_key: 'y', replication_key_value: 1 } } })).toEqual([]);
  });

  it('bookmarkRegressions judges one stream', () => {
    expect(bookmarkRegressions('s', { replication_key_value: 2 }, { replication_key_value: 1 })).toEqual([{ stream: 's', key: 'replication_key_value', from: 2, to: 1 }]);
    expect(bookmarkRegressions('s', { replication_key_value: 2 }, {})).toEqual([]);
  });
});

describe('assertEmittableState', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['{}', {}],
    ['empty bookmarks', { bookmarks: {} }],
    ['empty bookmarks and currently_syncing', { bookmarks: {}, currently_syncing: 'a' }],
    ['only empty stream bookmarks', { bookmarks: { users: {}, orders: { replication_key_value: null } } }],
    ['a non-object', 'state'],
  ])('refuses %s', (_name, state) => {
    expect(() => assertEmittableState(state)).toThrow(SyncError);
    expect(isEmptyState(state)).toBe(true);
  });

  it.each([
    ['a bookmark', { bookmarks: { users: { version: 1 } } }],
    ['a falsy but real value', { bookmarks: { users: { replication_key_value: 0 } } }],
    ['a tap keeping state outside bookmarks', { bookmarks: {}, last_run: '2024-01-01' }],
  ])('accepts %s', (_name, state) => {
    expect(() => assertEmittableState(state)).not.toThrow();
  });
});
