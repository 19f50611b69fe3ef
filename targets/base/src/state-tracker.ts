import { assertEmittableState, stringifyExact } from '@tapline/protocol';

interface PendingState {
  value: unknown;
  /** Records (and version activations) received per stream before this STATE arrived. */
  marks: Map<string, number>;
  line: number;
}

/**
 * Decides when a STATE may be printed: only once every record that arrived before it is committed.
 * Each stream counts what it received and what it committed; a STATE remembers the received counts at
 * its arrival and becomes safe when every committed count has caught up. States come out in the order
 * they arrived, each exactly once, never empty, and never for a stream that failed (see `freeze`).
 */
export class StateTracker {
  private readonly received = new Map<string, number>();
  private readonly committed = new Map<string, number>();
  private readonly pending: PendingState[] = [];
  private readonly failed = new Map<string, string[]>();
  private lastEmitted: unknown;
  private lastEmittedText: string | undefined;
  /** Set when a failed stream's bookmark cannot be found in the state: nothing more may be emitted. */
  private blocked = false;

  noteReceived(stream: string, count = 1): void {
    this.received.set(stream, (this.received.get(stream) ?? 0) + count);
  }

  noteCommitted(stream: string, count: number): void {
    this.committed.set(stream, (this.committed.get(stream) ?? 0) + count);
  }

  /** Uncommitted records of a stream. */
  backlog(stream: string): number {
    return (this.received.get(stream) ?? 0) - (this.committed.get(stream) ?? 0);
  }

  addState(value: unknown, line: number): void {
    const marks = new Map<string, number>();
    for (const [stream, count] of this.received) {
      if (count > (this.committed.get(stream) ?? 0)) marks.set(stream, count);
    }
    // Consecutive states waiting on the same data: only the newest can ever matter to a resuming tap,
    // but every one is printed in order so that a reader sees exactly what the tap said.
    this.pending.push({ value, marks, line });
  }

  /**
   * A stream failed: its records will never be committed. From now on its bookmarks are frozen at the
   * last emitted state's value, so the other streams' progress can still be confirmed.
   */
  freeze(stream: string): void {
    this.failed.set(stream, []);
  }

  /** States that have become safe, in order, ready to print. */
  takeEmittable(): unknown[] {
    const out: unknown[] = [];
    while (this.pending.length > 0 && !this.blocked) {
      const head = this.pending[0]!;
      let safe = true;
      for (const [stream, mark] of head.marks) {
        if (this.failed.has(stream)) continue;
        if ((this.committed.get(stream) ?? 0) < mark) {
          safe = false;
          break;
        }
      }
      if (!safe) break;
      this.pending.shift();
      const value = this.failed.size > 0 ? this.withFrozenBookmarks(head.value) : head.value;
      if (value === undefined) {
        this.blocked = true;
        break;
      }
      try {
        assertEmittableState(value);
      } catch {
        continue; // never print an empty state
      }
      const text = stringifyExact(value);
      if (text === this.lastEmittedText) continue;
      this.lastEmitted = value;
      this.lastEmittedText = text;
      out.push(value);
    }
    return out;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /**
   * Replace each failed stream's bookmark with the one last confirmed. Bookmarks are keyed by
   * tap_stream_id, which is the stream name or ends with it (`public-orders` for stream `orders`).
   * Returns undefined when a failed stream's bookmark cannot be located: printing would risk
   * confirming data that was never committed.
   */
  private withFrozenBookmarks(value: unknown): unknown {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const state = structuredClone(value) as Record<string, unknown>;
    const bookmarks = state.bookmarks;
    if (bookmarks === null || typeof bookmarks !== 'object' || Array.isArray(bookmarks)) return undefined;
    const previous = (this.lastEmitted as { bookmarks?: Record<string, unknown> } | undefined)?.bookmarks ?? {};
    const map = bookmarks as Record<string, unknown>;
    for (const stream of this.failed.keys()) {
      const keys = Object.keys(map).filter((key) => bookmarkKeyMatches(key, stream));
      const previousKeys = Object.keys(previous).filter((key) => bookmarkKeyMatches(key, stream));
      if (keys.length === 0 && previousKeys.length === 0) continue; // the tap keeps no bookmark for it
      if (keys.length > 1) return undefined;
      for (const key of new Set([...keys, ...previousKeys])) {
        if (key in previous) map[key] = structuredClone(previous[key]);
        else delete map[key];
      }
      if (typeof state.currently_syncing === 'string' && bookmarkKeyMatches(state.currently_syncing, stream)) {
        state.currently_syncing = (this.lastEmitted as { currently_syncing?: unknown } | undefined)?.currently_syncing ?? null;
      }
    }
    return state;
  }
}

export function bookmarkKeyMatches(key: string, stream: string): boolean {
  return key === stream || key.endsWith(`-${stream}`) || key.endsWith(`.${stream}`);
}
