import { compareColumns } from "./column-compatibility.js";
import type { SchemaDescription, TableDescription, UnsupportedColumn } from "./description.js";
import { compareKeys } from "./key-compatibility.js";
import type { TypeChangeCode } from "./type-change.js";

/**
 * The compatibility report: will a snapshot taken under one schema load into a database with
 * another? Decided before anything is written, from the two schema descriptions alone (the
 * snapshot's manifest and the target's catalog). `booksnap check` prints it; import computes the
 * same report and acts on `tables` (see docs/compatibility.md for every rule and its reason).
 */

/**
 * What an entry means for the load, from best to worst:
 * - `ok`: nothing to do (identical, or a difference that does not touch the data, e.g. a table
 *   only in the target);
 * - `adapt`: loads, with a documented adaptation (a column dropped or filled, a lossless cast);
 * - `records-rejected`: loads, but records holding certain values go to the dead-letter file;
 * - `refuse`: does not load; nothing may be written.
 */
export type Verdict = "ok" | "adapt" | "records-rejected" | "refuse";
export const VERDICTS: readonly Verdict[] = ["ok", "adapt", "records-rejected", "refuse"];

/** Stable codes of report entries (documented in docs/compatibility.md; scripts may rely on them). */
export type CompatibilityCode =
  | "NO_TABLE_IN_TARGET"
  | "TABLE_IDENTICAL"
  | "TABLE_ONLY_IN_SNAPSHOT"
  | "TABLE_ONLY_IN_TARGET"
  | "COLUMN_ONLY_IN_SNAPSHOT"
  | "COLUMN_GENERATED_IN_TARGET"
  | "COLUMN_FILLED_BY_DEFAULT"
  | "COLUMN_FILLED_BY_SEQUENCE"
  | "COLUMN_FILLED_WITH_NULL"
  | "COLUMN_REQUIRED_IN_TARGET"
  | "COLUMN_UNSUPPORTED_IN_TARGET"
  | "COLUMN_NULLABLE_IN_TARGET"
  | "COLUMN_NOT_NULL_IN_TARGET"
  | "ENUM_VALUES_ADDED"
  | "ENUM_VALUES_MISSING"
  | TypeChangeCode
  | "TYPE_DOMAIN_CHANGED"
  | "PRIMARY_KEY_CHANGED"
  | "PRIMARY_KEY_MISSING"
  | "FOREIGN_KEY_ADDED"
  | "FOREIGN_KEY_CHANGED"
  | "FOREIGN_KEY_ONLY_IN_SNAPSHOT"
  | "UNIQUE_ADDED";

export interface CompatibilityEntry {
  code: CompatibilityCode;
  verdict: Verdict;
  /** The table the entry is about; absent for a finding about the whole schema. */
  table?: string;
  /** The column the entry is about, when it is about one. */
  column?: string;
  /** One human sentence (plain text: the CLI escapes it when printing). */
  message: string;
}

/**
 * What import does with one column (snapshot columns in snapshot order, then the target's
 * columns the snapshot does not carry). `snapshotIndex` is the column's position in the
 * snapshot's data rows (the manifest's column order, generated columns left out).
 */
export type ColumnAction =
  /** Insert the snapshot's value as it is. */
  | { action: "copy"; column: string; snapshotIndex: number }
  /** Read the value as the snapshot's type, insert PostgreSQL's cast of it to the target's type. */
  | { action: "cast"; column: string; snapshotIndex: number; from: string; to: string }
  /** The target has no such (insertable) column: the value is left out. */
  | { action: "drop"; column: string; snapshotIndex: number }
  /**
   * A target column the snapshot does not carry: left out of the INSERT so the target's default,
   * sequence or NULL fills it. `default` is the target's default expression (null: none).
   */
  | { action: "fill-default"; column: string; default: string | null; identity: boolean };

/** Values that make a record go to the dead-letter file instead of the target. */
export type RecordRule =
  /** The target's enum lacks these labels: a record holding one (also inside an array) is rejected. */
  | { rule: "enum-value-missing"; column: string; values: string[] }
  /** NOT NULL in the target, nullable in the snapshot: a record with NULL there is rejected. */
  | { rule: "null-not-allowed"; column: string }
  /** The target's domain may refuse some values: a record whose value it refuses is rejected. */
  | { rule: "domain-check"; column: string; domain: string }
  /** A unique constraint the snapshot's database did not have: a duplicate is rejected. */
  | { rule: "unique-added"; columns: string[]; constraint: string }
  /**
   * A reference the snapshot did not record, into a table whose keys are kept (not remapped):
   * values are copied, a record whose reference has no row is rejected.
   */
  | {
      rule: "foreign-key-added";
      constraint: string;
      columns: string[];
      references: { table: string; columns: string[] };
    };

