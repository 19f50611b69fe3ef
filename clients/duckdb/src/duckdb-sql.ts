/** Quoting for identifiers and literals. Identifiers are always quoted, so any name a tap sends works. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifiers cannot contain NUL characters');
  return `"${name.replace(/"/g, '""')}"`;
}

/** A standard SQL literal: DuckDB treats backslashes in '...' literally, so only quotes are doubled. */
export function quoteLiteral(text: string): string {
  if (text.includes('\u0000')) throw new Error('text literals cannot contain NUL characters');
  return `'${text.replace(/'/g, "''")}'`;
}

export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}
