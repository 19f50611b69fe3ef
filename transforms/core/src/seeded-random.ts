/**
 * Seeded randomness for everything that draws at random (type-detection sampling, random imputation,
 * isolation forests, sketch compaction), so the same input and seed always give the same output.
 * The reference samples and draws without a seed; a rerun of a pipeline must not change its data.
 */
import { detachValue } from './value-identity.js';

/**
 * mulberry32: a 32-bit state generator. Small, fast and good enough for sampling (not for secrets).
 * Its whole state is one uint32, so fitted models can save it and resume the same sequence.
 */
export class Mulberry32 {
  private current: number;

  constructor(seed: number) {
    // Any number is accepted; it is reduced to its low 32 bits so seeds behave the same everywhere.
    this.current = seed >>> 0;
  }

  /** The generator state, to save with a fitted model and pass to `Mulberry32.fromState`. */
  get state(): number {
    return this.current;
  }

  static fromState(state: number): Mulberry32 {
    return new Mulberry32(state);
  }

  /** A float in [0, 1). */
  next(): number {
    this.current = (this.current + 0x6d2b79f5) >>> 0;
    let t = this.current;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, bound). */
  nextInt(bound: number): number {
    return Math.floor(this.next() * bound);
  }
}

/** A seeded source of floats in [0, 1): mulberry32 behind a plain function. */
export function createRandom(seed: number): () => number {
  const generator = new Mulberry32(seed);
  return () => generator.next();
}

export interface ReservoirSamplerState<T> {
  size: number;
  seen: number;
  items: T[];
  randomState: number;
}

/**
 * Uniform sample of fixed size from a stream of unknown length (Algorithm R), in bounded memory.
 * Every item seen so far has the same chance, size/seen, of being in the sample.
 */
export class ReservoirSampler<T> {
  private readonly items: T[] = [];
  private seenCount = 0;
  private readonly random: Mulberry32;

  constructor(
    readonly size: number,
    seed: number | Mulberry32 = 0,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`transform-core: reservoir size must be a non-negative integer, got ${size}`);
    this.random = typeof seed === 'number' ? new Mulberry32(seed) : seed;
  }

  add(item: T): void {
    this.seenCount += 1;
    if (this.items.length < this.size) {
      this.items.push(detachValue(item));
      return;
    }
    const slot = this.random.nextInt(this.seenCount);
    if (slot < this.size) this.items[slot] = detachValue(item);
  }

  /** How many items were offered. */
  get seen(): number {
    return this.seenCount;
  }

  /** The current sample (a copy, in reservoir order). */
  get sample(): T[] {
    return [...this.items];
  }

  toJSON(): ReservoirSamplerState<T> {
    return { size: this.size, seen: this.seenCount, items: [...this.items], randomState: this.random.state };
  }

  static fromJSON<T>(state: ReservoirSamplerState<T>): ReservoirSampler<T> {
    const sampler = new ReservoirSampler<T>(state.size, Mulberry32.fromState(state.randomState));
    sampler.items.push(...state.items);
    sampler.seenCount = state.seen;
    return sampler;
  }
}

/** A seeded uniform sample of `size` items (all of them when there are fewer). */
export function reservoirSample<T>(items: Iterable<T>, size: number, seed: number): T[] {
  const sampler = new ReservoirSampler<T>(size, seed);
  for (const item of items) sampler.add(item);
  return sampler.sample;
}
