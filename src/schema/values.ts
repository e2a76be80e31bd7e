/**
 * PROVISIONAL stand-in for helper "values" (src/schema/values.ts): only the functions import
 * needs, with the brief's signatures; replaced wholesale when wip-values is merged.
 */
import type { ColumnType, TableDescription } from "./description.js";

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function scalarProblem(type: ColumnType, value: unknown): string | undefined {
  switch (type.kind) {
    case "int2":
    case "int4": {
      const limit = type.kind === "int2" ? 32767 : 2147483647;
      if (typeof value !== "number" || !Number.isInteger(value) || value > limit || value < -limit - 1)
        return `must be an integer (${type.kind})`;
      return undefined;
    }
    case "bool":
      return typeof value === "boolean" ? undefined : "must be true or false";
    default: {
      if (typeof value !== "string") return "must be a string";
      if (value.includes("\u0000")) return "contains a NUL character";
      if (!value.isWellFormed()) return "contains a lone surrogate (not valid Unicode)";
      if (
        type.kind === "text" &&
        type.length !== undefined &&
        !type.fixedLength &&
        [...value].length > type.length
      )
        return `is longer than ${type.length} characters`;
      return undefined;
    }
  }
}

export function validateValue(type: ColumnType, value: unknown): string | undefined {
  if (!type.array) return value === null ? undefined : scalarProblem(type, value);
  if (!Array.isArray(value)) return "must be an array";
  for (const element of value) {
    if (element === null) continue;
    const problem = scalarProblem(type, element);
    if (problem) return `element ${problem}`;
  }
  return undefined;
}

function scalarText(type: ColumnType, value: unknown): string {
  if (type.kind === "bool") return value ? "t" : "f";
  return String(value);
}

export function copyText(type: ColumnType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (!type.array) return scalarText(type, value);
  const elements = (value as unknown[]).map((e) =>
    e === null ? "NULL" : `"${scalarText(type, e).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`,
  );
  return `{${elements.join(",")}}`;
}

const BASE: Record<string, string> = {
  text: "text",
  int2: "smallint",
  int4: "integer",
  int8: "bigint",
  numeric: "numeric",
  float4: "real",
  float8: "double precision",
  bool: "boolean",
  timestamp: "timestamp",
  timestamptz: "timestamptz",
  date: "date",
  time: "time",
  timetz: "timetz",
  interval: "interval",
  uuid: "uuid",
  json: "json",
  jsonb: "jsonb",
  bytea: "bytea",
  enum: "text",
};

export function stagingSqlType(type: ColumnType): string {
  const base =
    type.kind === "text" && type.fixedLength ? type.sql.replace(/\[\]$/, "") : (BASE[type.kind] as string);
  return type.array ? `${base}[]` : base;
}

export function castSql(expr: string, type: ColumnType): string {
  return `(${expr})::${type.sql}`;
}

export function renderSql(column: { name: string; type: ColumnType }, alias: string): string {
  const x = `${alias}.${quote(column.name)}`;
  const t = column.type;
  if (t.array) {
    if (t.kind === "int2" || t.kind === "int4" || t.kind === "bool")
      return `COALESCE(to_json(${x})::text, 'null')`;
    return `COALESCE(to_json(${x}::text[])::text, 'null')`;
  }
  if (t.kind === "int2" || t.kind === "int4") return `COALESCE(${x}::text, 'null')`;
  if (t.kind === "bool") return `COALESCE(CASE WHEN ${x} THEN 'true' ELSE 'false' END, 'null')`;
  return `COALESCE(to_json(${x}::text)::text, 'null')`;
}

export function rowJsonSql(table: Pick<TableDescription, "columns">, alias: string): string {
  if (table.columns.length === 0) return `'[]'`;
  return `('[' || ${table.columns.map((c) => renderSql(c, alias)).join(` || ',' || `)} || ']')`;
}
