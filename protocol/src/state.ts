/**
 * Singer state: `{"bookmarks": {"<tap_stream_id>": {...}}, "currently_syncing": ...}`. Taps keep their
 * bookmarks in a BookmarkStore, which refuses to move a bookmark backwards (a regressed bookmark re-reads
 * data at best and, for a change log, asks for positions the server has already discarded). Runners and
 * state backends merge and compare whole states with `mergeStates` and `compareStates`, and nothing may
 * emit an empty state (`assertEmittableState`), because orchestrators overwrite the stored one with it.
 */
import { ConfigurationError, SyncError } from './errors.js';
import { compareDecimals } from './decimal.js';
import { stringifyExact } from './exact-json.js';
import { isDate, isDateTime } from './formats.js';

/**
 * One stream's bookmark. The named keys are those used across the Singer world (singer-io, PipelineWise,
 * Meltano SDK taps); any other key a tap writes (`xmin`, `max_pk_values`, `partitions`, ...) is kept as is.
 */
export interface Bookmark {
  replication_key?: string;
  replication_key_value?: unknown;
  /** The table version for ACTIVATE_VERSION (a full-table sync's start time, usually). */
  version?: number;
  last_replication_method?: string;
  /** PostgreSQL log position: a number (PipelineWise) or the `16/B374D848` text form. */
  lsn?: number | string;
  /** MySQL binlog position. */
  log_file?: string;
  log_pos?: number;
  /** MongoDB change stream resume token: opaque, never compared. */
  resume_token?: unknown;
  /** Tapline's full-table resume point (the last key read), any JSON. */
  full_table_resume?: unknown;
  [key: string]: unknown;
}

export interface SingerState {
  bookmarks: Record<string, Bookmark>;
  currently_syncing: string | null;
  [key: string]: unknown;
}

export interface StateRegression {
  stream: string;
  /** The bookmark key that went backwards: replication_key_value, lsn, log_file, log_pos or version. */
  key: string;
  from: unknown;
  to: unknown;
}

/** A bookmark would move backwards. A sync problem, not a data one: the run must stop before emitting it. */
export class StateRegressionError extends SyncError {
  readonly regressions: StateRegression[];
  constructor(regressions: StateRegression[], options: { file?: string } = {}) {
    const first = regressions[0];
    const text = regressions.map((r) => `${r.key} from ${stringifyExact(r.from)} to ${stringifyExact(r.to)}`).join('; ');
    super(`the bookmark would move backwards: ${text}`, {
      ...options,
      ...(first === undefined ? {} : { stream: first.stream }),
      hint: 'A bookmark never moves backwards on its own; to restart a stream on purpose use --full-refresh or `tapline state set`',
    });
    this.regressions = regressions;
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// Comparing bookmark values
// ---------------------------------------------------------------------------------------------------------

const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?$/;
// The date-time shapes formats.ts accepts: optional seconds and fraction, `T`/`t`/space, offset or none.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?([Zz]|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/** Decimal text or a finite number, in a form `compareDecimals` takes, or undefined. */
function asDecimal(value: unknown): string | number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return DECIMAL_TEXT.test(value) ? value : undefined;
  return undefined;
}

function compareNumbers(a: string | number, b: string | number): -1 | 0 | 1 {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  // A silly exponent (`1e999999999`) would make exact alignment build a gigantic bigint; compare those as
  // floats, which is exact enough for values that far apart.
  const huge = (v: string | number) => typeof v === 'string' && Math.abs(Number(DECIMAL_TEXT.exec(v)?.[1] ?? 0)) > 1000;
  if (huge(a) || huge(b)) return Math.sign(Number(a) - Number(b)) as -1 | 0 | 1;
  return compareDecimals(a, b) ?? 0;
}

/**
 * The instant of an ISO-8601 date or date-time, in picoseconds since the epoch, exactly: `Date` keeps only
 * milliseconds, and PostgreSQL timestamps have microseconds, so two bookmarks 1 µs apart would look equal.
 * A value without an offset means UTC (as formats.ts says); a bare date means its midnight UTC.
 */
function instantOf(value: string): bigint | undefined {
  // formats.ts checks the calendar (no 2024-02-30), so an impossible date is compared as plain text.
  if (!isDateTime(value) && !isDate(value)) return undefined;
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone, sign, oh = '0', om = '0'] = m;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC, so that years 0-99 are not taken for 1900-1999.
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  let seconds = BigInt(date.getTime() / 1000);
  if (zone !== undefined && sign !== undefined) {
    const offset = BigInt(Number(oh) * 3600 + Number(om) * 60);
    seconds -= sign === '+' ? offset : -offset;
  }
  return seconds * 10n ** 12n + BigInt(fraction.padEnd(12, '0'));
}

