import { UnsupportedValueError } from "../../errors.js";
import {
  type ColumnDescription,
  type ColumnType,
  carriedColumns,
  type ScalarKind,
  type TableDescription,
} from "../description.js";
import { quoteIdent } from "./sql.js";

/**
 * Export side of the format-2 value encoding: SQL that makes PostgreSQL render each value as
 * JSON text, so rows stream out as bytes that are written and digested as they are (Node never
 * builds them). Evaluated under EXPORT_SESSION_SETTINGS (settings.ts): the text outputs below
 * depend on DateStyle, TimeZone, IntervalStyle, extra_float_digits and bytea_output.
 *
 * Encoding (docs/snapshot-format.md): JSON null = SQL NULL; int2/int4 → number; bool → true/false;
 * text, varchar, char(n) (with its padding), enum, uuid → string; every other kind → the string of
 * PostgreSQL's text output (int8 and numeric exactly, floats with NaN/Infinity/-0, date/time
 * kinds, interval, bytea `\x…`, json as written, jsonb). One-dimensional arrays → JSON arrays of
 * the element encodings; a NULL array is null, `{}` is [].
 */

/** Kinds whose text output never holds `"`, `\` or a control character: wrapped in quotes as they are. */
const PLAIN_TEXT_OUTPUT: ReadonlySet<ScalarKind> = new Set<ScalarKind>([
  "int8",
  "numeric",
  "float4",
  "float8",
  "timestamp",
  "timestamptz",
  "date",
  "time",
  "timetz",
  "interval",
  "uuid",
]);

/** Kinds carried as JSON numbers or booleans: their text output is already that JSON. */
const JSON_LITERAL_OUTPUT: ReadonlySet<ScalarKind> = new Set<ScalarKind>(["int2", "int4", "bool"]);

/**
 * Kinds whose to_json() is the format-2 encoding, element by element for arrays: strings
 * escaped from the type's own output (so char(n) keeps its blanks: a cast to text would strip
 * them), numbers and booleans as they are.
 */
const TO_JSON_IS_ENCODING: ReadonlySet<ScalarKind> = new Set<ScalarKind>([
  "int2",
  "int4",
  "bool",
  "text",
  "enum",
  "uuid",
]);

/** `alias."column"`. `alias` is an SQL name or expression the caller controls (e.g. `t`). */
export function columnRef(column: ColumnDescription, alias: string): string {
  return `${alias}.${quoteIdent(column.name)}`;
}

/** SQL text expression of one value's JSON (never NULL: a NULL value renders `null`). */
export function renderSql(column: ColumnDescription, alias: string): string {
  return renderValueSql(column.type, columnRef(column, alias));
}

/** renderSql for any SQL expression `value` of type `type`. */
export function renderValueSql(type: ColumnType, value: string): string {
  const { kind } = type;
  if (type.array) {
    // Arrays of kinds rendered as strings of their text output go through text[] (element casts
    // use the same output functions); to_json would print floats, int8 and numeric as numbers,
    // date/time kinds in ISO 8601 with a `T`, and json elements unquoted.
    const json = TO_JSON_IS_ENCODING.has(kind) ? `to_json(${value})` : `to_json(${value}::text[])`;
    return `COALESCE(${json}::text, 'null')`;
  }
  if (JSON_LITERAL_OUTPUT.has(kind)) return `COALESCE(${value}::text, 'null')`;
  if (PLAIN_TEXT_OUTPUT.has(kind)) return `COALESCE('"' || ${value}::text || '"', 'null')`;
  if (kind === "text" || kind === "enum") return `COALESCE(to_json(${value})::text, 'null')`;
  // bytea (`\x…`), json (as written), jsonb: their text output, escaped as a JSON string.
  return `COALESCE(to_json(${value}::text)::text, 'null')`;
}

/** Array columns of a table whose values must be checked for shape (1-dim, lower bound 1). */
function arrayColumns(table: TableDescription): ColumnDescription[] {
  return table.columns.filter((c) => c.type.array && !c.generated);
}

/**
 * SQL boolean: true when the array value is NULL, empty, or one-dimensional with lower bound 1
 * (the only shapes a JSON array carries back exactly).
 */
export function arrayShapeOkSql(column: ColumnDescription, alias: string): string {
  const ref = columnRef(column, alias);
  // array_ndims/array_lower are NULL for NULL and for empty arrays.
  return `COALESCE(array_ndims(${ref}) = 1 AND array_lower(${ref}, 1) = 1, true)`;
}

/** SQL boolean: every array column of the row has a carried shape (`true` when there are none). */
export function arrayShapeCheckSql(table: TableDescription, alias: string): string {
  const checks = arrayColumns(table).map((c) => arrayShapeOkSql(c, alias));
  return checks.length === 0 ? "true" : checks.join(" AND ");
}

