import type pg from "pg";
import type { SnapshotManifestV1 as SnapshotManifest } from "../snapshot/manifest.js";
import { quoteIdent } from "../snapshot/models.js";
import { type ImportMode, type PlannedCounts, plannedCounts, resolveConflicts } from "./conflicts.js";
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
import {
  CHECKPOINT_TABLE,
  insertedRecordsSql,
  REJECT_TABLE,
  STAGED_MODELS,
  stagedFields,
} from "./staging.js";
import { type ModelVerification, verifyImported } from "./verify-import.js";

export interface FinalPlan {
  mode: ImportMode;
  devUser: DevUserChoice;
  maxRejects: number;
  dryRun: boolean;
  /** The user accepted replace's effect on tables booksnap does not copy (--allow-cascade or the prompt). */
  cascadeAcknowledged: boolean;
  manifest: SnapshotManifest;
  /** Checkpoint counts after staging: validated records and validation rejects per model. */
  stagedCounts: Record<string, number>;
  droppedFields: Record<string, string[]>;
  /** Bytes of the snapshot's longest line: bounds the rows read back per cursor fetch. */
  longestLineBytes: number;
  /** Dead-letter file, written (streamed from the reject table) when anything was rejected. */
  deadLetter: DeadLetterFile;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  now: Date;
}

export interface FinalOutcome {
  devUserId: number;
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

function insertSql(model: string, dropped: readonly string[]): string {
  const spec = STAGED_MODELS.find((m) => m.name === model);
  if (!spec) throw new Error(`not a staged model: ${model}`);
  const fields = stagedFields(spec).filter((f) => !dropped.includes(f.name));
  const values = fields.map((f) => {
    if (f.name === "ownerId") return "$1::int";
    if (f.name === "bookId") return "et.book_id";
    if (f.name === "readingListId") return "et.list_id";
    if (f.type.kind === "enum") return `s.${quoteIdent(f.name)}::${quoteIdent(f.type.pgType)}`;
    return `s.${quoteIdent(f.name)}`;
  });
  return `INSERT INTO ${quoteIdent(spec.table)} (id, ${fields.map((f) => quoteIdent(f.name)).join(", ")})
          SELECT m.new_id, ${values.join(", ")} FROM ${insertedRecordsSql(spec.name)}
           ORDER BY m.new_id`;
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
    // Writers wait until we are done; readers (the app) keep seeing the old data meanwhile.
    await client.query(`LOCK TABLE "Book", "ReadingList", "BookInReadingList" IN SHARE ROW EXCLUSIVE MODE`);
    const createdUser = plan.devUser.id === undefined;
    const devUserId = plan.devUser.id ?? (await createDevUser(client, plan.devUser.email, plan.now));
    await resolveConflicts(client, plan.mode, devUserId);
    const planned = await plannedCounts(client);
    const rejectCount = Number(
      (await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${REJECT_TABLE}`)).rows[0]?.n ?? 0,
    );
    const rejects =
      rejectCount > 0
        ? await plan.deadLetter.write(streamRejects(client, rowsPerFetch(plan.longestLineBytes)))
        : { total: 0, validation: 0 };
    const outcome: FinalOutcome = {
      devUserId,
      createdUser,
      planned,
      deleted: { Book: 0, ReadingList: 0, BookInReadingList: 0 },
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
      // Counted again under the lock, right before the delete: this is what actually happens.
      outcome.dependents = (await findReplaceDependents(client, devUserId)).filter(
        (d) => d.deleted + d.changed + d.blocking > 0,
      );
      assertReplaceNotBlocked(outcome.dependents, plan.devUser.email);
      if (affectedRows(outcome.dependents) > 0 && !plan.dryRun && !plan.cascadeAcknowledged) {
        throw cascadeNotAllowedError(outcome.dependents, plan.devUser.email);
      }
      const entries = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM "BookInReadingList" e
          WHERE e."bookId" IN (SELECT id FROM "Book" WHERE "ownerId" = $1)
             OR e."readingListId" IN (SELECT id FROM "ReadingList" WHERE "ownerId" = $1)`,
        [devUserId],
      );
      outcome.deleted.BookInReadingList = Number(entries.rows[0]?.n ?? 0);
      outcome.deleted.ReadingList =
        (await client.query(`DELETE FROM "ReadingList" WHERE "ownerId" = $1`, [devUserId])).rowCount ?? 0;
      outcome.deleted.Book =
        (await client.query(`DELETE FROM "Book" WHERE "ownerId" = $1`, [devUserId])).rowCount ?? 0;
    }
    for (const spec of STAGED_MODELS) {
      const sql = insertSql(spec.name, plan.droppedFields[spec.name] ?? []);
      await client.query(sql, spec.name === "BookInReadingList" ? [] : [devUserId]);
    }
    const partial: Record<string, boolean> = {};
    const unknownRejects = (plan.stagedCounts["rejected:unknown"] ?? 0) > 0;
    for (const spec of STAGED_MODELS) {
      partial[spec.name] =
        unknownRejects ||
        (plan.stagedCounts[`rejected:${spec.name}`] ?? 0) > 0 ||
        (planned.constraintRejected[spec.name] ?? 0) > 0 ||
        (planned.skipped[spec.name] ?? 0) > 0;
    }
    outcome.verification = await verifyImported(client, {
      manifest: plan.manifest,
      devUserId,
      droppedFields: plan.droppedFields,
      partial,
      fetchRows: rowsPerFetch(plan.longestLineBytes),
    });
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
