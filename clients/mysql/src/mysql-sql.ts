/** Quoting for identifiers and literals. Identifiers are always quoted, so any name a tap sends works. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifiers cannot contain NUL characters');
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * A string literal. Backslashes are escaped as well as quotes: every connection sets its own sql_mode
 * (without NO_BACKSLASH_ESCAPES), so a backslash always escapes.
 */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/\u0000/g, '\\0')}'`;
}

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}
