import type pg from "pg";
import { ConflictError, SnapshotIntegrityError, UsageError } from "../errors.js";
import { largeExpansion } from "../snapshot/expansion.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import type { ImportMode } from "./conflicts.js";
import { targetTable } from "./conflicts.js";
import {
  affectedRows,
  assertReplaceNotBlocked,
  cascadeNotAllowedError,
  describeDependents,
  findReplaceDependents,
} from "./dependents.js";
import type { ImportDeps, ImportOptions } from "./options.js";
import type { DevUserChoice } from "./owner.js";
import { snapshotContents } from "./schema-check.js";
import type { StagingCheckpoint } from "./staging.js";
import { alias, type ImportPlan } from "./table-plan.js";

/** A resumed import must use the same snapshot, mode and user as the one that was interrupted. */
export function assertResumable(
  checkpoint: StagingCheckpoint,
  sha256: string,
  mode: string,
  userRef: string,
): void {
  const mismatch: string[] = [];
  if (checkpoint.snapshotSha256 !== sha256) mismatch.push(`snapshot ${checkpoint.snapshotName}`);
  if (checkpoint.mode !== mode) mismatch.push(`--mode ${checkpoint.mode}`);
  if (checkpoint.userRef !== userRef) mismatch.push(`user ${checkpoint.userRef}`);
  if (mismatch.length > 0) {
    throw new ConflictError(
      "E_RESUME_MISMATCH",
      `The staged import was started with a different ${mismatch.join(", ")}; it cannot be resumed with these options`,
      {
        hint: "Resume with the same snapshot, --mode and user, or discard it with 'booksnap import --abort'.",
      },
    );
  }
}

/**
 * A data file declared to expand far beyond what its size suggests (a possible decompression
 * bomb: time and disk, since memory stays bounded) is announced; importing it needs
 * --allow-large-expansion or a person's yes.
 */
export async function confirmExpansion(
  manifest: SnapshotManifest,
  options: ImportOptions,
  deps: ImportDeps,
): Promise<void> {
  const expansion = largeExpansion(manifest.data);
  if (!expansion) return;
  if (options.allowLargeExpansion) {
    deps.warn?.(expansion.message);
    return;
  }
  if (!deps.confirm) {
    throw new UsageError(`Refusing to import without confirmation: ${expansion.message}`, {
      code: "E_LARGE_EXPANSION",
      hint: "If you trust this snapshot, pass --allow-large-expansion.",
      details: { fileBytes: expansion.fileBytes, uncompressedBytes: expansion.uncompressedBytes },
    });
  }
  if (!(await deps.confirm(`Warning: ${expansion.message}. Import it anyway?`))) {
    throw new UsageError("Import cancelled; nothing was changed", { code: "E_NOT_CONFIRMED" });
  }
}

/**
 * Asks before replace deletes the dev user's rows, naming what it also does to tables booksnap
 * does not copy (their foreign keys act on the delete). Refuses before anything is written when
 * such a table would block the delete. Returns whether the user accepted the effect on those
 * tables (--allow-cascade, or a confirmed question that listed them): `--yes` alone does not,
 * since it answers a question that never mentioned them.
 */
export async function confirmReplace(
  client: pg.Client,
  plan: ImportPlan,
  devUser: DevUserChoice | null,
  mode: ImportMode,
  options: ImportOptions,
  deps: ImportDeps,
): Promise<{ cascadeAcknowledged: boolean }> {
  const allowCascade = options.allowCascade ?? false;
  // keep mode without --as: the owners replaced are known only after staging (the final
  // transaction counts and checks them again); the developer's own rows are not touched.
  if (mode !== "replace" || !devUser || devUser.id === undefined)
    return { cascadeAcknowledged: allowCascade };
  const dependents = await findReplaceDependents(client, plan, [devUser.id]);
  assertReplaceNotBlocked(dependents, devUser.email);
  // A dry run changes nothing: it reports the dependents in its summary instead.
  if (options.dryRun) return { cascadeAcknowledged: allowCascade };
  const cascades = affectedRows(dependents) > 0;
  if (cascades && options.yes && !allowCascade) throw cascadeNotAllowedError(dependents, devUser.email);
  if (options.yes) return { cascadeAcknowledged: allowCascade };
  const counts: string[] = [];
  for (const { table, predicate } of plan.replaceDeletes) {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${targetTable(plan, table)} ${alias(table)} WHERE ${predicate}`,
      [[devUser.id]],
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) counts.push(`${n} ${table} row(s)`);
  }
  if (counts.length === 0) return { cascadeAcknowledged: allowCascade };
  const what = counts.join(", ");
  const also = cascades
    ? ` This also affects tables booksnap does not copy: ${describeDependents(dependents)}.`
    : "";
  const question = `Replace ${devUser.email}'s ${what} with the snapshot's?${also}`;
  if (!deps.confirm) {
    throw new UsageError(`Refusing to replace ${devUser.email}'s ${what} without confirmation.${also}`, {
      code: "E_CONFIRM_REQUIRED",
      hint: cascades
        ? "Pass --yes --allow-cascade to replace them, or --mode merge to keep them."
        : "Pass --yes to replace them, or --mode merge to keep them.",
      ...(cascades ? { details: { dependents } } : {}),
    });
  }
  if (!(await deps.confirm(question))) {
    throw new UsageError("Import cancelled; nothing was changed", { code: "E_NOT_CONFIRMED" });
  }
  return { cascadeAcknowledged: true };
}

/** Every line of the file was staged or rejected, and the counts agree with the manifest. */
export function assertCompleteRead(
  staged: StagingCheckpoint,
  manifest: SnapshotManifest,
  tableCounts: Readonly<Record<string, number>> = snapshotContents(manifest).counts,
): void {
  const unknown = staged.counts["rejected:unknown"] ?? 0;
  const problems: string[] = [];
  if (staged.lastLine !== manifest.data.lines) {
    problems.push(`read ${staged.lastLine} lines, the manifest lists ${manifest.data.lines}`);
  }
  if (unknown === 0) {
    for (const [table, count] of Object.entries(tableCounts)) {
      const seen = (staged.counts[table] ?? 0) + (staged.counts[`rejected:${table}`] ?? 0);
      if (seen !== count) problems.push(`${table}: ${seen} records in the file, the manifest lists ${count}`);
    }
  }
  if (problems.length > 0) {
    throw new SnapshotIntegrityError(
      "E_DATA_COUNTS",
      `The data file disagrees with its manifest: ${problems.join("; ")}`,
      {
        hint: "The snapshot was produced incorrectly; export it again.",
        details: { problems },
      },
    );
  }
}
