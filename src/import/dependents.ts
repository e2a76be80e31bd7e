import type pg from "pg";
import { ConflictError, UsageError } from "../errors.js";
import { targetTable } from "./conflicts.js";
import { alias, type ImportPlan } from "./table-plan.js";

/**
 * What a replace import does to tables booksnap does not manage. Replace deletes the dev user's
 * books and reading lists; every foreign key that points at them (directly, or through rows that
 * ON DELETE CASCADE removes in turn) acts on its own: CASCADE deletes rows, SET NULL / SET
 * DEFAULT changes them, RESTRICT / NO ACTION makes the delete (and the import) fail. The foreign
 * keys come from pg_catalog, so a table added by a migration booksnap never heard of is found.
 */

/** One table booksnap does not copy, and what replacing the dev user's data does to it. */
export interface DependentTable {
  /** schema.table */
  table: string;
  /** Rows deleted by ON DELETE CASCADE (directly or through other cascades). */
  deleted: number;
  /** Rows whose reference is set to NULL or its default. */
  changed: number;
  /** Rows whose RESTRICT / NO ACTION foreign key makes the delete fail. */
  blocking: number;
  /** The foreign keys involved: constraint name, referenced table and ON DELETE action. */
  via: Array<{ constraint: string; references: string; onDelete: OnDeleteAction }>;
}

export type OnDeleteAction = "cascade" | "set null" | "set default" | "restrict" | "no action";

const ACTIONS: Record<string, OnDeleteAction> = {
  c: "cascade",
  n: "set null",
  d: "set default",
  r: "restrict",
  a: "no action",
};

interface ForeignKey {
  constraint: string;
  child: number;
  parent: number;
  onDelete: OnDeleteAction;
  /** Pairs of quoted column names: child column = parent column. */
  columns: Array<[string, string]>;
}

interface Catalog {
  keys: ForeignKey[];
  /** oid → regclass text, usable in SQL as is (quoted where needed). */
  sqlName: Map<number, string>;
  /** oid → schema.table, for people. */
  displayName: Map<number, string>;
}

async function readCatalog(client: pg.Client): Promise<Catalog> {
  const { rows } = await client.query<{
    constraint: string;
    child: number;
    parent: number;
    action: string;
    child_columns: string[];
    parent_columns: string[];
  }>(
    `SELECT c.conname AS constraint, c.conrelid::int8::float8 AS child, c.confrelid::int8::float8 AS parent,
            c.confdeltype::text AS action,
            ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS child_columns,
            ARRAY(SELECT quote_ident(a.attname) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS parent_columns
       FROM pg_constraint c WHERE c.contype = 'f'`,
  );
  const keys = rows.map((r) => ({
    constraint: r.constraint,
    child: Number(r.child),
    parent: Number(r.parent),
    onDelete: ACTIONS[r.action] ?? "no action",
    columns: r.child_columns.map((c, i): [string, string] => [c, r.parent_columns[i] as string]),
  }));
  const oids = [...new Set(keys.flatMap((k) => [k.child, k.parent]))];
  const names = await client.query<{ oid: number; sql_name: string; display_name: string }>(
    `SELECT c.oid::int8::float8 AS oid, c.oid::regclass::text AS sql_name, n.nspname || '.' || c.relname AS display_name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1::oid[])`,
    [oids],
  );
  return {
    keys,
    sqlName: new Map(names.rows.map((r) => [Number(r.oid), r.sql_name])),
    displayName: new Map(names.rows.map((r) => [Number(r.oid), r.display_name])),
  };
}

/** The oids of the tables booksnap writes (the snapshot's tables, in the target's schema). */
async function managedTables(client: pg.Client, plan: ImportPlan): Promise<Map<string, number>> {
  const tables = plan.tables.filter((t) => t.inserted || t.owners);
  const { rows } = await client.query<{ name: string; oid: number }>(
    `SELECT t.name, to_regclass(t.qualified)::oid::int8::float8 AS oid FROM unnest($1::text[], $2::text[]) t(name, qualified)`,
    [tables.map((t) => t.name), tables.map((t) => targetTable(plan, t.name))],
  );
  return new Map(rows.filter((r) => r.oid !== null).map((r) => [r.name, Number(r.oid)]));
}

/**
 * Per table, a query of the rows a replace for user $1 deletes: the roots (the user's books and
 * lists) and whatever CASCADE removes from them, through every path. A cycle of cascades is cut
 * where it closes, so counts there are a lower bound.
 */
function deletedRowsSql(catalog: Catalog, roots: Map<number, string>): (table: number) => string | undefined {
  const cascades = catalog.keys.filter((k) => k.onDelete === "cascade");
  const build = (table: number, path: readonly number[]): string | undefined => {
    const conditions: string[] = [];
    const root = roots.get(table);
    if (root) conditions.push(root);
    for (const key of cascades) {
      if (key.child !== table || path.includes(key.parent)) continue;
      const parentRows = build(key.parent, [...path, table]);
      if (!parentRows) continue;
      const join = key.columns.map(([c, p]) => `p.${p} = t.${c}`).join(" AND ");
      conditions.push(`EXISTS (SELECT 1 FROM (${parentRows}) p WHERE ${join})`);
    }
    if (conditions.length === 0) return undefined;
    return `SELECT * FROM ${catalog.sqlName.get(table)} t WHERE ${conditions.join(" OR ")}`;
  };
  return (table) => build(table, []);
}

