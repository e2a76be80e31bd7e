/** SQL quoting for names that come from a catalog (never from rows). */

/** A double-quoted SQL identifier, embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A standard-conforming SQL string literal, embedded quotes doubled. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
