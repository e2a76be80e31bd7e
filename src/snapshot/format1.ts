import type {
  ColumnDescription,
  ColumnType,
  SchemaDescription,
  TableDescription,
} from "../schema/description.js";
import { MODELS, type ModelName } from "./models.js";

/**
 * Format 1 as a schema description. A format-1 data file carries named records of four fixed
 * models (src/snapshot/models.ts describes that file layout, frozen); the format-2 engine reads
 * it through this description and `format1Row`, which lays each record out positionally with
 * format 2's value encoding. This describes a file format, not the application: a target with a
 * different schema is judged against it by the same compatibility report as a format-2 snapshot.
 */

const VISIBILITY = ["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"];

function columnType(field: (typeof MODELS)[number]["fields"][number]): ColumnType {
  switch (field.type.kind) {
    case "int":
      return { kind: "int4", array: false, sql: "integer" };
    case "text":
      return field.type.maxLength
        ? {
            kind: "text",
            array: false,
            sql: `character varying(${field.type.maxLength})`,
            length: field.type.maxLength,
          }
        : { kind: "text", array: false, sql: "text" };
    case "enum":
      return { kind: "enum", array: false, sql: `"${field.type.pgType}"`, enumName: field.type.pgType };
    case "timestamp":
      return { kind: "timestamp", array: false, sql: "timestamp(3) without time zone", precision: 3 };
    case "textArray":
      return { kind: "text", array: true, sql: "text[]" };
  }
}

function table(spec: (typeof MODELS)[number]): TableDescription {
  const columns: ColumnDescription[] = spec.fields.map((field) => ({
    name: field.name,
    type: columnType(field),
    nullable: field.nullable,
    default: field.name === "id" ? `nextval('"${spec.table}_id_seq"'::regclass)` : null,
    identity: null,
    generated: false,
  }));
  return {
    name: spec.table,
    columns,
    primaryKey: ["id"],
    foreignKeys: spec.fields
      .filter((f) => f.references)
      .map((f) => ({
        name: `${spec.table}_${f.name}_fkey`,
        columns: [f.name],
        references: { table: f.references as string, columns: ["id"] },
        onDelete: "cascade" as const,
        onUpdate: "cascade" as const,
        deferrable: false,
      })),
    uniques: [],
    indexes: [],
  };
}

/** The format-1 file layout (every format-1 snapshot has exactly these models and fields). */
export const FORMAT1_DESCRIPTION: SchemaDescription = {
  schema: "public",
  tables: MODELS.map(table),
  enums: {
    BookVisibility: VISIBILITY,
    ReadingListVisibility: VISIBILITY,
    ReadingListType: ["STANDARD", "FAVORITES_YEAR", "FAVORITES_ALL"],
  },
};

const FIELD_NAMES = new Map(MODELS.map((m) => [m.name, m.fields.map((f) => f.name)]));
const TIMESTAMP_FIELDS = new Map(
  MODELS.map((m) => [
    m.name,
    new Set(m.fields.filter((f) => f.type.kind === "timestamp").map((f) => f.name)),
  ]),
);

/**
 * A validated format-1 record as a format-2 row: its fields in the model's order, timestamps
 * ("2024-05-01T10:00:00.120Z") written as PostgreSQL prints a timestamp(3) ("2024-05-01 10:00:00.12").
 */
export function format1Row(model: ModelName, record: Readonly<Record<string, unknown>>): unknown[] {
  const timestamps = TIMESTAMP_FIELDS.get(model) as Set<string>;
  return (FIELD_NAMES.get(model) as string[]).map((name) => {
    const value = record[name];
    if (value === undefined) return null;
    return timestamps.has(name) && typeof value === "string" ? pgTimestampText(value) : value;
  });
}

/** "YYYY-MM-DDTHH:MM:SS.mmmZ" → PostgreSQL's ISO output of the same timestamp (trailing zeros dropped). */
export function pgTimestampText(iso: string): string {
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ""}`;
}

/** The inverse of format1Row for the dead-letter file: a staged row as the format-1 record it came from. */
export function format1Record(
  model: string,
  row: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const timestamps = TIMESTAMP_FIELDS.get(model as ModelName);
  if (!timestamps) return { ...row };
  return Object.fromEntries(
    Object.entries(row).map(([name, value]) => [
      name,
      timestamps.has(name) && typeof value === "string" ? isoTimestamp(value) : value,
    ]),
  );
}

/** PostgreSQL's "2024-05-01 10:00:00.12" → "2024-05-01T10:00:00.120Z" (format 1's canonical form). */
function isoTimestamp(text: string): string {
  const [date, time = "00:00:00"] = text.split(" ");
  const [whole, fraction = ""] = time.split(".");
  return `${date}T${whole}.${fraction.padEnd(3, "0").slice(0, 3)}Z`;
}
