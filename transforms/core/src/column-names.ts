/**
 * Column-name cleaning: turns whatever a source calls its columns into lower-case identifiers that a
 * SQL target accepts without quoting, by the reference's eight steps, and keeps distinct columns
 * distinct when two names clean to the same text.
 */

/** Python's keywords (`keyword.kwlist`, 3.12): the reserved words the reference checks. */
export const PYTHON_KEYWORDS: readonly string[] = Object.freeze([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del',
  'elif', 'else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal',
  'not', 'or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield',
]);

/**
 * Words reserved in every one of PostgreSQL 16 (reserved, including "can be function or type"),
 * MySQL 8.0 (R), Snowflake and BigQuery (GoogleSQL reserved keywords): a column named after one of these
 * needs quoting in all four targets. Words reserved in only some of them (`key` in MySQL, `user` in
 * PostgreSQL, `rows` in BigQuery...) are left alone; pass `reservedWords` to be stricter for one target.
 */
export const SQL_RESERVED_WORDS: readonly string[] = Object.freeze([
  'all', 'and', 'as', 'case', 'create', 'cross', 'distinct', 'else', 'false', 'for', 'from', 'group', 'having',
  'in', 'inner', 'intersect', 'into', 'is', 'join', 'lateral', 'left', 'like', 'natural', 'not', 'null', 'on',
  'or', 'order', 'right', 'select', 'then', 'to', 'true', 'union', 'using', 'when', 'where', 'with',
]);

/**
 * The default reserved words: Python keywords plus SQL_RESERVED_WORDS, compared case-insensitively
 * because the cleaned name ends lower-case (`True` and `ORDER` are reserved as much as `true`, `order`).
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([...PYTHON_KEYWORDS, ...SQL_RESERVED_WORDS].map((word) => word.toLowerCase()));

export interface CleanColumnNameOptions {
  /** Lower-case words that get `_` appended; defaults to RESERVED_WORDS. */
  reservedWords?: ReadonlySet<string>;
}

/** What an empty result becomes (a name of only symbols, or of a script with no Latin letters). */
export const UNNAMED_COLUMN = 'unnamed';

const EDGE_TRIM = /^[\s'"_-]+|[\s'"_-]+$/g;
const CONNECTORS = /[\s.-]/g;
const COMBINING_MARKS = /\p{M}/gu;
const NOT_IDENTIFIER = /[^A-Za-z0-9_]/g;
const ALL_DIGITS = /^[0-9]+$/;
const ALL_CAPS = /^[A-Z0-9]+$/;
const PASCAL_CASE = /^(?:[A-Z][a-z]*)+$/;
const CAMEL_CASE = /^[a-z]+(?:[A-Z][a-z]*)*$/;
// An acronym run stays one word (`UserID` -> user_id, `HTTPServer` -> http_server); a capital followed
// by lower-case letters starts a word; leading lower-case letters are the first word of camelCase.
const CASE_WORD = /[A-Z]+(?=[A-Z][a-z])|[A-Z]+(?![a-z])|[A-Z][a-z]*|^[a-z]+/g;

function isReserved(name: string, reserved: ReadonlySet<string>): boolean {
  return reserved.has(name.toLowerCase());
}

/**
 * Clean one column name by the reference's steps:
 * 1. a reserved word gets `_`; 2. trim whitespace, quotes, `_` and `-` from both ends; 3. whitespace,
 * `-` and `.` become `_`; 4. anything but ASCII letters, digits and `_` is removed (accents are folded
 * first, so `Prénom` keeps its `e`); 5. an all-digit name gets `number_`; 6. reserved-word check again;
 * 7. ALLCAPS -> lower, PascalCase/camelCase (letters only) -> words joined by `_`; 8. lower-case.
 * Two additions: an empty result becomes `unnamed`, and step 7 can assemble a reserved word
 * (`CurrentDate` is fine, but a custom list might hold `current_date`), so the check runs once more.
 */
export function cleanColumnName(name: string, options: CleanColumnNameOptions = {}): string {
  const reserved = options.reservedWords ?? RESERVED_WORDS;
  let result = name;
  if (isReserved(result, reserved)) result = `${result}_`;
  result = result.replace(EDGE_TRIM, '');
  result = result.replace(CONNECTORS, '_');
  result = result.normalize('NFKD').replace(COMBINING_MARKS, '').replace(NOT_IDENTIFIER, '');
  if (ALL_DIGITS.test(result)) result = `number_${result}`;
  if (isReserved(result, reserved)) result = `${result}_`;
  if (ALL_CAPS.test(result)) {
    result = result.toLowerCase();
  } else if (PASCAL_CASE.test(result) || CAMEL_CASE.test(result)) {
    result = (result.match(CASE_WORD) ?? [result]).join('_');
  }
  result = result.toLowerCase();
  if (result === '') return UNNAMED_COLUMN;
  if (isReserved(result, reserved)) result = `${result}_`;
  return result;
}

/**
 * Clean every name and keep them distinct: the first name (in input order) to clean to a result keeps
 * it; later ones get `_2`, `_3`, ... skipping any suffixed name that another column cleans to, so no two
 * columns merge and the mapping does not depend on anything but the input order. Repeated input names
 * are one column (a record cannot hold a key twice) and appear once in the map.
 */
export function cleanColumnNames(names: Iterable<string>, options: CleanColumnNameOptions = {}): Map<string, string> {
  const originals = [...new Set(names)];
  const cleaned = originals.map((name) => cleanColumnName(name, options));
  // Every base name is claimed up front, so `a` then `A` then `a_2` gives a, a_3, a_2 (not a_2 twice).
  const claimed = new Set(cleaned);
  const assigned = new Set<string>();
  const result = new Map<string, string>();
  originals.forEach((original, index) => {
    const base = cleaned[index] as string;
    let candidate = base;
    if (assigned.has(base)) {
      let suffix = 2;
      while (claimed.has(`${base}_${suffix}`) || assigned.has(`${base}_${suffix}`)) suffix += 1;
      candidate = `${base}_${suffix}`;
    }
    assigned.add(candidate);
    result.set(original, candidate);
  });
  return result;
}
