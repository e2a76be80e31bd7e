import type pg from "pg";
import type { PerOwnerRule } from "../config/project-config.js";
import { sessionSettingsSql } from "../schema/values.js";
import { format1Record } from "../snapshot/format1.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import {
  applicableRules,
  combinedByRules,
  type ImportMode,
  type PlannedCounts,
  plannedCounts,
  replacedOwnersSql,
  resolveConflicts,
  targetTable,
  targetValueSql,
} from "./conflicts.js";
import { rowsPerFetch } from "./cursor.js";
import type { DeadLetterFile } from "./dead-letter-file.js";
import {
  affectedRows,
  assertReplaceNotBlocked,
  cascadeNotAllowedError,
  type DependentTable,
  findReplaceDependents,
} from "./dependents.js";
import { createDevUser, type DevUserChoice } from "./owner.js";
import { type RejectsSummary, streamRejects } from "./rejects.js";
import type { SnapshotContents } from "./schema-check.js";
import { quoteIdent, quoteLiteral } from "./sql-names.js";
import { CHECKPOINT_TABLE, fateTable, REJECT_TABLE, resolvedTable, stagingTable } from "./staging.js";
import type { CombinedRows } from "./summary.js";
import { alias, type ImportPlan, type TablePlan } from "./table-plan.js";
import { type ManifestCheck, type ModelVerification, verifyImported, verifyRules } from "./verify-import.js";

export interface FinalPlan {
  mode: ImportMode;
  /** The dev user; null in keep mode without --as. */
  devUser: DevUserChoice | null;
  /** keep mode: the snapshot owner that becomes the dev user (--as). */
  asOwner: string | undefined;
  /** Per-owner rules from the project config (combined on import, checked before commit). */
  rules: readonly PerOwnerRule[];
  maxRejects: number;
  dryRun: boolean;
  /** The user accepted replace's effect on tables booksnap does not copy (--allow-cascade or the prompt). */
  cascadeAcknowledged: boolean;
  manifest: SnapshotManifest;
  /** What happens to each snapshot table (built from the snapshot's and the target's descriptions). */
  plan: ImportPlan;
  /** The manifest's counts, digests and line rendering (format 1 or 2). */
  contents: SnapshotContents;
  /** Tables copied column for column (no drop, no cast). */
  exactTables: ReadonlySet<string>;
  castColumns: Readonly<Record<string, ReadonlySet<string>>>;
  /** Checkpoint counts after staging: validated records and validation rejects per table. */
  stagedCounts: Readonly<Record<string, number>>;
  /** Bytes of the snapshot's longest line: bounds the rows read back per cursor fetch. */
  longestLineBytes: number;
  /** Dead-letter file, written (streamed from the reject table) when anything was rejected. */
  deadLetter: DeadLetterFile;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  now: Date;
}

export interface FinalOutcome {
  /** Null in keep mode without --as: no dev user was involved. */
  devUserId: number | null;
  /** Per-owner rules that needed rows combined. */
  combined: CombinedRows[];
  createdUser: boolean;
  planned: PlannedCounts;
  /** Rows of the dev user removed by replace mode (entries include cascaded ones). */
  deleted: Record<string, number>;
  /** Tables booksnap does not copy whose rows replace deleted or changed (or would, in a dry run). */
  dependents: DependentTable[];
  /** Counts and first of the rejected records (all of them are in plan.deadLetter). */
  rejects: RejectsSummary;
  /** Rejects exceed --max-rejects: rolled back, nothing changed. */
  tooManyRejects: boolean;
  verification: Record<string, ModelVerification>;
  committed: boolean;
}

/** Per sort/hash node of the final transaction; one import runs at a time (advisory lock). */
const FINAL_WORK_MEM = "256MB";

