/**
 * Where a pipeline's state lives between runs. Every backend keeps one current state per pipeline plus a
 * history of the states it replaced, and refuses the two writes that have hurt Singer users: an empty
 * state (the orchestrator would forget every bookmark) and one that moves a bookmark backwards (unless the
 * caller says so: --full-refresh, `tapline state set`, rollback).
 */
import { assertEmittableState, compareStates, StateRegressionError, type SingerState } from '@tapline/protocol';

export interface SaveStateOptions {
  /**
   * Push the state being replaced to the history. The runner does it for the first state of a run only,
   * so that `rollback` goes back one run, not one STATE line.
   */
  keepHistory: boolean;
  /** Accept bookmarks that move backwards (--full-refresh, `state set`). */
  allowRegression?: boolean;
}

export interface StateHistoryEntry {
  state: SingerState;
  /** When this state was replaced. */
  replacedAt: string;
}

export interface StateBackend {
  /** For messages: `file .tapline/state/orders.json`, `postgres table public.tapline_state`. */
  readonly description: string;
  /** The current state, or undefined when there is none. */
  load(): Promise<SingerState | undefined>;
  save(state: SingerState, options: SaveStateOptions): Promise<void>;
  /** Forget the current state (it goes to the history, so a rollback undoes the clear). */
  clear(): Promise<void>;
  /** Make the newest history entry current again and drop it from the history; returns it. */
  rollback(): Promise<SingerState>;
  /** Oldest first. */
  history(): Promise<StateHistoryEntry[]>;
  /** Release connections; safe to call twice. */
  dispose(): Promise<void>;
}

/** History entries kept per pipeline. */
export const HISTORY_LIMIT = 100;

/** The checks every backend runs against its current state before writing `next`. */
export function checkStateToSave(current: SingerState | undefined, next: SingerState, options: SaveStateOptions): void {
  assertEmittableState(next);
  if (current === undefined || options.allowRegression === true) return;
  const regressions = compareStates(current, next);
  if (regressions.length > 0) throw new StateRegressionError(regressions);
}