/** The plan for one table that is in both schemas. */
export interface TableCompatibility {
  table: string;
  /** The worst verdict of this table's entries. */
  verdict: Verdict;
  columns: ColumnAction[];
  recordRules: RecordRule[];
}

export interface CompatibilityReport {
  /** The worst verdict of all entries: decides whether (and how) the snapshot loads. */
  verdict: Verdict;
  /** Every finding, in table order (snapshot's table order, then tables only in the target). */
  entries: CompatibilityEntry[];
  /** Tables in both schemas, in the snapshot's (foreign-key) order. */
  tables: TableCompatibility[];
  /** In the snapshot only: not loaded. */
  skippedTables: string[];
  /** In the target only: not touched. */
  untouchedTables: string[];
  /** The options the report was made with. */
  options: CompareOptions;
}

export interface CompareOptions {
  /**
   * A snapshot enum label the target's enum lacks: `reject-records` sends the records holding
   * it to the dead-letter file (verdict records-rejected); `refuse` refuses the load.
   */
  onMissingEnum: "reject-records" | "refuse";
  /** Target columns introspection could not describe (custom types…): none of them is written. */
  targetUnsupported?: readonly UnsupportedColumn[];
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = { onMissingEnum: "reject-records" };

/** Compares the schema a snapshot was written under with a target's; pure, no database. */
export function compareSchemas(
  snapshot: SchemaDescription,
  target: SchemaDescription,
  options: CompareOptions = DEFAULT_COMPARE_OPTIONS,
): CompatibilityReport {
  const entries: CompatibilityEntry[] = [];
  const tables: TableCompatibility[] = [];
  const skippedTables: string[] = [];
  const targetTables = new Map(target.tables.map((t) => [t.name, t]));
  const snapshotTables = new Set(snapshot.tables.map((t) => t.name));
  for (const fromTable of snapshot.tables) {
    const toTable = targetTables.get(fromTable.name);
    if (!toTable) {
      skippedTables.push(fromTable.name);
      entries.push({
        code: "TABLE_ONLY_IN_SNAPSHOT",
        verdict: "adapt",
        table: fromTable.name,
        message: "only in the snapshot: skipped, its records are not loaded",
      });
      continue;
    }
    const table = compareTable(fromTable, toTable, { snapshot, target, options, snapshotTables });
    tables.push(table.plan);
    entries.push(...table.entries);
  }
  if (snapshot.tables.length > 0 && tables.length === 0) {
    entries.push({
      code: "NO_TABLE_IN_TARGET",
      verdict: "refuse",
      message: `none of the snapshot's tables is in the target's schema ${target.schema}: create them first (your app's migrations, or booksnap prepare)`,
    });
  }
  const untouchedTables = target.tables.map((t) => t.name).filter((name) => !snapshotTables.has(name));
  for (const name of untouchedTables) {
    entries.push({
      code: "TABLE_ONLY_IN_TARGET",
      verdict: "ok",
      table: name,
      message: "only in the target: untouched",
    });
  }
  return {
    verdict: worst(entries.map((e) => e.verdict)),
    entries,
    tables,
    skippedTables,
    untouchedTables,
    options: { ...options },
  };
}

/** Both schemas and the options, for the per-table comparisons. */
export interface CompareContext {
  snapshot: SchemaDescription;
  target: SchemaDescription;
  options: CompareOptions;
  snapshotTables: ReadonlySet<string>;
}

function compareTable(
  from: TableDescription,
  to: TableDescription,
  context: CompareContext,
): { plan: TableCompatibility; entries: CompatibilityEntry[] } {
  const columns = compareColumns(from, to, context);
  const keys = compareKeys(from, to, columns.actions, context);
  const found = [...columns.entries, ...keys.entries];
  const entries: CompatibilityEntry[] =
    found.length > 0
      ? found
      : [
          {
            code: "TABLE_IDENTICAL",
            verdict: "ok",
            table: from.name,
            message: `identical (${to.columns.length} columns)`,
          },
        ];
  return {
    plan: {
      table: from.name,
      verdict: worst(entries.map((e) => e.verdict)),
      columns: columns.actions,
      recordRules: [...columns.recordRules, ...keys.recordRules],
    },
    entries,
  };
}

/** The worst of some verdicts ("ok" for none). */
export function worst(verdicts: readonly Verdict[]): Verdict {
  let index = 0;
  for (const verdict of verdicts) index = Math.max(index, VERDICTS.indexOf(verdict));
  return VERDICTS[index] as Verdict;
}
