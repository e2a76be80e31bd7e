/** SQL quoting for names that come from a catalog (never from rows). */

/** A double-quoted SQL identifier, embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * An SQL string literal that means the same whatever standard_conforming_strings is (a database
 * or role can default it to off): E'' with quotes and backslashes escaped.
 */
export function quoteLiteral(value: string): string {
  return `E'${value.replace(/[\\']/g, "\\$&")}'`;
}
