import type { RedactionRule } from "../config/project-config-types.js";
import type { ColumnDescription, TableDescription } from "../schema/description.js";
import { MAX_PSEUDONYM_LENGTH } from "./pseudonym.js";

/**
 * Whether a rule can apply to a column, decided from the schema description before any row is
 * read: pseudonyms are text (opaqueId may also fill a uuid column), `null` needs a nullable
 * column, and a varchar(n)/char(n) must hold the longest pseudonym of the kind.
 */
export function ruleFitProblem(column: ColumnDescription, rule: RedactionRule): string | undefined {
  if (rule.kind === "keep") return undefined;
  if (rule.kind === "null") {
    return column.nullable ? undefined : `kind null on a NOT NULL column (use keep or a pseudonym kind)`;
  }
  const { type } = column;
  if (type.kind === "uuid" && rule.kind === "opaqueId") return undefined;
  if (type.kind !== "text") {
    return `kind ${rule.kind} needs a text column, not ${type.sql} (only null or keep apply)`;
  }
  const longest = MAX_PSEUDONYM_LENGTH[rule.kind];
  if (type.length !== undefined && type.length < longest) {
    return `kind ${rule.kind} makes values of up to ${longest} characters; ${type.sql} holds ${type.length}`;
  }
  return undefined;
}

/** Columns of a primary key or a unique constraint/index: their pseudonyms must stay distinct. */
export function uniqueColumns(table: TableDescription): Set<string> {
  const columns = new Set(table.primaryKey);
  for (const unique of table.uniques) for (const column of unique.columns) columns.add(column);
  return columns;
}

/** Columns that alone are a primary key or unique: a constant replacement would collide. */
export function singleUniqueColumns(table: TableDescription): Set<string> {
  const columns = new Set<string>();
  if (table.primaryKey.length === 1 && table.primaryKey[0]) columns.add(table.primaryKey[0]);
  for (const unique of table.uniques)
    if (unique.columns.length === 1 && unique.columns[0]) columns.add(unique.columns[0]);
  return columns;
}
