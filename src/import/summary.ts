import type { describeLocation } from "../db/url.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import type { ImportMode } from "./conflicts.js";
import type { DependentTable } from "./dependents.js";
import type { FinalOutcome } from "./finalize.js";
import type { ImportOptions } from "./options.js";
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
  rejected: number;
}

export interface ImportSummary {
  ok: true;
  dryRun: boolean;
  mode: ImportMode;
  snapshot: string;
  /** host:port/database */
  target: string;
  user: { id: number; email: string; created: boolean };
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
  devUser: DevUserChoice;
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
      rejected: (staged.counts[`rejected:${model}`] ?? 0) + (outcome.planned.constraintRejected[model] ?? 0),
    };
  }
  const { total, validation } = outcome.rejects;
  const durationMs = Math.max(1, input.now.getTime() - input.startedAt.getTime());
  return {
    ok: true,
    dryRun: input.options.dryRun ?? false,
    mode: input.mode,
    snapshot: input.paths.manifestPath,
    target: `${input.location.host}:${input.location.port}/${input.location.database}`,
    user: { id: outcome.devUserId, email: input.devUser.email, created: outcome.createdUser },
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
