import type { RedactionKind } from "../config/config-file-schema.js";
import type { ConfigOrigin } from "../config/project-config-types.js";
import type { ColumnDescription } from "../schema/description.js";

/**
 * A column of a table with redaction rules that no rule names (typically added by a migration
 * after the config was written) is not copied in clear: it gets a replacement chosen from its
 * type and nullability, and export says so (stderr, manifest) with the rule lines to add.
 */

/** What an uncovered column's values became, as recorded in the manifest. */
export type UncoveredReplacement =
  | "null" // nullable column: SQL NULL
  | "pseudonym" // NOT NULL text or uuid: a keyed pseudonym (distinct values stay distinct)
  | "empty-array" // NOT NULL array: {}
  | "0" // NOT NULL number
  | "false" // NOT NULL boolean
  | "epoch" // NOT NULL date/time: 1970-01-01 00:00:00 UTC, 00:00:00, a zero interval
  | "first-label" // NOT NULL enum: its first label
  | "json-null" // NOT NULL json/jsonb: the JSON value null
  | "empty-bytes"; // NOT NULL bytea: no bytes

export interface UncoveredColumn {
  table: string;
  column: string;
  replacement: UncoveredReplacement;
  /** The rule an operator most likely wants (a guess from name and type: review it). */
  suggestedKind: RedactionKind;
}

export function uncoveredReplacement(column: ColumnDescription): UncoveredReplacement {
  if (column.nullable) return "null";
  const { type } = column;
  if (type.array) return "empty-array";
  switch (type.kind) {
    case "text":
    case "uuid":
      return "pseudonym";
    case "int2":
    case "int4":
    case "int8":
    case "numeric":
    case "float4":
    case "float8":
      return "0";
    case "bool":
      return "false";
    case "timestamp":
    case "timestamptz":
    case "date":
    case "time":
    case "timetz":
    case "interval":
      return "epoch";
    case "enum":
      return "first-label";
    case "json":
    case "jsonb":
      return "json-null";
    case "bytea":
      return "empty-bytes";
  }
}

/**
 * The constant value (format-2 JSON encoding, docs/snapshot-format.md) of a non-pseudonym
 * replacement. `firstLabel`: the enum's first label, for "first-label".
 */
export function constantReplacementValue(column: ColumnDescription, firstLabel?: string): unknown {
  const replacement = uncoveredReplacement(column);
  switch (replacement) {
    case "null":
      return null;
    case "empty-array":
      return [];
    case "0":
      // int2/int4 are JSON numbers; int8, numeric and floats are PostgreSQL's text output.
      return column.type.kind === "int2" || column.type.kind === "int4" ? 0 : "0";
    case "false":
      return false;
    case "epoch":
      return EPOCH_TEXT[column.type.kind] ?? "1970-01-01 00:00:00";
    case "first-label":
      return firstLabel ?? null;
    case "json-null":
      return "null";
    case "empty-bytes":
      return "\\x";
    case "pseudonym":
      throw new Error(`BUG: ${column.name} has a pseudonym replacement, not a constant one`);
  }
}

/** PostgreSQL's text output of the zero point per type (DateStyle ISO, TimeZone UTC). */
const EPOCH_TEXT: Partial<Record<ColumnDescription["type"]["kind"], string>> = {
  timestamp: "1970-01-01 00:00:00",
  timestamptz: "1970-01-01 00:00:00+00",
  date: "1970-01-01",
  time: "00:00:00",
  timetz: "00:00:00+00",
  interval: "00:00:00",
};

/** A first guess at the right kind, from the column's name and type. */
export function suggestKind(column: ColumnDescription): RedactionKind {
  const { kind } = column.type;
  if (kind === "uuid") return "opaqueId";
  if (kind !== "text") return "keep";
  const name = column.name;
  if (/e-?mail/i.test(name)) return "email";
  if (/(url|uri|link|website|homepage|avatar|image|photo)$/i.test(name)) return "url";
  if (/(^|_|[a-z])(name|Name)$/.test(name) || /^name$/i.test(name)) return "name";
  if (/(id|Id|ID|token|Token)$/.test(name)) return "opaqueId";
  return "freeText";
}

/**
 * The lines to paste into the config file, grouped per table, e.g.
 *   "redaction": {
 *     "User": {
 *       "bio": "freeText",
 */
export function formatSuggestedRules(uncovered: readonly UncoveredColumn[], origin?: ConfigOrigin): string[] {
  if (uncovered.length === 0) return [];
  const byTable = new Map<string, UncoveredColumn[]>();
  for (const entry of uncovered) byTable.set(entry.table, [...(byTable.get(entry.table) ?? []), entry]);
  const lines: string[] = [];
  if (origin?.kind === "built-in") {
    lines.push(
      `Create booksnap.config.json with "extends": "${origin.preset}" and these rules (review each kind):`,
    );
  } else {
    lines.push(
      `Add these rules to ${origin?.kind === "file" ? origin.path : "the config file"} (review each kind):`,
    );
  }
  lines.push(`  "redaction": {`);
  const tables = [...byTable.entries()];
  tables.forEach(([table, columns], tableIndex) => {
    lines.push(`    ${JSON.stringify(table)}: {`);
    columns.forEach((entry, index) => {
      const comma = index < columns.length - 1 ? "," : "";
      lines.push(`      ${JSON.stringify(entry.column)}: ${JSON.stringify(entry.suggestedKind)}${comma}`);
    });
    lines.push(`    }${tableIndex < tables.length - 1 ? "," : ""}`);
  });
  lines.push("  }");
  return lines;
}
