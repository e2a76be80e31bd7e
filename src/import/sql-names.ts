/** Double-quotes an identifier for SQL (every table and column name comes from a catalog or a snapshot). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A single-quoted SQL string literal (standard_conforming_strings is on in every supported server). */
export const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** schema.table, both quoted. */
export const qualified = (schema: string, table: string): string =>
  `${quoteIdent(schema)}.${quoteIdent(table)}`;
