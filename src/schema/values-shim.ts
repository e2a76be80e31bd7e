// TEMPORARY copy of helper "values" work in progress (src/schema/values/render.ts, settings.ts), until wip-values is committed; replaced by an import of src/schema/values.
import type { ColumnDescription, ColumnType, ScalarKind, TableDescription } from "./description.js";

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

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

/** Columns a format-2 row carries, in order: generated columns are left out. */
export function carriedColumns(table: TableDescription): ColumnDescription[] {
  return table.columns.filter((c) => !c.generated);
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
}

/**
 * SQL text expression of one row's format-2 JSON array `[v1,v2,…]` (compact: `,` with no
 * space), over the table's carried columns in order. Built with `||` rather than
 * json_build_array (at most 100 arguments, and `, ` separators): see docs/benchmarks.md.
 */
export function rowJsonSql(table: TableDescription, alias: string, options: RowJsonOptions = {}): string {
  const values = carriedColumns(table).map((c) => renderSql(c, alias));
  const row = values.length === 0 ? "'[]'" : `'[' || ${values.join(" || ',' || ")} || ']'`;
  const guard = options.guardArrayShapes ?? true;
  if (!guard || arrayColumns(table).length === 0) return row;
  return `CASE WHEN ${arrayShapeCheckSql(table, alias)} THEN ${row} END`;
}
export interface SessionSetting {
  /** GUC name as `SET` takes it. */
  name: string;
  /** Value as `SET name = <value>` takes it (already quoted where needed). */
  value: string;
}

export const EXPORT_SESSION_SETTINGS: readonly SessionSetting[] = Object.freeze([
  // date/timestamp output `1999-01-08 04:05:06`, input read year-month-day.
  { name: "DateStyle", value: "'ISO, YMD'" },
  // timestamptz prints as UTC (`+00`) whatever the server's or the role's zone.
  { name: "TimeZone", value: "'UTC'" },
  // interval output `1 year 2 mons -3 days +04:05:06.5` (the other styles lose nothing but differ).
  { name: "IntervalStyle", value: "'postgres'" },
  // > 0 selects the shortest text that reads back to the same float (PostgreSQL 12+).
  { name: "extra_float_digits", value: "1" },
  // bytea as `\x0aff…`: one text form for every byte value.
  { name: "bytea_output", value: "'hex'" },
]);

/** `SET …;` statements applying EXPORT_SESSION_SETTINGS to a session (`local`: SET LOCAL, this transaction only). */
export function sessionSettingsSql(options: { local?: boolean } = {}): string {
  const set = options.local ? "SET LOCAL" : "SET";
  return EXPORT_SESSION_SETTINGS.map((s) => `${set} ${s.name} = ${s.value};`).join(" ");
}

// --- TEMPORARY validateValue (export2), until helper "values" commits its own -------------------

const INT_RANGES: Record<string, [number, number]> = {
  int2: [-32768, 32767],
  int4: [-2147483648, 2147483647],
};
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NUMERIC = /^(-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?|NaN|-?Infinity)$/i;
const FLOAT = /^(-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?|NaN|-?Infinity)$/i;
const DATE = /^(\d{4,}-\d{2}-\d{2}( BC)?|-?infinity)$/;
const TIMESTAMP = /^(\d{4,}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?(\+00)?( BC)?|-?infinity)$/;
const TIME = /^\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2}(:\d{2})?)?)?$/;
const BYTEA = /^\\x([0-9a-f]{2})*$/;

/** Why `value` (not null) is not a valid format-2 encoding of one `type` value, or undefined. */
function validateScalar(type: ColumnType, value: unknown): string | undefined {
  const { kind } = type;
  switch (kind) {
    case "int2":
    case "int4": {
      const [min, max] = INT_RANGES[kind] as [number, number];
      return Number.isInteger(value) && (value as number) >= min && (value as number) <= max
        ? undefined
        : `expected a ${kind} number`;
    }
    case "bool":
      return typeof value === "boolean" ? undefined : "expected true or false";
  }
  if (typeof value !== "string") return `expected a string (${kind})`;
  if (value.includes("\u0000")) return "NUL character in a value";
  switch (kind) {
    case "text": {
      if (type.length !== undefined) {
        const length = [...value].length;
        if (type.fixedLength ? length !== type.length : length > type.length) {
          return `expected ${type.fixedLength ? "exactly" : "at most"} ${type.length} characters`;
        }
      }
      return undefined;
    }
    case "enum":
      return undefined; // labels are checked against the description by the caller
    case "int8": {
      if (!/^-?\d{1,19}$/.test(value)) return "expected an int8 as a decimal string";
      const n = BigInt(value);
      return n < INT8_MIN || n > INT8_MAX ? "int8 out of range" : undefined;
    }
    case "numeric":
      return NUMERIC.test(value) ? undefined : "expected a numeric as a string";
    case "float4":
    case "float8":
      return FLOAT.test(value) ? undefined : "expected a float as a string";
    case "uuid":
      return UUID.test(value) ? undefined : "expected a lower-case uuid";
    case "date":
      return DATE.test(value) ? undefined : "expected a date (YYYY-MM-DD)";
    case "timestamp":
    case "timestamptz":
      return TIMESTAMP.test(value) ? undefined : "expected a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])";
    case "time":
    case "timetz":
      return TIME.test(value) ? undefined : "expected a time (HH:MM:SS[.ffffff])";
    case "interval":
      return value.length > 0 ? undefined : "expected an interval";
    case "bytea":
      return BYTEA.test(value) ? undefined : "expected bytea as \\x and hex digits";
    case "json":
    case "jsonb":
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return "expected JSON text";
      }
  }
  return `unknown kind ${kind}`;
}

/** Reason when `value` is not a valid format-2 encoding of a non-NULL value of `type`; undefined when valid. */
export function validateValue(type: ColumnType, value: unknown): string | undefined {
  if (!type.array) return validateScalar(type, value);
  if (!Array.isArray(value)) return "expected a JSON array";
  for (const element of value) {
    if (element === null) continue;
    const reason = validateScalar(type, element);
    if (reason) return `array element: ${reason}`;
  }
  return undefined;
}
