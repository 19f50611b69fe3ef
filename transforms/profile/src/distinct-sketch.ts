/**
 * Distinct counts in bounded memory: a K-minimum-values sketch (Bar-Yossef et al. 2002). Every value is
 * hashed to a uniform number in [0, 1); the sketch keeps the k smallest distinct hashes. Below k distinct
 * values it is exact (up to hash collisions, ~n²/2^54); above, the estimate (k - 1) / h_k has a relative
 * standard error of at most 1 / sqrt(k - 2): 1.6% for the default k = 4096 (32 KiB per sketch).
 *
 * Not in transform-core because only the profile needs it; the hash is ours because Node has no fast
 * non-cryptographic string hash (crypto's are 10x slower than this on short values).
 */

const TWO_POW_21 = 2 ** 21;
const TWO_POW_53 = 2 ** 53;

// Module-local constants for the loops here (and exported copies): an exported or imported binding is a
// load and a check per use in V8's optimised code, which measurably slows a loop over every byte.
const PRIME_A = 0x01000193;
const PRIME_B = 0x5bd1e995;
export const HASH_PRIME_A = PRIME_A;
export const HASH_PRIME_B = PRIME_B;

function finalise(h: number): number {
  // murmur3 fmix32: spreads the bits of the FNV accumulator so low-entropy inputs still hash uniformly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 53-bit hash of a string, as a float in [0, 1). `tag` separates kinds of value (1 vs "1"). */
export function hashString(text: string, tag = 0): number {
  let a = hashLaneA(tag);
  let b = hashLaneB(tag);
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, PRIME_A);
    b = Math.imul(b ^ c, PRIME_B);
  }
  return hashOfLanes(a, b);
}

/** hashString of ASCII text given as its bytes [start, end) (one byte, one character), without decoding it. */
export function hashAsciiBytes(bytes: Buffer, start: number, end: number, tag = 0): number {
  let a = hashLaneA(tag);
  let b = hashLaneB(tag);
  for (let i = start; i < end; i += 1) {
    const c = bytes[i] as number;
    a = Math.imul(a ^ c, PRIME_A);
    b = Math.imul(b ^ c, PRIME_B);
  }
  return hashOfLanes(a, b);
}

/**
 * hashString's two lanes, for a caller that hashes characters as it reads them: start from
 * hashLaneA(tag) and hashLaneB(tag), take each character c in as `a = Math.imul(a ^ c, HASH_PRIME_A)`
 * and `b = Math.imul(b ^ c, HASH_PRIME_B)`, and finish with hashOfLanes(a, b).
 */
export function hashLaneA(tag: number): number {
  return 0x811c9dc5 ^ tag;
}

export function hashLaneB(tag: number): number {
  return 0x9747b28c ^ Math.imul(tag, PRIME_B);
}

export function hashOfLanes(a: number, b: number): number {
  return (finalise(a) * TWO_POW_21 + (finalise(b) >>> 11)) / TWO_POW_53;
}

/** No hash: hashes are in [0, 1). */
const EMPTY = -1;

const numberView = new Float64Array(1);
const numberWords = new Uint32Array(numberView.buffer);

/** The same for a number, from its bits (no string conversion on the hot path). */
export function hashNumber(x: number): number {
  numberView[0] = x === 0 ? 0 : x; // -0 and 0 are one value, as in valueKey
  const low = numberWords[0] as number;
  const high = numberWords[1] as number;
  const a = finalise(Math.imul(low ^ 0x27d4eb2f, 0x165667b1) ^ high);
  const b = finalise(Math.imul(high ^ 0x9e3779b9, 0x85ebca6b) ^ low ^ a);
  return (a * TWO_POW_21 + (b >>> 11)) / TWO_POW_53;
}

export interface DistinctSketchState {
  kind: 'kmv';
  k: number;
  hashes: number[];
}

export class DistinctSketch {
  static readonly DEFAULT_K = 4096;

  /** Relative standard error of the estimate once more than k distinct values were seen. */
  static relativeStandardError(k: number = DistinctSketch.DEFAULT_K): number {
    return 1 / Math.sqrt(k - 2);
  }

  /** The k smallest hashes, ascending: the first `held` entries. */
  private readonly hashes: Float64Array;
  private held = 0;
  /**
   * While fewer than k hashes are held, the same hashes in an open-addressing table (EMPTY where free),
   * so a value seen before, the common case then, costs one probe rather than a binary search. Dropped
   * once k are held: from then on nearly every hash is above the k-th smallest and stops there.
   */
  private table: Float64Array | undefined;

  constructor(readonly k: number = DistinctSketch.DEFAULT_K) {
    this.hashes = new Float64Array(k);
    this.table = new Float64Array(2 ** Math.ceil(Math.log2(2 * k))).fill(EMPTY);
  }

  /** The k-th smallest hash once k are held (a larger hash changes nothing), else Infinity. */
  private ceiling = Infinity;

  add(hash: number): void {
    // Full: nearly every value is above the k-th smallest, one compare (small enough to be inlined).
    if (hash < this.ceiling) this.insert(hash);
  }

  private insert(hash: number): void {
    const hashes = this.hashes;
    const held = this.held;
    const table = this.table;
    if (table !== undefined) {
      const mask = table.length - 1;
      // The hash's top 32 bits, well mixed, pick the slot.
      let slot = (hash * 4294967296) & mask;
      for (let known = table[slot] as number; known !== EMPTY; known = table[slot] as number) {
        if (known === hash) return;
        slot = (slot + 1) & mask;
      }
      table[slot] = hash;
    }
    let low = 0;
    let high = held;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((hashes[middle] as number) < hash) low = middle + 1;
      else high = middle;
    }
    if (low < held && hashes[low] === hash) return;
    // One move of the larger hashes (once full, the largest drops off the end).
    hashes.copyWithin(low + 1, low, held < this.k ? held : held - 1);
    hashes[low] = hash;
    if (held < this.k) this.held = held + 1;
    if (this.held === this.k) {
      this.table = undefined;
      this.ceiling = hashes[this.k - 1] as number;
    }
  }

  /** True while the count is exact (fewer than k distinct hashes seen). */
  get exact(): boolean {
    return this.held < this.k;
  }

  get estimate(): number {
    if (this.exact) return this.held;
    return Math.round((this.k - 1) / (this.hashes[this.k - 1] as number));
  }

  toJSON(): DistinctSketchState {
    return { kind: 'kmv', k: this.k, hashes: Array.from(this.hashes.subarray(0, this.held)) };
  }
}

/**
 * Combines value hashes into a row hash that does not depend on the order of the row's keys: the sum
 * (mod 2^32, in two lanes) of each (column, value) pair's mixed hash. Missing values add nothing, so a
 * null and an absent key are the same, as in the exact duplicate count.
 */
export class RowHasher {
  private a = 0;
  private b = 0;

  reset(): void {
    this.a = 0;
    this.b = 0;
  }

  add(columnSalt: number, valueHash: number): void {
    // The value hash is (A * 2^21 + B) / 2^53 with A 32 bits and B 21 bits: high is A, low is B (exact,
    // and without a floating-point remainder).
    const high = (valueHash * 4294967296) >>> 0;
    const low = valueHash * TWO_POW_53 - high * TWO_POW_21;
    this.a = (this.a + finalise(high ^ columnSalt)) >>> 0;
    this.b = (this.b + finalise(Math.imul(low ^ 0x5bd1e995, columnSalt | 1) ^ high)) >>> 0;
  }

  get value(): number {
    return (finalise(this.a) * TWO_POW_21 + (finalise(this.b ^ this.a) >>> 11)) / TWO_POW_53;
  }
}
