import type { ColumnType } from "../schema/description.js";
import { quoteIdent } from "../schema/values/sql.js";
import { BASE_TYPE_SQL } from "../schema/values.js";

export { quoteIdent } from "../schema/values/sql.js";
/**
 * SQL building blocks of the export queries. Row rendering itself (the format-2 value encoding)
 * belongs to src/schema/values: re-exported here so export code has one place to import from.
 */
export {
  arrayShapeViolationsSql,
  EXPORT_SESSION_SETTINGS,
  rowJsonSql,
  unsupportedArrayValueError,
} from "../schema/values.js";
/** A standard-conforming string literal (the export session keeps standard_conforming_strings on). */
export const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/**
 * The SQL type a scalar value of `type` is cast to in a comparison: the carried base type
 * (a domain compares as its base type), char(n) as bpchar (blank-insensitive, as the column
 * compares), an enum by its schema-qualified name (enums compare by label order).
 */
export function scalarSqlType(type: ColumnType, schema: string): string {
  if (type.kind === "enum") {
    const name = type.enumName ?? "";
    return name.includes(".") ? name : `${quoteIdent(schema)}.${quoteIdent(name)}`;
  }
  if (type.kind === "text" && type.fixedLength) return "bpchar";
  return BASE_TYPE_SQL[type.kind];
}
