import type {
  ColumnDescription,
  ColumnType,
  SchemaDescription,
  TableDescription,
} from "../schema/description.js";
import { castSql } from "../schema/values.js";
import { qualified, quoteIdent } from "./sql-names.js";

/**
 * What the import does with each snapshot table, decided once from the snapshot's schema
 * description, the target's (introspected) description, the compatibility decisions and the
 * project's owners/identity configuration. Every later step (staging DDL, line decoding, the
 * constraint checks, INSERT … SELECT, verification, the dead-letter file) reads this plan and
 * nothing else: no application table is named in the import engine.
 */

import type { OwnersConfig } from "../config/project-config.js";
import { UsageError } from "../errors.js";
import type { OwnerMode } from "./options.js";

export type { OwnersConfig };

/** A column's foreign key as the import resolves it. */
export type ColumnReference =
  /** References the owners table: collapses onto the dev user's id. */
  | { kind: "owner" }
  /** References the single-column key of another imported table: remapped through its key map. */
  | { kind: "table"; table: string; constraint: string; self: boolean };

export interface ColumnPlan {
  name: string;
  /** Position of the value in the snapshot row. */
  index: number;
  /** The column's type in the snapshot (what validation and staging use). */
  type: ColumnType;
  nullable: boolean;
  /** The target's column, or undefined when the column is only in the snapshot (dropped on insert). */
  target: ColumnDescription | undefined;
  reference: ColumnReference | undefined;
}

export interface KeyPlan {
  column: string;
  /** Position in the snapshot row. */
  index: number;
  type: ColumnType;
  /** An integer key filled by a sequence in the target: imported rows get new ids from it. */
  sequence: boolean;
}

export interface TablePlan {
  name: string;
  /** Every snapshot column, in snapshot order (staged, validated). */
  columns: ColumnPlan[];
  /** The single-column primary key (rows are mapped by it), or undefined for composite/no keys. */
  key: KeyPlan | undefined;
  /** The owners table: validated only in collapse mode, inserted (each owner a user) in keep mode. */
  owners: boolean;
  /** Rows are inserted (false for the owners table and tables only in the snapshot). */
  inserted: boolean;
  /** The target's unique keys (primary key first) whose columns all come from the snapshot. */
  uniques: Array<{ name: string; columns: string[] }>;
  /** Merge: the columns that identify a row already in the target (undefined: never matched). */
  identity: string[] | undefined;
  /** Columns referencing the owners table directly (collapsed onto the dev user, or remapped in keep mode). */
  ownerColumns: string[];
}

export interface ImportPlan {
  /** The target's PostgreSQL schema (every target table is qualified with it). */
  schema: string;
  /** Snapshot tables in foreign-key order. */
  tables: TablePlan[];
  owners: OwnersConfig | null;
  ownerMode: OwnerMode;
  /**
   * Target tables whose rows replace deletes, children first, with the row predicate: the rows of
   * the owners the snapshot lands on ($1 = their target ids, an array).
   */
  replaceDeletes: Array<{ table: string; predicate: string }>;
}

export interface PlanInput {
  snapshot: SchemaDescription;
  target: SchemaDescription;
  owners: OwnersConfig | null;
  ownerMode: OwnerMode;
  /** Merge identity per table (project config); tables without one use their first unique key. */
  identity: Readonly<Record<string, readonly string[]>>;
  /** Snapshot columns the target will not get (compatibility report: only in the snapshot). */
  dropped: Readonly<Record<string, readonly string[]>>;
  /** Snapshot tables not inserted (compatibility report: only in the snapshot). */
  skippedTables: readonly string[];
}

const INTEGER_KINDS = new Set(["int2", "int4", "int8"]);

