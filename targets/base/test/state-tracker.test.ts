import { describe, expect, it } from 'vitest';
import { StateTracker } from '../src/state-tracker.js';

describe('StateTracker', () => {
  it('holds a STATE until every record before it is committed, then releases states in order', () => {
    const tracker = new StateTracker();
    tracker.noteReceived('a', 2);
    tracker.addState({ bookmarks: { a: { id: 2 } } }, 3);
    tracker.noteReceived('b', 1);
    tracker.addState({ bookmarks: { a: { id: 2 }, b: { id: 1 } } }, 5);
    expect(tracker.takeEmittable()).toEqual([]);
    tracker.noteCommitted('b', 1);
    expect(tracker.takeEmittable()).toEqual([]); // the first state still waits for a
    tracker.noteCommitted('a', 2);
    expect(tracker.takeEmittable()).toEqual([{ bookmarks: { a: { id: 2 } } }, { bookmarks: { a: { id: 2 }, b: { id: 1 } } }]);
  });

  it('passes at once a state that covers nothing uncommitted, and never an empty or repeated one', () => {
    const tracker = new StateTracker();
    tracker.addState({}, 1);
    tracker.addState({ bookmarks: {} }, 2);
    tracker.addState({ bookmarks: { a: { id: 1 } } }, 3);
    tracker.addState({ bookmarks: { a: { id: 1 } } }, 4);
    expect(tracker.takeEmittable()).toEqual([{ bookmarks: { a: { id: 1 } } }]);
  });

  it('freezes a failed stream at its last confirmed bookmark while the others advance', () => {
    const tracker = new StateTracker();
    tracker.addState({ bookmarks: { 'public-a': { id: 1 }, 'public-b': { id: 10 } }, currently_syncing: null }, 1);
    expect(tracker.takeEmittable()).toHaveLength(1);
    tracker.noteReceived('a', 5);
    tracker.noteReceived('b', 5);
    tracker.addState({ bookmarks: { 'public-a': { id: 6 }, 'public-b': { id: 15 } }, currently_syncing: 'public-b' }, 12);
    tracker.noteCommitted('b', 5);
    tracker.freeze('a'); // a's load failed: its 5 records will never be committed
    expect(tracker.takeEmittable()).toEqual([{ bookmarks: { 'public-a': { id: 1 }, 'public-b': { id: 15 } }, currently_syncing: 'public-b' }]);
  });

  it('removes the bookmark of a failed stream that was never confirmed', () => {
    const tracker = new StateTracker();
    tracker.noteReceived('a', 1);
    tracker.noteReceived('b', 1);
    tracker.addState({ bookmarks: { a: { id: 1 }, b: { id: 1 } } }, 3);
    tracker.noteCommitted('b', 1);
    tracker.freeze('a');
    expect(tracker.takeEmittable()).toEqual([{ bookmarks: { b: { id: 1 } } }]);
  });
});