type Comparable = { kind: 'number'; a: string | number; b: string | number } | { kind: 'instant'; a: bigint; b: bigint } | { kind: 'string'; a: string; b: string };

/** How two values compare, when they are of one kind: both numbers, both date-times, or both strings. */
function comparable(a: unknown, b: unknown): Comparable | undefined {
  const da = asDecimal(a);
  const db = asDecimal(b);
  if (da !== undefined && db !== undefined) return { kind: 'number', a: da, b: db };
  if (typeof a !== 'string' || typeof b !== 'string') return undefined;
  const ia = instantOf(a);
  const ib = instantOf(b);
  if (ia !== undefined && ib !== undefined) return { kind: 'instant', a: ia, b: ib };
  return { kind: 'string', a, b };
}

const KIND_RANK = ['undefined', 'object', 'boolean', 'number', 'bigint', 'string'];

/**
 * Order two bookmark values: numbers (and decimal text) numerically and exactly, ISO-8601 dates and
 * date-times by the instant they denote (`2024-01-01T10:00:00+02:00` is before `2024-01-01T09:00:00Z`),
 * other strings by code unit. Values of different kinds (a number and a date, say) have no meaningful
 * order; they get a stable arbitrary one (by type, then JSON text) so sorting works, but regression checks
 * never act on it.
 */
export function compareBookmarkValues(a: unknown, b: unknown): -1 | 0 | 1 {
  const pair = comparable(a, b);
  if (pair?.kind === 'number') return compareNumbers(pair.a, pair.b);
  if (pair !== undefined) return pair.a < pair.b ? -1 : pair.a > pair.b ? 1 : 0;
  const ra = KIND_RANK.indexOf(a === null ? 'object' : typeof a);
  const rb = KIND_RANK.indexOf(b === null ? 'object' : typeof b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  const ta = stringifyExact(a) ?? '';
  const tb = stringifyExact(b) ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** True when `next` is strictly below `prev` and the two can be ordered at all. */
function goesBack(prev: unknown, next: unknown): boolean {
  return comparable(prev, next) !== undefined && compareBookmarkValues(prev, next) === 1;
}

/**
 * A log sequence number as a 64-bit value: an integer (PipelineWise stores PostgreSQL LSNs as numbers),
 * PostgreSQL's `XXXXXXXX/YYYYYYYY` text (high and low 32 bits in hex, so `16/B374D848` is above
 * `9/FFFFFFFF` though it sorts below as text), `0x...` hex (SQL Server CDC LSNs), or decimal text.
 */
function lsnValue(value: unknown): bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'string') return undefined;
  const pg = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(value);
  if (pg) return (BigInt(`0x${pg[1]}`) << 32n) | BigInt(`0x${pg[2]}`);
  if (/^0[xX][0-9A-Fa-f]+$/.test(value)) return BigInt(value);
  if (/^\d+$/.test(value)) return BigInt(value);
  return undefined;
}

/** A binlog file name split into its base and numeric suffix: `mysql-bin.000012` -> (`mysql-bin.`, 12). */
function binlogFile(value: unknown): { base: string; index: bigint } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(.*?)(\d+)$/.exec(value);
  return m ? { base: m[1] ?? '', index: BigInt(m[2] ?? '0') } : undefined;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * True when `next` starts the stream over rather than continuing it: the replication method or the
 * replication key changed. singer-io taps then reset the stream's bookmark (`clear_state_on_replication_change`),
 * so its positions are not comparable with the old ones. A key missing on one side is "unchanged".
 */
function isReset(prev: Bookmark, next: Bookmark): boolean {
  const changed = (key: string) => present(prev[key]) && present(next[key]) && prev[key] !== next[key];
  return changed('last_replication_method') || changed('replication_key');
}

/**
 * The ways `next` moves backwards from `prev` for one stream: the replication key value, the LSN, the
 * binlog file and position, the table version. Values that cannot be ordered (different kinds, opaque
 * tokens, binlog files of another server) are not judged. A key that disappears is not a regression: a
 * tap drops e.g. its full-table resume point when the scan completes.
 */
