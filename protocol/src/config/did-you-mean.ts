/**
 * "Did you mean" suggestions for misspelt keys, template functions and loader names. Transposed letters
 * count as one edit (`hots` -> `host`), because that is the typo people actually make.
 */

/** Optimal string alignment distance: Levenshtein plus adjacent transpositions. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i]![j] = best;
    }
  }
  return at(a.length, b.length);
}

export interface MatchOptions {
  /** Also suggest a candidate that starts with the word (`env` -> `env_var`), for short names. */
  prefixes?: boolean;
}

/** The closest candidate within two edits (ignoring case), or undefined. */
export function closestMatch(word: string, candidates: Iterable<string>, options: MatchOptions = {}): string | undefined {
  const maxDistance = 2;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const other = candidate.toLowerCase();
    const prefix = options.prefixes === true && lower.length >= 3 && other.startsWith(lower);
    const distance = prefix ? 1 : editDistance(lower, other);
    // A one-letter key is "within two edits" of every short key; only suggest when most of it survives.
    if (distance <= maxDistance && distance < word.length && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>, options: MatchOptions = {}): string {
  const match = closestMatch(word, candidates, options);
  return match === undefined ? '' : ` (did you mean "${match}"?)`;
}
