import { z } from "zod";
import {
  type ColumnDescription,
  type ColumnType,
  type ForeignKeyDescription,
  SCALAR_KINDS,
  type SchemaDescription,
  type TableDescription,
} from "../schema/description.js";

/**
 * The zod schema of a SchemaDescription as a format-2 manifest carries it. A manifest is untrusted
 * input: every string and list is bounded, unknown keys are refused, and cross references (FK
 * targets, key columns, enum names) must resolve, so engine code can index by them without checks.
 */

/** PostgreSQL identifiers are at most NAMEDATALEN-1 = 63 bytes. */
const IDENTIFIER_BYTES = 63;
/** PostgreSQL's limit on columns per table. */
const MAX_COLUMNS = 1600;
/** Far above any application schema (the bundled one has 4 tables, a large app a few hundred). */
const MAX_TABLES = 5000;
/** Enum labels per type: no PostgreSQL limit; this bounds what a hostile manifest can make us hold. */
const MAX_ENUM_LABELS = 10_000;
/** format_type() text, default expressions and index definitions: generous, still bounded. */
const MAX_SQL_CHARS = 10_000;

export const identifierSchema = z
  .string()
  .min(1)
  .refine((s) => Buffer.byteLength(s, "utf8") <= IDENTIFIER_BYTES && !s.includes("\0"), {
    message: `must be a PostgreSQL identifier (1-${IDENTIFIER_BYTES} bytes, no NUL)`,
  });
const sqlText = z.string().max(MAX_SQL_CHARS);
const smallInt = z.number().int().nonnegative().max(100_000);

const columnTypeSchema = z
  .object({
    kind: z.enum(SCALAR_KINDS),
    array: z.boolean(),
    sql: sqlText.min(1),
    length: smallInt.optional(),
    fixedLength: z.boolean().optional(),
    precision: smallInt.optional(),
    scale: z.number().int().min(-1000).max(1000).optional(),
    enumName: identifierSchema.optional(),
    domain: sqlText.optional(),
  })
  .strict() satisfies z.ZodType<ColumnType>;

const columnSchema = z
  .object({
    name: identifierSchema,
    type: columnTypeSchema,
    nullable: z.boolean(),
    default: sqlText.nullable(),
    identity: z.enum(["always", "by default"]).nullable(),
    generated: z.boolean(),
  })
  .strict() satisfies z.ZodType<ColumnDescription>;

const fkAction = z.enum(["no action", "restrict", "cascade", "set null", "set default"]);
const columnList = z.array(identifierSchema).min(1).max(32); // INDEX_MAX_KEYS = 32

const foreignKeySchema = z
  .object({
    name: identifierSchema,
    columns: columnList,
    references: z.object({ table: identifierSchema, columns: columnList }).strict(),
    onDelete: fkAction,
    onUpdate: fkAction,
    deferrable: z.boolean(),
  })
  .strict() satisfies z.ZodType<ForeignKeyDescription>;

const tableSchema = z
  .object({
    name: identifierSchema,
    columns: z.array(columnSchema).min(1).max(MAX_COLUMNS),
    primaryKey: z.array(identifierSchema).max(32),
    foreignKeys: z.array(foreignKeySchema).max(MAX_COLUMNS),
    uniques: z
      .array(z.object({ name: identifierSchema, columns: columnList, index: z.boolean() }).strict())
      .max(MAX_COLUMNS),
    indexes: z.array(z.object({ name: identifierSchema, definition: sqlText }).strict()).max(MAX_COLUMNS),
  })
  .strict() satisfies z.ZodType<TableDescription>;

export const schemaDescriptionSchema = z
  .object({
    schema: identifierSchema,
    tables: z.array(tableSchema).max(MAX_TABLES),
    enums: z.record(identifierSchema, z.array(identifierSchema).min(1).max(MAX_ENUM_LABELS)),
  })
  .strict()
  .superRefine((description, ctx) => {
    for (const problem of descriptionProblems(description))
      ctx.addIssue({ code: "custom", message: problem });
  }) satisfies z.ZodType<SchemaDescription>;

/** Cross-reference problems of a description (empty when consistent). */
export function descriptionProblems(description: SchemaDescription): string[] {
  const problems: string[] = [];
  const tables = new Map<string, Set<string>>();
  for (const table of description.tables) {
    if (tables.has(table.name)) problems.push(`table ${table.name} is described twice`);
    const names = new Set<string>();
    for (const column of table.columns) {
      if (names.has(column.name)) problems.push(`column ${table.name}.${column.name} is described twice`);
      names.add(column.name);
      const type = column.type;
      if (type.kind === "enum") {
        if (type.enumName === undefined || !(type.enumName in description.enums)) {
          problems.push(`column ${table.name}.${column.name} uses an undescribed enum`);
        }
      } else if (type.enumName !== undefined) {
        problems.push(`column ${table.name}.${column.name} names an enum but is not of kind enum`);
      }
    }
    tables.set(table.name, names);
    const known = (columns: readonly string[]) => columns.every((c) => names.has(c));
    if (!known(table.primaryKey)) problems.push(`primary key of ${table.name} names an unknown column`);
    for (const unique of table.uniques) {
      if (!known(unique.columns))
        problems.push(`unique ${unique.name} of ${table.name} names an unknown column`);
    }
    for (const fk of table.foreignKeys) {
      if (!known(fk.columns))
        problems.push(`foreign key ${fk.name} of ${table.name} names an unknown column`);
      if (fk.columns.length !== fk.references.columns.length) {
        problems.push(`foreign key ${fk.name} of ${table.name} has mismatched column lists`);
      }
    }
  }
  // Foreign-key order: a referenced table comes first (or is the table itself).
  const seen = new Set<string>();
  for (const table of description.tables) {
    seen.add(table.name);
    for (const fk of table.foreignKeys) {
      const target = tables.get(fk.references.table);
      // A reference to a table left out of the description (tables.exclude) is allowed: the
      // engine treats such columns as plain values.
      if (!target) continue;
      if (!seen.has(fk.references.table)) {
        problems.push(`table ${table.name} comes before ${fk.references.table}, which it references`);
      } else if (!fk.references.columns.every((c) => target.has(c))) {
        problems.push(`foreign key ${fk.name} of ${table.name} references an unknown column`);
      }
    }
  }
  return problems;
}