export function bookmarkRegressions(stream: string, prev: Bookmark, next: Bookmark): StateRegression[] {
  if (isReset(prev, next)) return [];
  const found: StateRegression[] = [];
  const report = (key: string) => found.push({ stream, key, from: prev[key], to: next[key] });

  if (present(prev.replication_key_value) && present(next.replication_key_value) && goesBack(prev.replication_key_value, next.replication_key_value)) {
    report('replication_key_value');
  }

  const [fromLsn, toLsn] = [lsnValue(prev.lsn), lsnValue(next.lsn)];
  if (fromLsn !== undefined && toLsn !== undefined && toLsn < fromLsn) report('lsn');

  const [fromFile, toFile] = [binlogFile(prev.log_file), binlogFile(next.log_file)];
  // Different bases mean another server or a renamed log (a failover): the two positions cannot be ordered.
  if (fromFile !== undefined && toFile !== undefined && fromFile.base === toFile.base) {
    if (toFile.index < fromFile.index) report('log_file');
    else if (toFile.index === fromFile.index && present(prev.log_pos) && present(next.log_pos) && goesBack(prev.log_pos, next.log_pos)) {
      report('log_pos');
    }
  }

  if (present(prev.version) && present(next.version) && goesBack(prev.version, next.version)) report('version');
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing, merging and comparing whole states
// ---------------------------------------------------------------------------------------------------------

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${stringifyExact(value)}`;
}

/**
 * Check a state and return a deep copy with `bookmarks` and `currently_syncing` always present. Tolerant
 * of what a first run hands us (`undefined`, `null`, `{}`); other top-level keys are kept. A state that is
 * not an object, or whose bookmarks are not objects, is a ConfigurationError: it is almost always the
 * wrong file, and guessing would lose bookmarks.
 */
export function parseState(value: unknown, source?: string): SingerState {
  const where = source === undefined ? {} : { file: source };
  const hint = 'A Singer state looks like {"bookmarks": {"<stream>": {...}}}; pass the last STATE line a target printed';
  if (value === undefined || value === null) return { bookmarks: {}, currently_syncing: null };
  if (!isObject(value)) throw new ConfigurationError(`a state must be a JSON object, got ${describe(value)}`, { ...where, hint });
  const copy = structuredClone(value);
  const bookmarks = copy.bookmarks ?? {};
  if (!isObject(bookmarks)) throw new ConfigurationError(`"bookmarks" must be an object, got ${describe(bookmarks)}`, { ...where, path: 'bookmarks', hint });
  for (const [stream, bookmark] of Object.entries(bookmarks)) {
    if (!isObject(bookmark)) {
      throw new ConfigurationError(`the bookmark of a stream must be an object, got ${describe(bookmark)}`, {
        ...where,
        stream,
        path: `bookmarks[${JSON.stringify(stream)}]`,
        hint,
      });
    }
  }
  const syncing = copy.currently_syncing ?? null;
  if (syncing !== null && typeof syncing !== 'string') {
    throw new ConfigurationError(`"currently_syncing" must be a stream id or null, got ${describe(syncing)}`, { ...where, path: 'currently_syncing', hint });
  }
  return { ...copy, bookmarks: bookmarks as Record<string, Bookmark>, currently_syncing: syncing };
}

/**
 * Merge `incoming` onto `base`: a stream's incoming bookmark replaces the old one whole, streams only in
 * `base` are kept (a run that synced two of ten streams must not forget the other eight), and other
 * top-level keys from `incoming` win (`currently_syncing` included, when `incoming` has it). Bookmarks are
 * never merged key by key: a tap drops keys on purpose (a full-table resume point once the scan is
 * complete), and a merged-in stale key would make the next run skip rows.
 */
export function mergeStates(base: unknown, incoming: unknown): SingerState {
  const from = parseState(base);
  const to = parseState(incoming);
  const incomingHasSyncing = isObject(incoming) && 'currently_syncing' in incoming;
  const { bookmarks: baseBookmarks, ...baseRest } = from;
  const { bookmarks: incomingBookmarks, currently_syncing: incomingSyncing, ...incomingRest } = to;
  const bookmarks: Record<string, Bookmark> = { ...baseBookmarks };
  for (const [stream, bookmark] of Object.entries(incomingBookmarks)) {
    bookmarks[stream] = bookmark;
  }
  return {
    ...baseRest,
    ...incomingRest,
    bookmarks,
    currently_syncing: incomingHasSyncing ? incomingSyncing : from.currently_syncing,
  };
}

/**
 * Every bookmark of `next` that moved backwards from `prev`, without throwing, for state backends that
 * must refuse to persist a regressed state. Streams present in only one of the two are not judged.
 */
export function compareStates(prev: unknown, next: unknown): StateRegression[] {
  const before = parseState(prev).bookmarks;
  const after = parseState(next).bookmarks;
  return Object.entries(after).flatMap(([stream, bookmark]) => {
    const old = before[stream];
    return old === undefined ? [] : bookmarkRegressions(stream, old, bookmark);
  });
}

/** Anything other than null, and objects and arrays with something meaningful inside. */
function meaningful(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.values(value).some(meaningful);
  return true;
}

/**
 * True when a state carries no bookmark: `null`, `{}`, `{"bookmarks": {}}`, or only empty bookmarks (the
 * Meltano SDK writes `{"bookmarks": {"users": {}}}` for a full-table stream). `currently_syncing` alone
 * does not count: it says nothing about where to resume. Other top-level keys do count when they hold a
 * value, since some taps keep their state there.
 */
export function isEmptyState(state: unknown): boolean {
  if (!isObject(state)) return true;
  return !Object.entries(state).some(([key, value]) => key !== 'currently_syncing' && meaningful(value));
}

/**
 * Throw unless `state` is worth emitting. An orchestrator stores the last STATE it sees and passes it to
 * the next run; an empty one would replace the stored bookmarks and restart every stream from scratch.
 */
export function assertEmittableState(state: unknown): void {
  if (isEmptyState(state)) {
    throw new SyncError(`refusing to emit an empty state (${stringifyExact(state ?? null)})`, {
      hint: 'An empty STATE would make the orchestrator forget the stored bookmarks; emit the last non-empty state instead, or nothing',
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// BookmarkStore
// ---------------------------------------------------------------------------------------------------------

export interface BookmarkWriteOptions {
  /** Accept a bookmark that moves backwards: for --full-refresh and `tapline state set`. */
  allowRegression?: boolean;
}

/** A copy without the keys whose value is undefined (JSON would drop them anyway). */
function withoutUndefined(bookmark: Bookmark): Bookmark {
  const copy = structuredClone(bookmark);
  for (const [key, value] of Object.entries(copy)) if (value === undefined) delete copy[key];
  return copy;
}

/**
 * The bookmarks of one run. Every read returns a copy and every write checks for regressions, so a bookmark
 * can only move forwards unless a caller says `allowRegression`.
 */
export class BookmarkStore {
  private state: SingerState;

  /** `initial` is a Singer state, or null / undefined / `{}` for a first run; `source` names its file in errors. */
  constructor(initial?: unknown, options: { source?: string } = {}) {
    this.state = parseState(initial, options.source);
  }

  /** A copy of the stream's bookmark, or undefined when it has none. */
  get(streamId: string): Bookmark | undefined {
    const bookmark = this.state.bookmarks[streamId];
    return bookmark === undefined ? undefined : structuredClone(bookmark);
  }

  /** Replace the stream's bookmark. Throws StateRegressionError if it moves backwards. */
  set(streamId: string, bookmark: Bookmark, options: BookmarkWriteOptions = {}): void {
    if (!isObject(bookmark)) throw new SyncError(`a bookmark must be an object, got ${describe(bookmark)}`, { stream: streamId });
    this.write(streamId, withoutUndefined(bookmark), options);
  }

  /**
   * Merge `partial` into the stream's bookmark (a key set to undefined is removed) and return the result.
   * When `partial` changes the replication method or the replication key, the stream starts over: the old
   * bookmark is dropped rather than merged, since a value of the old key would be read as a lower bound
   * for the new one. Throws StateRegressionError if the bookmark would move backwards.
   */
  update(streamId: string, partial: Partial<Bookmark>, options: BookmarkWriteOptions = {}): Bookmark {
    const old = this.state.bookmarks[streamId];
    const merged = old === undefined || isReset(old, partial) ? { ...partial } : { ...old, ...partial };
    this.write(streamId, withoutUndefined(merged), options);
    return this.get(streamId) ?? {};
  }

  private write(streamId: string, bookmark: Bookmark, options: BookmarkWriteOptions): void {
    const old = this.state.bookmarks[streamId];
    if (old !== undefined && options.allowRegression !== true) {
      const regressions = bookmarkRegressions(streamId, old, bookmark);
      if (regressions.length > 0) throw new StateRegressionError(regressions);
    }
    this.state.bookmarks[streamId] = bookmark;
  }

  /** Forget the stream's bookmark (the next run reads it from the start). */
  clear(streamId: string): void {
    delete this.state.bookmarks[streamId];
  }

  /** The ids of the streams that have a bookmark. */
  streams(): string[] {
    return Object.keys(this.state.bookmarks);
  }

  get currentlySyncing(): string | null {
    return this.state.currently_syncing;
  }

  set currentlySyncing(streamId: string | null) {
    this.state.currently_syncing = streamId;
  }

  /** A deep copy as a plain Singer state, other top-level keys of the initial state included. */
  toState(): SingerState {
    return structuredClone(this.state);
  }

  /** True when there is nothing worth emitting (see isEmptyState). */
  isEmpty(): boolean {
    return isEmptyState(this.state);
  }
}
