import type { ColumnType, ScalarKind } from "../description.js";
import { quoteIdent } from "./sql.js";

/**
 * Staging tables hold a snapshot's values before they reach the app's tables: each column in
 * its own base type with the snapshot's modifiers (so COPY already checks lengths and ranges),
 * except enums, staged as text and cast when inserted (a missing label then fails one INSERT the
 * compatibility report has already named, not the COPY of a whole batch). Domains are staged
 * as their base type; the insert into the domain column applies the domain's checks.
 */

/** The SQL type name of each non-enum kind, unmodified (char(n) and other modifiers are added by callers). */
export const BASE_TYPE_SQL: Readonly<Record<Exclude<ScalarKind, "enum">, string>> = {
  text: "text",
  int2: "smallint",
  int4: "integer",
  int8: "bigint",
  numeric: "numeric",
  float4: "real",
  float8: "double precision",
  bool: "boolean",
  timestamp: "timestamp without time zone",
  timestamptz: "timestamp with time zone",
  date: "date",
  time: "time without time zone",
  timetz: "time with time zone",
  interval: "interval",
  uuid: "uuid",
  json: "json",
  jsonb: "jsonb",
  bytea: "bytea",
};

/** SQL type of a staging column for values of `type`. */
export function stagingSqlType(type: ColumnType): string {
  return type.array ? `${scalarStagingType(type)}[]` : scalarStagingType(type);
}

function scalarStagingType(type: ColumnType): string {
  const { kind, precision, scale, length } = type;
  switch (kind) {
    case "enum":
      return "text";
    case "text":
      if (type.fixedLength) return length === undefined ? "bpchar" : `character(${length})`;
      return length === undefined ? "text" : `character varying(${length})`;
    case "numeric":
      return precision === undefined ? "numeric" : `numeric(${precision},${scale ?? 0})`;
    case "timestamp":
    case "timestamptz":
    case "time":
    case "timetz":
    case "interval": {
      const base = BASE_TYPE_SQL[kind];
      if (precision === undefined) return base;
      // The precision goes after the type's first word: `timestamp(3) without time zone`.
      const space = base.indexOf(" ");
      return space === -1
        ? `${base}(${precision})`
        : `${base.slice(0, space)}(${precision})${base.slice(space)}`;
    }
    default:
      return BASE_TYPE_SQL[kind];
  }
}

/**
 * An enum type's SQL name from its ColumnType.enumName as src/schema/column-type.ts writes it:
 * `Name` for an enum of the described schema (qualified here with `schema` when given),
 * `other.Name` for one of another schema. (An enum whose own name holds a dot would be misread;
 * PostgreSQL allows it, nobody does it.)
 */
export function enumTypeSql(enumName: string, schema?: string): string {
  const dot = enumName.indexOf(".");
  if (dot > 0) return `${quoteIdent(enumName.slice(0, dot))}.${quoteIdent(enumName.slice(dot + 1))}`;
  return schema === undefined ? quoteIdent(enumName) : `${quoteIdent(schema)}.${quoteIdent(enumName)}`;
}

/**
 * SQL turning a staged value `expr` into the column's type for the final INSERT: enums (and
 * enum arrays) are cast from text to the enum type of `schema`; everything else is staged in
 * its own type and passes as it is.
 */
export function castSql(expr: string, type: ColumnType, schema?: string): string {
  if (type.kind !== "enum") return expr;
  if (type.enumName === undefined) throw new Error(`enum column type without an enum name: ${type.sql}`);
  return `(${expr})::${enumTypeSql(type.enumName, schema)}${type.array ? "[]" : ""}`;
}