/** A column filled by a sequence: serial (nextval default) or identity. */
export function hasSequence(column: ColumnDescription): boolean {
  return column.identity !== null || /^nextval\(/i.test(column.default ?? "");
}

export function buildImportPlan(input: PlanInput): ImportPlan {
  const targetTables = new Map(input.target.tables.map((t) => [t.name, t]));
  const owners = input.owners;
  if (input.ownerMode === "keep") assertOwnersTableFor(input);
  const tables: TablePlan[] = [];
  for (const table of input.snapshot.tables) {
    const target = input.skippedTables.includes(table.name) ? undefined : targetTables.get(table.name);
    tables.push(planTable(table, target, input, owners));
  }
  // References to tables whose rows are neither mapped nor validated stay as written.
  const keyed = new Set(tables.filter((t) => t.key).map((t) => t.name));
  for (const table of tables) {
    for (const column of table.columns) {
      if (column.reference?.kind === "table" && !keyed.has(column.reference.table))
        column.reference = undefined;
    }
  }
  return {
    schema: input.target.schema,
    tables,
    owners,
    ownerMode: input.ownerMode,
    replaceDeletes: replaceDeletes(tables, input.target, owners),
  };
}

function planTable(
  table: TableDescription,
  target: TableDescription | undefined,
  input: PlanInput,
  owners: OwnersConfig | null,
): TablePlan {
  const dropped = new Set(input.dropped[table.name] ?? []);
  const targetColumns = new Map((target?.columns ?? []).map((c) => [c.name, c]));
  // Foreign keys as the target declares them (they are what its constraints enforce), else the snapshot's.
  const foreignKeys = (target ?? table).foreignKeys;
  const columns: ColumnPlan[] = table.columns.map((column, index) => {
    const fk = foreignKeys.find((k) => k.columns.length === 1 && k.columns[0] === column.name);
    let reference: ColumnReference | undefined;
    const toOwners =
      fk !== undefined &&
      owners !== null &&
      fk.references.table === owners.table &&
      fk.references.columns[0] === owners.idColumn;
    if (toOwners && input.ownerMode === "collapse") {
      reference = { kind: "owner" };
    } else if (fk) {
      const referenced = input.snapshot.tables.find((t) => t.name === fk.references.table);
      if (
        referenced &&
        referenced.primaryKey.length === 1 &&
        referenced.primaryKey[0] === fk.references.columns[0]
      ) {
        reference = {
          kind: "table",
          table: referenced.name,
          constraint: fk.name,
          self: referenced.name === table.name,
        };
      }
    }
    return {
      name: column.name,
      index,
      type: column.type,
      nullable: column.nullable,
      target: dropped.has(column.name) ? undefined : targetColumns.get(column.name),
      reference,
    };
  });
  const isOwners = owners !== null && table.name === owners.table;
  const keep = input.ownerMode === "keep";
  let key: KeyPlan | undefined;
  if (table.primaryKey.length === 1) {
    const column = columns.find((c) => c.name === table.primaryKey[0]);
    const targetColumn = column && targetColumns.get(column.name);
    if (column) {
      key = {
        column: column.name,
        index: column.index,
        type: column.type,
        sequence:
          !column.type.array &&
          INTEGER_KINDS.has(column.type.kind) &&
          targetColumn !== undefined &&
          hasSequence(targetColumn),
      };
    }
  }
  const carried = new Set(columns.filter((c) => c.target).map((c) => c.name));
  const uniques: TablePlan["uniques"] = [];
  if (target) {
    if (target.primaryKey.length > 0 && target.primaryKey.every((c) => carried.has(c)) && !key?.sequence) {
      uniques.push({ name: `${target.name} primary key`, columns: target.primaryKey });
    }
    for (const u of target.uniques) {
      if (u.columns.every((c) => carried.has(c))) uniques.push({ name: u.name, columns: u.columns });
    }
  }
  // keep mode: an owner already in the target (an earlier import's) is found by email, not inserted twice.
  const configured =
    input.identity[table.name] ??
    (isOwners && keep && owners?.emailColumn ? [owners.emailColumn] : undefined);
  const identity = configured
    ? [...configured]
    : uniques.find((u) => !(key?.sequence && u.columns.includes(key.column)))?.columns;
  return {
    name: table.name,
    columns,
    key,
    owners: isOwners,
    inserted: target !== undefined && (!isOwners || keep),
    uniques,
    identity: identity?.every((c) => carried.has(c)) ? identity : undefined,
    ownerColumns: columns
      .filter(
        (c) =>
          c.reference?.kind === "owner" ||
          (c.reference?.kind === "table" &&
            owners !== null &&
            c.reference.table === owners.table &&
            !isOwners),
      )
      .map((c) => c.name),
  };
}

/** keep mode inserts the snapshot's owners: the owners table must be configured and in the snapshot, keyed by its id. */
function assertOwnersTableFor(input: PlanInput): void {
  const owners = input.owners;
  if (!owners) {
    throw new UsageError("--owners keep needs an owners table, and the project configuration names none", {
      code: "E_OWNERS_OPTIONS",
      hint: "Name the owners table in booksnap.config.json (owners.table), or import with --owners collapse.",
    });
  }
  const table = input.snapshot.tables.find((t) => t.name === owners.table);
  if (table?.primaryKey.length !== 1 || table.primaryKey[0] !== owners.idColumn) {
    throw new UsageError(
      `--owners keep needs the owners table ${owners.table} in the snapshot, keyed by ${owners.idColumn}; this snapshot ${table ? "keys it differently" : "has no such table"}`,
      {
        code: "E_OWNERS_TABLE_MISSING",
        hint: "Export again with the owners table included, or import with --owners collapse.",
      },
    );
  }
}

/**
 * The target rows replace removes: in every inserted table, the rows whose foreign key points at
 * the dev user, or at a row removed that way (transitively), deleted children first. A table
 * reaching the owners table through no such path keeps its rows.
 */
function replaceDeletes(
  tables: readonly TablePlan[],
  target: SchemaDescription,
  owners: OwnersConfig | null,
): ImportPlan["replaceDeletes"] {
  if (!owners) return [];
  const inserted = new Set(tables.filter((t) => t.inserted).map((t) => t.name));
  const predicates = new Map<string, string>();
  // Target tables come in foreign-key order: parents have their predicate before their children.
  for (const table of target.tables) {
    if (!inserted.has(table.name)) continue;
    const conditions: string[] = [];
    for (const fk of table.foreignKeys) {
      if (
        fk.references.table === owners.table &&
        fk.columns.length === 1 &&
        fk.references.columns[0] === owners.idColumn
      ) {
        conditions.push(`${alias(table.name)}.${quoteIdent(fk.columns[0] as string)} = ANY($1)`);
        continue;
      }
      const parent = predicates.get(fk.references.table);
      if (!parent || fk.references.table === table.name) continue;
      const p = alias(fk.references.table, "p");
      const join = fk.columns
        .map(
          (c, i) =>
            `${p}.${quoteIdent(fk.references.columns[i] as string)} = ${alias(table.name)}.${quoteIdent(c)}`,
        )
        .join(" AND ");
      conditions.push(
        `EXISTS (SELECT 1 FROM ${qualified(target.schema, fk.references.table)} ${p} WHERE ${join} AND ${parent.replaceAll(alias(fk.references.table), p)})`,
      );
    }
    if (conditions.length > 0) predicates.set(table.name, `(${conditions.join(" OR ")})`);
  }
  return [...predicates.entries()].reverse().map(([table, predicate]) => ({ table, predicate }));
}

/** The alias a delete predicate uses for its table's row (unique per table, so nesting stays unambiguous). */
export function alias(table: string, prefix = "t"): string {
  return quoteIdent(`${prefix}:${table}`);
}

/** A table description of just some columns (what rowJsonSql renders), under a name for messages. */
export function renderTable(name: string, columns: readonly ColumnDescription[]): TableDescription {
  return { name, columns: [...columns], primaryKey: [], foreignKeys: [], uniques: [], indexes: [] };
}

/**
 * SQL turning a staged value (staged in the snapshot's type, enums as text) into the target
 * column's type: enums cast to the target's enum, other type changes the report accepted
 * (lossless widenings) cast explicitly, identical types left as they are.
 */
export function toTargetSql(expr: string, column: ColumnPlan, schema: string): string {
  const target = column.target;
  if (!target) throw new Error(`column ${column.name} is not inserted`);
  if (target.type.kind === "enum") return castSql(expr, target.type, schema);
  if (target.type.sql === column.type.sql) return expr;
  return `(${expr})::${target.type.sql}`;
}
