/**
 * Persisting the STATE lines a target confirms. A target prints a STATE only once everything before it is
 * committed, so the last one it printed is exactly what the next run may resume from. Each confirmed
 * state is merged onto the stored one (a run that synced two of ten streams must keep the other eight),
 * checked, and saved; states that arrive while a save is in flight are coalesced, so a slow backend
 * slows nothing down and the one saved last is always the last one confirmed.
 */
import {
  compareStates,
  isEmptyState,
  parseState,
  StateRegressionError,
  stringifyExact,
  type Logger,
  type SingerState,
} from '@tapline/protocol';
import type { StateBackend } from './state-backend.js';

/**
 * `incoming` over `base`, stream by stream: a stream's bookmark in `incoming` replaces the one in `base`
 * whole, streams only in `base` are kept, and the other top-level keys of `incoming` win
 * (`currently_syncing` when it has one). Not a deep merge: a tap drops keys from a stream's bookmark on
 * purpose (`full_table_resume` once a scan completes), and a key-by-key merge would bring the stale resume
 * point back, so the next run would skip the rows before it.
 */
export function mergeByStream(base: unknown, incoming: unknown): SingerState {
  const from = parseState(base);
  const to = parseState(incoming);
  const hasSyncing = incoming !== null && typeof incoming === 'object' && 'currently_syncing' in incoming;
  return {
    ...from,
    ...to,
    bookmarks: { ...from.bookmarks, ...to.bookmarks },
    currently_syncing: hasSyncing ? to.currently_syncing : from.currently_syncing,
  };
}

/** `value` with every object's keys sorted, so two states differing only in key order compare equal. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(object).sort().map((key) => [key, sortedKeys(object[key])]));
}

/**
 * Whether two states are the same JSON, with integers beyond 2^53 compared digit for digit and key order
 * ignored (the PostgreSQL backend's jsonb gives keys back in its own order, not the target's).
 */
export function sameState(a: unknown, b: unknown): boolean {
  return stringifyExact(sortedKeys(a)) === stringifyExact(sortedKeys(b));
}

export interface RecorderOptions {
  /** --full-refresh: the run started without state, so its bookmarks replace the stored ones. */
  fullRefresh: boolean;
  logger: Logger;
  /** Called once when a save fails: the run should stop, since nothing it confirms can be kept. */
  onSaveFailure?: (error: unknown) => void;
}

export class ConfirmedStateRecorder {
  /** The confirmed states of this run merged in order. */
  private runState: SingerState | undefined;
  /** The last state accepted for saving (what the backend holds once the queue drains). */
  private accepted: SingerState | undefined;
  private pending: SingerState | undefined;
  private saving: Promise<void> | undefined;
  private savedOnce = false;
  private failure: unknown;
  /** How many states were saved, and how many the target confirmed but we refused. */
  saved = 0;
  refused = 0;

  constructor(
    private readonly backend: StateBackend,
    private readonly stored: SingerState | undefined,
    private readonly options: RecorderOptions,
  ) {
    this.accepted = options.fullRefresh ? undefined : stored;
  }

  /** The state the backend holds after `flush()`. */
  get lastAccepted(): SingerState | undefined {
    return this.accepted;
  }

  /** A state the target confirmed. Never throws; a failing backend is reported by `flush()`. */
  confirm(value: unknown): void {
    const logger = this.options.logger;
    if (isEmptyState(value)) {
      this.refused++;
      logger.warn(`the target confirmed an empty state ${stringifyExact(value ?? null)}; not saved, the stored bookmarks are kept`);
      return;
    }
    let nextRun: SingerState;
    try {
      nextRun = mergeByStream(this.runState, value);
    } catch (error) {
      this.refused++;
      logger.warn(`the target confirmed a state that is not a Singer state; not saved: ${(error as Error).message}`);
      return;
    }
    const candidate = this.options.fullRefresh
      ? mergeByStream(this.storedWithout(Object.keys(nextRun.bookmarks)), nextRun)
      : mergeByStream(this.stored, nextRun);
    const regressions = this.accepted === undefined ? [] : compareStates(this.accepted, candidate);
    if (regressions.length > 0) {
      this.refused++;
      logger.warn(`refusing to save a confirmed state: ${new StateRegressionError(regressions).message}; the stored state is kept`);
      return;
    }
    this.runState = nextRun;
    // The same state again (a run that found nothing new) changes nothing; saving it would only push a
    // duplicate into the history that `rollback` walks back through.
    if (this.accepted !== undefined && sameState(this.accepted, candidate)) return;
    this.accepted = candidate;
    this.pending = candidate;
    this.saving ??= this.drain();
  }

  /** Wait until every accepted state is saved; throws the backend's error if a save failed. */
  async flush(): Promise<void> {
    while (this.saving) await this.saving;
    if (this.failure !== undefined) throw this.failure;
  }

  /** True once a save has failed: the run must stop, since nothing it confirms can be kept. */
  get failed(): unknown {
    return this.failure;
  }

  private storedWithout(streams: string[]): SingerState | undefined {
    if (this.stored === undefined) return undefined;
    const copy = structuredClone(this.stored);
    for (const stream of streams) delete copy.bookmarks[stream];
    return copy;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== undefined && this.failure === undefined) {
        const state = this.pending;
        this.pending = undefined;
        try {
          await this.backend.save(state, { keepHistory: !this.savedOnce, allowRegression: this.options.fullRefresh });
          this.savedOnce = true;
          this.saved++;
        } catch (error) {
          if (error instanceof StateRegressionError) {
            // Another writer (a second worker sharing the backend) moved ahead of us: keep theirs.
            this.refused++;
            this.options.logger.warn(`not saving a confirmed state: ${error.message}; ${this.backend.description} keeps the newer one`);
          } else {
            this.failure = error;
            this.options.onSaveFailure?.(error);
          }
        }
      }
    } finally {
      this.saving = undefined;
    }
  }
}
