import { SchemaError } from "../errors.js";
import { SCALAR_KINDS, type UnsupportedColumn } from "./description.js";

/**
 * The refusal for columns booksnap cannot carry exactly, raised before any row is read: every
 * column named at once, with its type and why, so one run tells the user everything to change.
 */
export function unsupportedColumnsError(unsupported: readonly UnsupportedColumn[]): SchemaError {
  const lines = unsupported.map((u) => `"${u.table}"."${u.column}" ${u.sqlType}: ${u.reason}`);
  const tables = [...new Set(unsupported.map((u) => u.table))];
  return new SchemaError(
    "E_SCHEMA_UNSUPPORTED_TYPE",
    `booksnap cannot carry ${unsupported.length === 1 ? "this column" : "these columns"} exactly:\n  ${lines.join("\n  ")}`,
    {
      hint: `Exclude ${tables.map((t) => `"${t}"`).join(", ")} from the export, or change the column type. Carried: ${SCALAR_KINDS.join(", ")}, domains over them and one-dimensional arrays of each.`,
      details: { unsupported },
    },
  );
}

/** Throws unsupportedColumnsError when there is any such column. */
export function refuseUnsupportedColumns(unsupported: readonly UnsupportedColumn[]): void {
  if (unsupported.length > 0) throw unsupportedColumnsError(unsupported);
}
