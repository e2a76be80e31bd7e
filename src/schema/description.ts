/**
 * The schema description: what booksnap learns from a database's catalog (src/schema/introspect.ts)
 * and records in a format-2 manifest as the contract the data was written under. Every engine
 * module (export queries, the record layout, validation, staging, id mapping, verification, the
 * compatibility report) is driven by one of these; nothing in src/ names an application table.
 */

/** The scalar kinds booksnap carries exactly (see src/schema/values.ts for each one's encoding). */
export const SCALAR_KINDS = [
  "text", // text, varchar(n), char(n) (length in `length`), citext-like domains over text
  "int2",
  "int4",
  "int8",
  "numeric", // precision/scale in `precision`/`scale` when declared
  "float4",
  "float8",
  "bool",
  "timestamp", // `precision` = fractional digits when declared
  "timestamptz",
  "date",
  "time",
  "timetz",
  "interval",
  "uuid",
  "json",
  "jsonb",
  "bytea",
  "enum", // values in SchemaDescription.enums[enumName]
] as const;
export type ScalarKind = (typeof SCALAR_KINDS)[number];

export interface ColumnType {
  kind: ScalarKind;
  /** One-dimensional array of `kind` (multi-dimensional columns are not carried: see unsupported). */
  array: boolean;
  /** format_type() of the column as PostgreSQL prints it, e.g. `character varying(10)`, `"BookVisibility"[]`. */
  sql: string;
  /** varchar(n) / char(n): n. */
  length?: number;
  /** char(n) (blank-padded) rather than varchar/text. */
  fixedLength?: boolean;
  /** numeric(p,s) precision, or the fractional-second precision of time/timestamp types. */
  precision?: number;
  scale?: number;
  /** kind "enum": the enum type's name (unqualified when in the described schema). */
  enumName?: string;
  /** The column's declared type is a domain over the carried type: its name. */
  domain?: string;
}

export interface ColumnDescription {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** pg_get_expr of the column default, or null. */
  default: string | null;
  /** Identity column ("always" | "by default"), or null. A serial column is default nextval(...), identity null. */
  identity: "always" | "by default" | null;
  /** GENERATED ALWAYS AS (...) STORED: never exported, never inserted. */
  generated: boolean;
}

export type ForeignKeyAction = "no action" | "restrict" | "cascade" | "set null" | "set default";

export interface ForeignKeyDescription {
  name: string;
  columns: string[];
  /** Referenced table (in the same described schema) and its columns, position for position. */
  references: { table: string; columns: string[] };
  onDelete: ForeignKeyAction;
  onUpdate: ForeignKeyAction;
  deferrable: boolean;
}

export interface UniqueDescription {
  /** Constraint or index name. */
  name: string;
  columns: string[];
  /** Came from a unique index rather than a UNIQUE constraint (Prisma's @unique makes an index). */
  index: boolean;
}

export interface IndexDescription {
  name: string;
  /** pg_get_indexdef, for reports only. */
  definition: string;
}

export interface TableDescription {
  name: string;
  /**
   * Column order of the table (attnum order, dropped columns and columns listed in unsupported left
   * out). Generated columns are listed with `generated: true`; rows never carry them.
   */
  columns: ColumnDescription[];
  primaryKey: string[];
  foreignKeys: ForeignKeyDescription[];
  uniques: UniqueDescription[];
  indexes: IndexDescription[];
}

/** The columns a row carries, in the table's order: generated columns are never exported. */
export function carriedColumns(table: TableDescription): ColumnDescription[] {
  return table.columns.filter((column) => !column.generated);
}

/** A column booksnap will not carry, found before any row is read. */
export interface UnsupportedColumn {
  table: string;
  column: string;
  sqlType: string;
  reason: string;
}

export interface SchemaDescription {
  /** The PostgreSQL schema the tables live in (default "public"). */
  schema: string;
  /** Tables in foreign-key order: every table after the tables it references (self-references allowed). */
  tables: TableDescription[];
  /** Enum types used by the tables: name -> labels in their sort order. */
  enums: Record<string, string[]>;
}
