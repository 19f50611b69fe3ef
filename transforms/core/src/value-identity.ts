/**
 * What counts as missing, when two JSON values are "the same value", and how values are ordered.
 * Every counter, mode and duplicate check in the package goes through these so they agree.
 */

/** Characters stripped from both ends of a string before it is judged (the reference strips quotes). */
const EDGE_NOISE = /^[\s'"]+|[\s'"]+$/g;

/**
 * A copy of a string that does not keep a larger string alive. A string cut from a line (or from the
 * megabyte chunk the line was cut from) may be a view that holds its parent in memory; a sample or a
 * counter that keeps 100,000 such views keeps the whole input. Concatenation builds a new string of the
 * value's own length, and slicing that back leaves only it behind. Short strings are copies already.
 */
export function detachString(value: string): string {
  return value.length < 13 ? value : `${value} `.slice(0, -1);
}

/** detachString for any value (other values are returned as they are). */
export function detachValue<T>(value: T): T {
  return (typeof value === 'string' ? detachString(value) : value) as T;
}

/** A character EDGE_NOISE can strip: quotes, or what `\s` matches in the ASCII and Latin-1 ranges. */
export function isEdgeNoise(code: number): boolean {
  return code <= 32 || code === 34 || code === 39 || (code >= 127 && code <= 160) || code > 255;
}

/** Strip whitespace and quote characters from both ends, as type detection does before matching. */
export function stripQuotes(text: string): string {
  // Most values have nothing to strip: then the regular expression (and its copy) is not needed.
  const length = text.length;
  if (length > 0 && !isEdgeNoise(text.charCodeAt(0)) && !isEdgeNoise(text.charCodeAt(length - 1))) return text;
  return text.replace(EDGE_NOISE, '');
}

/**
 * Missing: null, undefined, NaN, or a string that is empty once whitespace and quotes are stripped.
 * Blank strings count as missing because CSV-like sources emit "" for an empty cell and the reference
 * treats `""` as null in type detection; using one definition everywhere keeps the statistics, the
 * detected type and the imputation consistent.
 */
export function isMissingValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  if (typeof value === 'string') {
    // Fast path (this runs for every value of every row): a string whose ends are not blank or quotes
    // cannot strip to empty.
    const length = value.length;
    if (length === 0) return true;
    if (!isEdgeNoise(value.charCodeAt(0)) && !isEdgeNoise(value.charCodeAt(length - 1))) return false;
    return stripQuotes(value) === '';
  }
  return false;
}

/**
 * Whether JSON.stringify gives the stable text as it is: plain objects whose keys are already in sorted
 * order, arrays, and JSON values in them (nothing undefined, no function, no class instance with its
 * own toJSON). Records usually hold such values, and JSON.stringify is several times faster than
 * sorting and joining by hand.
 */
function isSortedJson(value: object, depth: number): boolean {
  if (depth > 64) return false;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return false;
    for (let i = 0; i < value.length; i += 1) if (!isPlainJsonMember(value[i], depth)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    if (i > 0 && !((keys[i - 1] as string) < key)) return false;
    if (!isPlainJsonMember((value as Record<string, unknown>)[key], depth)) return false;
  }
  return true;
}

function isPlainJsonMember(member: unknown, depth: number): boolean {
  switch (typeof member) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      return member === null || isSortedJson(member, depth + 1);
    default:
      return false;
  }
}

/** Scratch space to read a double's bits for hashing. */
const hashFloat = new Float64Array(1);
const hashWords = new Int32Array(hashFloat.buffer);

function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash;
}

/**
 * A 32-bit hash of a plain JSON value: strings, finite numbers, booleans, null, and arrays and plain
 * objects of them (as JSON.parse builds them), or undefined for anything else (undefined, NaN, class
 * instances, functions, holes, more than 64 levels deep). Two plain values with the same
 * stableStringify text have the same hash: object members are combined in any order, and 0 and -0 hash
 * alike. Lets a counter find a structure without building its text (see FrequencyCounter).
 */