/** INSERT … SELECT of one table's records to insert, in target-key order. */
function insertSql(plan: ImportPlan, table: TablePlan, devSql: string): string {
  const columns = table.columns.filter((c) => c.target);
  const values = columns.map((c) =>
    c.name === table.key?.column ? "f.new" : targetValueSql(c, devSql, plan.schema),
  );
  const refs = columns.some((c) => c.reference?.kind === "table")
    ? ` JOIN ${resolvedTable(table.name)} r ON r.line = s.line`
    : "";
  // Keys are written by the import (new ids from the sequence, or the snapshot's own).
  const overriding = columns.some((c) => c.target?.identity === "always") ? " OVERRIDING SYSTEM VALUE" : "";
  return `INSERT INTO ${targetTable(plan, table.name)} (${columns.map((c) => quoteIdent(c.name)).join(", ")})${overriding}
          SELECT ${values.join(", ")}
            FROM ${stagingTable(table.name)} s JOIN ${fateTable(table.name)} f ON f.line = s.line AND f.status = 'insert'${refs}
           ORDER BY ${table.key ? "f.new" : "s.line"}`;
}

/**
 * Tables imported whole and unchanged: no record of them rejected (nor any line of unknown
 * table) or left out, every column copied as is. Their imported rows must hash to the manifest's digest.
 */
function manifestChecks(plan: FinalPlan, planned: PlannedCounts): Map<string, ManifestCheck> {
  const checks = new Map<string, ManifestCheck>();
  if ((plan.stagedCounts["rejected:unknown"] ?? 0) > 0) return checks;
  for (const table of plan.plan.tables) {
    const name = table.name;
    const digest = plan.contents.digests[name];
    const count = plan.contents.counts[name];
    if (!table.inserted || !plan.exactTables.has(name) || digest === undefined || count === undefined)
      continue;
    // The digest query finds imported rows through the single-column key's map (composite keys:
    // per-record comparison only).
    if (!table.key || (plan.stagedCounts[`rejected:${name}`] ?? 0) > 0) continue;
    if (
      (planned.constraintRejected[name] ?? 0) > 0 ||
      (planned.skipped[name] ?? 0) > 0 ||
      (planned.renumbered[name] ?? 0) > 0
    )
      continue;
    checks.set(name, {
      expected: { count, digest },
      renderLine: (alias) => plan.contents.renderLine(name, alias, plan.castColumns[name]),
    });
  }
  return checks;
}

/** The dev user's id as an SQL literal of the owners key's type. */
function devUserSql(plan: ImportPlan, devUserId: number | null): string {
  if (devUserId === null || !plan.owners) return "NULL";
  const owners = plan.tables.find((t) => t.name === plan.owners?.table);
  const key = owners?.columns.find((c) => c.name === plan.owners?.idColumn);
  const type = key?.target?.type.sql ?? "bigint";
  return `${quoteLiteral(String(devUserId))}::${type}`;
}

/**
 * The one transaction that changes visible data: lock, constraint checks and id assignment in
 * SQL, (replace) delete the dev user's books and lists, INSERT … SELECT from staging, verify
 * every imported record, then COMMIT — or ROLLBACK for a dry run, too many rejects, or any
 * mismatch. The dev database shows the old data or the new, never a mix.
 */
