import type pg from "pg";
import { sha256Hex, stableStringify } from "../snapshot/canonical.js";
import { type FieldType, MODELS } from "../snapshot/models.js";

/** One column as both sides describe it: "int", "text", "varchar(10)", "enum:BookVisibility[A,B]", "timestamp", "text[]". */
export interface FieldDescription {
  name: string;
  type: string;
  nullable: boolean;
}
export type SchemaDescription = Record<string, FieldDescription[]>;

function describeType(type: FieldType): string {
  switch (type.kind) {
    case "int":
      return "int";
    case "text":
      return type.maxLength ? `varchar(${type.maxLength})` : "text";
    case "enum":
      return `enum:${type.pgType}[${type.values.join(",")}]`;
    case "timestamp":
      return "timestamp";
    case "textArray":
      return "text[]";
  }
}

/** The schema this build of booksnap reads and writes. */
export function expectedSchema(): SchemaDescription {
  const out: SchemaDescription = {};
  for (const spec of MODELS) {
    out[spec.name] = spec.fields.map((field) => ({
      name: field.name,
      type: describeType(field.type),
      // Array columns are nullable in SQL (Prisma's mapping) but never null in practice.
      nullable: field.type.kind === "textArray" ? true : field.nullable,
    }));
  }
  return out;
}

/** Fingerprint of a description: order of models and fields does not matter. */
export function schemaFingerprint(schema: SchemaDescription): string {
  const normalized = Object.fromEntries(
    Object.entries(schema)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([model, fields]) => [model, [...fields].sort((a, b) => a.name.localeCompare(b.name))]),
  );
  return `sha256:${sha256Hex(stableStringify(normalized))}`;
}

/** Reads the live schema of the models' tables (current schema, usually public). */
export async function describeLiveSchema(client: pg.Client): Promise<SchemaDescription> {
  const tables = MODELS.map((m) => m.table);
  const { rows } = await client.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    udt_name: string;
    is_nullable: string;
    character_maximum_length: number | null;
    enum_values: string[] | null;
  }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable, c.character_maximum_length,
            (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
               FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
              WHERE t.typname = c.udt_name) AS enum_values
       FROM information_schema.columns c
      WHERE c.table_schema = current_schema() AND c.table_name = ANY($1)
      ORDER BY c.table_name, c.ordinal_position`,
    [tables],
  );
  const out: SchemaDescription = {};
  for (const row of rows) {
    const fields = out[row.table_name] ?? [];
    out[row.table_name] = fields;
    fields.push({ name: row.column_name, type: liveType(row), nullable: row.is_nullable === "YES" });
  }
  return out;
}

function liveType(row: {
  data_type: string;
  udt_name: string;
  character_maximum_length: number | null;
  enum_values: string[] | null;
}): string {
  switch (row.data_type) {
    case "integer":
      return "int";
    case "text":
      return "text";
    case "character varying":
      return row.character_maximum_length ? `varchar(${row.character_maximum_length})` : "text";
    case "timestamp without time zone":
      return "timestamp";
    case "ARRAY":
      return row.udt_name === "_text" ? "text[]" : `array:${row.udt_name}`;
    case "USER-DEFINED":
      return row.enum_values ? `enum:${row.udt_name}[${row.enum_values.join(",")}]` : `type:${row.udt_name}`;
    default:
      return row.data_type;
  }
}

export interface SchemaDifference {
  model: string;
  field?: string;
  /** "missing-model", "missing-field" (expected, not found), "extra-field" (found, not expected), "changed-field". */
  kind: "missing-model" | "extra-model" | "missing-field" | "extra-field" | "changed-field";
  expected?: FieldDescription;
  actual?: FieldDescription;
}

/** Lists exactly which models and fields differ between two descriptions. */
export function diffSchemas(expected: SchemaDescription, actual: SchemaDescription): SchemaDifference[] {
  const diffs: SchemaDifference[] = [];
  for (const [model, expectedFields] of Object.entries(expected)) {
    const actualFields = actual[model];
    if (!actualFields) {
      diffs.push({ model, kind: "missing-model" });
      continue;
    }
    const byName = new Map(actualFields.map((f) => [f.name, f]));
    for (const field of expectedFields) {
      const found = byName.get(field.name);
      if (!found) diffs.push({ model, field: field.name, kind: "missing-field", expected: field });
      else if (found.type !== field.type || found.nullable !== field.nullable) {
        diffs.push({ model, field: field.name, kind: "changed-field", expected: field, actual: found });
      }
    }
    const expectedNames = new Set(expectedFields.map((f) => f.name));
    for (const field of actualFields) {
      if (!expectedNames.has(field.name))
        diffs.push({ model, field: field.name, kind: "extra-field", actual: field });
    }
  }
  for (const model of Object.keys(actual)) {
    if (!(model in expected)) diffs.push({ model, kind: "extra-model" });
  }
  return diffs;
}

export function formatSchemaDifference(d: SchemaDifference): string {
  const show = (f?: FieldDescription) => (f ? `${f.type}${f.nullable ? " (nullable)" : ""}` : "");
  switch (d.kind) {
    case "missing-model":
      return `${d.model}: table is missing`;
    case "extra-model":
      return `${d.model}: unexpected table`;
    case "missing-field":
      return `${d.model}.${d.field}: missing (expected ${show(d.expected)})`;
    case "extra-field":
      return `${d.model}.${d.field}: not known to booksnap (${show(d.actual)})`;
    case "changed-field":
      return `${d.model}.${d.field}: expected ${show(d.expected)}, found ${show(d.actual)}`;
  }
}
