import { quoteIdent } from "../schema/values/sql.js";

/** Identifier quoting has one home, src/schema/values/sql.ts (every name comes from a catalog or a snapshot). */
export { quoteIdent };

/** A single-quoted SQL string literal (standard_conforming_strings is on in every supported server). */
export const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** schema.table, both quoted. */
export const qualified = (schema: string, table: string): string =>
  `${quoteIdent(schema)}.${quoteIdent(table)}`;
