import type { describeLocation } from "../db/url.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import type { ImportMode } from "./conflicts.js";
import type { DependentTable } from "./dependents.js";
import type { FinalOutcome } from "./finalize.js";
import type { ImportOptions, OwnerMode } from "./options.js";
import type { DevUserChoice } from "./owner.js";
import type { StagingCheckpoint } from "./staging.js";

/** Per-model outcome in the summary. */
export interface ModelImportCounts {
  inSnapshot: number;
  imported: number;
  /** Merge: records not inserted (already present + conflicting). */
  skipped: number;
  /** Merge: records whose identity key matched one of the dev user's rows (or a row of an unowned table). */
  alreadyPresent: number;
  /** Merge: records whose identity key matched another owner's row, or that reference such a record. */
  conflicting: number;
  /**
   * Records not inserted as rows of their own because they were combined into another row: by a
   * per-owner rule (e.g. a second FAVORITES_ALL list of the same owner), or as a duplicate that
   * only combining (or collapsing owners) created (e.g. the same book twice in a combined list).
   */
  combined: number;
  /** Records whose position column was renumbered because their parent row was combined. */
  renumbered: number;
  rejected: number;
}

/** One per-owner rule's effect: rows of `table` combined so that the rule holds. */
export interface CombinedRows {
  /** The rule's name, e.g. "one FAVORITES_ALL reading list per owner". */
  rule: string;
  table: string;
  /** Rows kept (new or already in the target) that others were combined into. */
  into: number;
  /** Snapshot records combined into them. */
  combined: number;
}

export interface ImportSummary {
  ok: true;
  dryRun: boolean;
  mode: ImportMode;
  /** collapse or keep (--owners). */
  owners: OwnerMode;
  /** keep mode: the snapshot owner (--as) whose rows went to the dev user; null otherwise. */
  as: string | null;
  snapshot: string;
  /** host:port/database */
  target: string;
  /** The dev user; null in keep mode without --as (every owner got a user of its own). */
  user: { id: number; email: string; created: boolean } | null;
  /** Per-owner rules that needed rows combined (empty when the snapshot already kept them). */
  combined: CombinedRows[];
  models: Record<string, ModelImportCounts>;
  /** Dev user's rows removed by replace mode. */
  deleted: Record<string, number>;
  /** Rows of tables booksnap does not copy that replace deleted or changed (would, in a dry run). */
  dependents: DependentTable[];
  rejected: { total: number; validation: number; constraint: number };
  rejectsFile: string | null;
  /** False when the rejects exceed --max-rejects: a real run would refuse to commit (dry runs report it). */
  committable: boolean;
  retried: number;
  batches: number;
  /** Line after which this run continued (0 = from the start). */
  resumedFromLine: number;
  verification: FinalOutcome["verification"];
  /** Where the time went: streaming into staging, and the final transaction (checks, insert, verify, commit). */
  timings: { stagingMs: number; finalMs: number };
  durationMs: number;
  rowsPerSecond: number;
}

export function buildSummary(input: {
  options: ImportOptions;
  mode: ImportMode;
  paths: { manifestPath: string };
  location: ReturnType<typeof describeLocation>;
  devUser: DevUserChoice | null;
  manifest: SnapshotManifest;
  /** Records per snapshot table, as the manifest declares them. */
  counts: Readonly<Record<string, number>>;
  staged: StagingCheckpoint;
  outcome: FinalOutcome;
  rejectsPath: string;
  retried: number;
  resumedFromLine: number;
  timings: ImportSummary["timings"];
  startedAt: Date;
  now: Date;
}): ImportSummary {
  const { outcome, staged, manifest } = input;
  const models: Record<string, ModelImportCounts> = {};
  for (const [model, count] of Object.entries(input.counts)) {
    models[model] = {
      inSnapshot: count,
      imported: outcome.planned.inserted[model] ?? 0,
      skipped: outcome.planned.skipped[model] ?? 0,
      alreadyPresent: outcome.planned.existing[model] ?? 0,
      conflicting: outcome.planned.conflicting[model] ?? 0,
      combined: outcome.planned.combined[model] ?? 0,
      renumbered: outcome.planned.renumbered[model] ?? 0,
      rejected: (staged.counts[`rejected:${model}`] ?? 0) + (outcome.planned.constraintRejected[model] ?? 0),
    };
  }
  const { total, validation } = outcome.rejects;
  const durationMs = Math.max(1, input.now.getTime() - input.startedAt.getTime());
  return {
    ok: true,
    dryRun: input.options.dryRun ?? false,
    mode: input.mode,
    owners: input.options.owners ?? "collapse",
    as: input.options.as ?? null,
    snapshot: input.paths.manifestPath,
    target: `${input.location.host}:${input.location.port}/${input.location.database}`,
    user:
      outcome.devUserId === null || input.devUser === null
        ? null
        : { id: outcome.devUserId, email: input.devUser.email, created: outcome.createdUser },
    combined: outcome.combined,
    models,
    deleted: outcome.deleted,
    dependents: outcome.dependents,
    rejected: { total, validation, constraint: total - validation },
    rejectsFile: total > 0 ? input.rejectsPath : null,
    committable: !outcome.tooManyRejects,
    retried: input.retried,
    batches: staged.batches,
    resumedFromLine: input.resumedFromLine,
    verification: outcome.verification,
    timings: input.timings,
    durationMs,
    rowsPerSecond: Math.round((manifest.data.lines / durationMs) * 1000),
  };
}