/** Tables booksnap does not manage that a replace of these owners' rows would touch, with row counts. */
export async function findReplaceDependents(
  client: pg.Client,
  plan: ImportPlan,
  ownerIds: readonly unknown[],
): Promise<DependentTable[]> {
  const [catalog, managed] = await Promise.all([readCatalog(client), managedTables(client, plan)]);
  // The rows replace deletes itself (table-plan.ts): their predicates name the row alias(table).
  const roots = new Map<number, string>();
  for (const { table, predicate } of plan.replaceDeletes) {
    const oid = managed.get(table);
    if (oid !== undefined) roots.set(oid, predicate.replaceAll(alias(table), "t"));
  }
  const managedOids = new Set(managed.values());
  const deletedRows = deletedRowsSql(catalog, roots);
  const byTable = new Map<number, DependentTable>();
  for (const key of catalog.keys) {
    if (managedOids.has(key.child)) continue;
    const parentRows = deletedRows(key.parent);
    if (!parentRows) continue;
    const entry = byTable.get(key.child) ?? {
      table: catalog.displayName.get(key.child) ?? String(key.child),
      deleted: 0,
      changed: 0,
      blocking: 0,
      via: [],
    };
    byTable.set(key.child, entry);
    entry.via.push({
      constraint: key.constraint,
      references: catalog.displayName.get(key.parent) ?? String(key.parent),
      onDelete: key.onDelete,
    });
    if (key.onDelete === "cascade") continue; // counted once per table below, over all its paths
    const join = key.columns.map(([c, p]) => `p.${p} = t.${c}`).join(" AND ");
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${catalog.sqlName.get(key.child)} t
        WHERE EXISTS (SELECT 1 FROM (${parentRows}) p WHERE ${join})`,
      [ownerIds],
    );
    const n = Number(rows[0]?.n ?? 0);
    if (key.onDelete === "set null" || key.onDelete === "set default") entry.changed += n;
    else entry.blocking += n;
  }
  for (const [oid, entry] of byTable) {
    if (!entry.via.some((v) => v.onDelete === "cascade")) continue;
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM (${deletedRows(oid)}) d`, [
      ownerIds,
    ]);
    entry.deleted = Number(rows[0]?.n ?? 0);
  }
  return [...byTable.values()].sort((a, b) => a.table.localeCompare(b.table));
}

/** "public.Review: 3 row(s) deleted; public.Loan: 2 row(s) changed (reference set to NULL)". */
export function describeDependents(dependents: readonly DependentTable[]): string {
  const parts: string[] = [];
  for (const d of dependents) {
    const effects: string[] = [];
    if (d.deleted > 0) effects.push(`${d.deleted} row(s) deleted`);
    if (d.changed > 0) {
      const how = d.via.some((v) => v.onDelete === "set default") ? "set to its default" : "set to NULL";
      effects.push(`${d.changed} row(s) changed (reference ${how})`);
    }
    if (d.blocking > 0) effects.push(`${d.blocking} row(s) block the delete`);
    if (effects.length > 0) parts.push(`${d.table}: ${effects.join(", ")}`);
  }
  return parts.join("; ");
}

/** Dependent rows a replace would delete or change (what the user must acknowledge). */
export function affectedRows(dependents: readonly DependentTable[]): number {
  return dependents.reduce((sum, d) => sum + d.deleted + d.changed, 0);
}

/** Refuses before writing when a RESTRICT / NO ACTION foreign key would make the delete fail. */
export function assertReplaceNotBlocked(dependents: readonly DependentTable[], devUser: string): void {
  const blocking = dependents.filter((d) => d.blocking > 0);
  if (blocking.length === 0) return;
  throw new ConflictError(
    "E_REPLACE_BLOCKED",
    `Replacing ${devUser}'s rows would fail: rows of tables booksnap does not manage still reference them (${describeDependents(blocking)})`,
    {
      hint: "Delete or re-point those rows first, or use --mode merge (it deletes nothing).",
      details: { dependents: blocking },
    },
  );
}

/** Refuses replace when it would delete or change rows of other tables nobody acknowledged. */
export function cascadeNotAllowedError(dependents: readonly DependentTable[], devUser: string): UsageError {
  return new UsageError(
    `Replacing ${devUser}'s rows would also affect tables booksnap does not copy: ${describeDependents(dependents)}`,
    {
      code: "E_CASCADE_NOT_ALLOWED",
      hint: "Pass --allow-cascade to accept that (see --dry-run --json for the details), or use --mode merge (it deletes nothing).",
      details: { dependents },
    },
  );
}