export function plainJsonHash(value: unknown, depth = 0): number | undefined {
  switch (typeof value) {
    case 'string':
      return hashText(value) ^ 0x2545f491;
    case 'number':
      if (!Number.isFinite(value)) return undefined;
      if (value === 0) return 0x1b873593;
      hashFloat[0] = value;
      return Math.imul((hashWords[0] as number) ^ Math.imul(hashWords[1] as number, 0x85ebca6b), 0xc2b2ae35);
    case 'boolean':
      return value ? 0x27d4eb2f : 0x165667b1;
    case 'object': {
      if (value === null) return 0x3c6ef372;
      if (depth > 64) return undefined;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return undefined;
        let hash = 0x6a09e667 ^ value.length;
        for (let i = 0; i < value.length; i += 1) {
          const member = plainJsonHash(value[i], depth + 1);
          if (member === undefined) return undefined;
          hash = (Math.imul(hash, 31) + member) | 0;
        }
        return hash;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return undefined;
      const keys = Object.keys(value);
      // Members summed, so their order does not matter (stableStringify sorts keys).
      let hash = 0x510e527f ^ keys.length;
      for (let i = 0; i < keys.length; i += 1) {
        const key = keys[i] as string;
        const member = plainJsonHash((value as Record<string, unknown>)[key], depth + 1);
        if (member === undefined) return undefined;
        hash = (hash + Math.imul(hashText(key) ^ Math.imul(member, 0x9e3779b1), 0x85ebca6b)) | 0;
      }
      return hash;
    }
    default:
      return undefined;
  }
}

/**
 * Whether two plain JSON values (see plainJsonHash) have the same stableStringify text: equal
 * primitives (0 and -0 alike), arrays equal element by element, objects with the same keys and equal
 * members in any order.
 */
export function plainJsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const arrayA = Array.isArray(a);
  if (arrayA !== Array.isArray(b)) return false;
  if (arrayA) {
    const left = a as unknown[];
    const right = b as unknown[];
    if (left.length !== right.length) return false;
    for (let i = 0; i < left.length; i += 1) if (!plainJsonEqual(left[i], right[i])) return false;
    return true;
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    if (!Object.prototype.hasOwnProperty.call(b, key)) return false;
    if (!plainJsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** JSON text with object keys sorted, so `{a,b}` and `{b,a}` are one value. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  // An integer beyond 2^53 (exact as a bigint) by its digits, as a JSON number is written.
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (isSortedJson(value, 0)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${stableStringify((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/**
 * A string that is equal for equal values and differs across types, so the number 1, the string "1"
 * and `true` are three distinct values (pandas keeps them apart in an object column too).
 */
export function valueKey(value: unknown): string {
  if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) return 'null';
  switch (typeof value) {
    case 'number':
      return `n:${Object.is(value, -0) ? 0 : value}`;
    case 'string':
      return `s:${value}`;
    case 'boolean':
      return `b:${value}`;
    case 'bigint':
      return `n:${value}`;
    default:
      return `j:${stableStringify(value)}`;
  }
}

function typeRank(value: unknown): number {
  if (value === null || value === undefined) return 0;
  switch (typeof value) {
    case 'boolean':
      return 1;
    case 'number':
    case 'bigint':
      return 2;
    case 'string':
      return 3;
    default:
      return 4;
  }
}

/**
 * A total order over JSON values: null < booleans < numbers < strings < arrays and objects; within a
 * type the natural order (strings by code unit, structures by their stable JSON text). Used for "lowest
 * value wins" tie-breaks, which must not depend on the order rows arrived in.
 */
export function compareValues(a: unknown, b: unknown): number {
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return rankA - rankB;
  switch (rankA) {
    case 0:
      return 0;
    case 1:
      return Number(a) - Number(b);
    case 2: {
      const x = Number(a);
      const y = Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3:
      return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    default: {
      const x = stableStringify(a);
      const y = stableStringify(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
  }
}
