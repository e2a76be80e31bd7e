import type { PresetName, PseudonymKind, RedactionKind } from "./config-file-schema.js";

/**
 * The resolved project configuration: complete (no field needs a `?? default` later), frozen,
 * and with null-prototype records so a table named like an Object method cannot alias one.
 * Engine code gets it as an argument; only src/config/project-config.ts builds it.
 */

/** One column's redaction rule, resolved. */
export interface RedactionRule {
  kind: RedactionKind;
  /**
   * Domain of the keyed hash: `"Table.column"` of this column, or of the column named by
   * `sameAs`, so equal values in both columns get equal pseudonyms.
   */
  domain: string;
}

/** Rules of one table: column → rule. */
export type TableRedactionRules = Readonly<Record<string, RedactionRule>>;

export interface OwnersConfig {
  /** The table whose rows are the owners (the app's users). */
  table: string;
  /** Column that names an owner by email (--owner / --user EMAIL), or null when owners are named by id only. */
  emailColumn: string | null;
  /** The owners table's id column, referenced by the owned tables' foreign keys. */
  idColumn: string;
  /**
   * Child table -> foreign keys (constraint name or column) through which its rows belong to an
   * owner, for tables without an owner column (the schema cannot say whether a list entry belongs
   * to its list or to the book it names). Absent: every foreign key into an owned table counts.
   */
  belongsThrough?: Readonly<Record<string, readonly string[]>>;
}

/** A rule the app enforces in code rather than by a constraint (issue 12). */
export interface PerOwnerRule {
  /** Text for messages and summaries. */
  name: string;
  table: string;
  /** Column holding the owner's id. */
  owner: string;
  /** Rows covered: every column equals its value. */
  where: Readonly<Record<string, string | number | boolean | null>>;
  /** With the owner, these columns identify at most one covered row ([] = one per owner). */
  uniqueBy: readonly string[];
  /**
   * When rows are combined to keep the rule, the child rows that come together under the kept row
   * are renumbered: `column` of `table` (whose foreign key `parent` points at the rule's table)
   * becomes step, 2·step, … in a stable order (the kept row's children first, then by source key).
   */
  renumber: { table: string; parent: string; column: string; step: number } | null;
}

/** Where the configuration came from (printed, and recorded in audit logs). */
export type ConfigOrigin =
  | { kind: "built-in"; preset: PresetName }
  | { kind: "file"; path: string; extends: PresetName | null };

export interface ProjectConfig {
  origin: ConfigOrigin;
  /** PostgreSQL schema of the app's tables. */
  schema: string;
  tables: {
    /** Only these tables, or null for every table of the schema. */
    include: readonly string[] | null;
    exclude: readonly string[];
  };
  owners: OwnersConfig | null;
  /** table → column → rule. */
  redaction: Readonly<Record<string, TableRedactionRules>>;
  /** table → merge identity key columns. Tables not listed use their primary key's non-serial part or a unique constraint. */
  identity: Readonly<Record<string, readonly string[]>>;
  perOwnerRules: readonly PerOwnerRule[];
}

export type { PresetName, PseudonymKind, RedactionKind };
