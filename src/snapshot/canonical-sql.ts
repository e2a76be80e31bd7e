import type { FieldSpec, FieldType, ModelSpec } from "./models.js";

/**
 * The canonical JSON of a record (canonical.ts) as an SQL expression, so PostgreSQL renders it
 * and streams text: export writes it into snapshots, import's verification digests it.
 * PostgreSQL's JSON escaping (to_json of text) matches JSON.stringify's: `"` `\` and control
 * characters escaped (\b \f \n \r \t, others \u00xx), everything else verbatim.
 * test/integration/canonical-sql.test.ts holds the two to the same bytes.
 */

/** How a NULL text[] is written: "[]" (export: the app never stores NULL) or "null" (as read). */
export type NullArray = "[]" | "null";

/** SQL text of one field's canonical JSON value; never NULL. */
export function jsonValueSql(type: FieldType, value: string, nullArray: NullArray = "null"): string {
  switch (type.kind) {
    case "timestamp":
      // timestamp(3) columns hold UTC; JSON.stringify(Date) writes toISOString().
      return `COALESCE('"' || to_char(${value}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"', 'null')`;
    case "enum":
      return `COALESCE(to_json(${value}::text)::text, 'null')`;
    case "textArray":
      return `COALESCE(to_json(${value})::text, '${nullArray}')`;
    default:
      return `COALESCE(to_json(${value})::text, 'null')`;
  }
}

/**
 * SQL expression of a row's canonical JSON text: the model's fields in order, each value taken
 * from `columnOf(field)` (a column or any expression of the field's type).
 */
export function canonicalJsonSql(
  spec: ModelSpec,
  columnOf: (field: FieldSpec) => string,
  nullArray: NullArray = "null",
): string {
  const parts = spec.fields.map((field, i) => {
    const key = `${i === 0 ? "{" : ","}${JSON.stringify(field.name)}:`;
    return `'${key}', ${jsonValueSql(field.type, columnOf(field), nullArray)}`;
  });
  return `concat(${parts.join(", ")}, '}')`;
}