export async function finalizeImport(
  client: pg.Client,
  plan: FinalPlan,
  beforeCommit?: (outcome: FinalOutcome) => void,
): Promise<FinalOutcome> {
  await client.query("BEGIN");
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.trunc(plan.statementTimeoutMs)}`);
    await client.query(`SET LOCAL lock_timeout = ${Math.trunc(plan.lockTimeoutMs)}`);
    // The checks and the verification sort and hash whole staging tables of wide rows: keep that in memory.
    await client.query(`SET LOCAL work_mem = '${FINAL_WORK_MEM}'`);
    // Values are cast, compared and rendered exactly as export rendered them (format 2's settings).
    await client.query(sessionSettingsSql({ local: true }));
    const tables = plan.plan.tables.filter((t) => t.inserted);
    // Writers wait until we are done; readers (the app) keep seeing the old data meanwhile.
    if (tables.length > 0) {
      await client.query(
        `LOCK TABLE ${tables.map((t) => targetTable(plan.plan, t.name)).join(", ")} IN SHARE ROW EXCLUSIVE MODE`,
      );
    }
    const devUser = plan.devUser;
    const createdUser = devUser !== null && devUser.id === undefined;
    const devUserId = devUser
      ? (devUser.id ?? (await createDevUser(client, plan.plan, devUser.email, plan.now)))
      : null;
    const devSql = devUserSql(plan.plan, devUserId);
    const rules = applicableRules(plan.plan, plan.rules);
    const renumbered = await resolveConflicts({
      client,
      plan: plan.plan,
      mode: plan.mode,
      devSql,
      asOwner: plan.asOwner,
      rules,
    });
    const planned = await plannedCounts(client, plan.plan, renumbered);
    const combined = await combinedByRules(client, plan.plan, rules);
    const rejectCount = Number(
      (await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${REJECT_TABLE}`)).rows[0]?.n ?? 0,
    );
    const rejects =
      rejectCount > 0
        ? await plan.deadLetter.write(
            streamRejects(
              client,
              plan.plan,
              plan.contents.formatVersion === 1 ? format1Record : (_table, row) => row,
              rowsPerFetch(plan.longestLineBytes),
            ),
          )
        : { total: 0, validation: 0 };
    const outcome: FinalOutcome = {
      devUserId,
      combined,
      createdUser,
      planned,
      deleted: Object.fromEntries(plan.plan.replaceDeletes.map((d) => [d.table, 0])),
      dependents: [],
      rejects,
      tooManyRejects: rejectCount > plan.maxRejects,
      verification: {},
      committed: false,
    };
    if (outcome.tooManyRejects && !plan.dryRun) {
      await client.query("ROLLBACK");
      return outcome;
    }
    if (plan.mode === "replace") {
      // The owners whose rows are replaced: the dev user (collapse), the matched owners (keep).
      const ownerIds = (
        await client.query<{ ids: unknown[] }>(`SELECT ${replacedOwnersSql(plan.plan, devSql)} AS ids`)
      ).rows[0]?.ids;
      const whose = devUser?.email ?? "the snapshot's owners";
      // Counted again under the lock, right before the delete: this is what actually happens.
      outcome.dependents = (await findReplaceDependents(client, plan.plan, ownerIds ?? [])).filter(
        (d) => d.deleted + d.changed + d.blocking > 0,
      );
      assertReplaceNotBlocked(outcome.dependents, whose);
      if (affectedRows(outcome.dependents) > 0 && !plan.dryRun && !plan.cascadeAcknowledged) {
        throw cascadeNotAllowedError(outcome.dependents, whose);
      }
      // Children first: a row is deleted while the rows its predicate looks at are still there.
      for (const { table, predicate } of plan.plan.replaceDeletes) {
        const deleted = await client.query(
          `DELETE FROM ${targetTable(plan.plan, table)} ${alias(table)} WHERE ${predicate}`,
          [ownerIds ?? []],
        );
        outcome.deleted[table] = deleted.rowCount ?? 0;
      }
    }
    const insertedRows: Record<string, number> = {};
    for (const table of tables) {
      insertedRows[table.name] = (await client.query(insertSql(plan.plan, table, devSql))).rowCount ?? 0;
    }
    outcome.verification = await verifyImported(
      client,
      plan.plan,
      devSql,
      insertedRows,
      manifestChecks(plan, planned),
    );
    await verifyRules(client, plan.plan, rules);
    if (plan.dryRun) {
      await client.query("ROLLBACK");
      return outcome;
    }
    await client.query(`UPDATE ${CHECKPOINT_TABLE} SET finished = true, updated_at = now()`);
    outcome.committed = true;
    beforeCommit?.(outcome);
    await client.query("COMMIT");
    return outcome;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