/**
 * SQL text[] expression: names of the row's array columns whose value has a shape format 2
 * cannot carry (empty when none). For the error message once a row was refused.
 */
export function arrayShapeViolationsSql(table: TableDescription, alias: string): string {
  const names = arrayColumns(table).map(
    (c) => `CASE WHEN NOT ${arrayShapeOkSql(c, alias)} THEN ${sqlString(c.name)} END`,
  );
  return names.length === 0 ? "'{}'::text[]" : `array_remove(ARRAY[${names.join(", ")}]::text[], NULL)`;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export interface RowJsonOptions {
  /**
   * Make the row NULL (instead of its JSON) when an array value is multi-dimensional or not
   * 1-based, so export can refuse it (UnsupportedValueError) instead of writing it flattened.
   * Default true; rows are never NULL otherwise.
   */
  guardArrayShapes?: boolean;
  /** SQL of a column's value (default `alias."column"`), e.g. a target column cast back to the snapshot's type. */
  columnSql?: (column: ColumnDescription, alias: string) => string;
}

/** json_build_array takes at most 100 arguments (FUNC_MAX_ARGS). */
const MAX_ARGUMENTS = 100;

/**
 * A json_build_array argument whose JSON is the value's format-2 encoding: the value itself
 * where json_build_array's own rendering is the encoding (numbers, booleans, strings escaped
 * from the type's output, so char(n) keeps its blanks), its text output otherwise (a text
 * argument becomes a JSON string), arrays as json from to_json. NULL renders `null`.
 */
export function renderArgumentSql(type: ColumnType, value: string): string {
  if (type.array)
    return TO_JSON_IS_ENCODING.has(type.kind) ? `to_json(${value})` : `to_json(${value}::text[])`;
  return TO_JSON_IS_ENCODING.has(type.kind) ? value : `${value}::text`;
}

/**
 * SQL text expression of one row's format-2 JSON array over the table's carried columns in
 * order: `[1, "Title", null, ["a","b"]]` — json_build_array's layout (`, ` between a row's
 * values; arrays inside compact). measured (bench/row-json.ts, docs/value-encoding.md): about
 * 15-20% less server CPU than the same values joined with `||` (1,445-byte book rows). Tables
 * wider than json_build_array's 100 arguments are rendered in chunks joined as text.
 */
export function rowJsonSql(table: TableDescription, alias: string, options: RowJsonOptions = {}): string {
  const valueSql = options.columnSql ?? columnRef;
  const args = carriedColumns(table).map((c) => renderArgumentSql(c.type, valueSql(c, alias)));
  const chunks: string[] = [];
  for (let i = 0; i < args.length; i += MAX_ARGUMENTS) {
    chunks.push(`json_build_array(${args.slice(i, i + MAX_ARGUMENTS).join(", ")})::text`);
  }
  const row =
    chunks.length === 0
      ? "'[]'"
      : chunks.length === 1
        ? (chunks[0] as string)
        : chunks
            .map((chunk, i) => {
              // Each chunk is `[…]`: drop the inner brackets, join with json_build_array's separator.
              const head = i === 0 ? chunk : `substr(${chunk}, 2)`;
              return i === chunks.length - 1 ? head : `left(${head}, -1)`;
            })
            .join(" || ', ' || ");
  const guard = options.guardArrayShapes ?? true;
  if (!guard || arrayColumns(table).length === 0) return row;
  return `CASE WHEN ${arrayShapeCheckSql(table, alias)} THEN ${row} END`;
}

/**
 * A row's format-2 JSON text built in Node (rows redacted after PostgreSQL rendered them), byte
 * for byte what rowJsonSql renders: ", " between the row's values, each value as JSON.stringify
 * writes it (compact inside arrays, strings escaped as PostgreSQL's escape_json escapes them).
 * One spelling whatever path wrote a line: digests and import's verification depend on it.
 */
export function rowJsonText(values: readonly unknown[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(", ")}]`;
}

/**
 * The error export raises for a row rowJsonSql rendered NULL: `columns` from
 * arrayShapeViolationsSql, `key` the row's primary key values (for the message only).
 */
export function unsupportedArrayValueError(
  table: string,
  columns: readonly string[],
  key: Readonly<Record<string, unknown>>,
): UnsupportedValueError {
  const where = Object.entries(key)
    .map(([name, value]) => `${name} = ${JSON.stringify(value)}`)
    .join(", ");
  const named =
    columns.length > 0 ? columns.map((c) => `"${table}"."${c}"`).join(", ") : `an array column of "${table}"`;
  return new UnsupportedValueError(
    `${named} holds a multi-dimensional or non-1-based array${where ? ` (row ${where})` : ""}: format 2 carries one-dimensional arrays starting at 1 only.`,
    {
      hint: "Fix the value in the source (e.g. make it one-dimensional), or exclude the table.",
      details: { table, columns: [...columns], key: { ...key } },
    },
  );
}
