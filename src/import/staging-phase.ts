import type pg from "pg";
import { ConflictError } from "../errors.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import { classifyImportError } from "./classify.js";
import { loadIntoStaging, type StagingLoadDeps, type StagingLoadOptions } from "./load-staging.js";
import { assertCompleteRead, assertResumable } from "./preflight.js";
import type { ImportSession } from "./session.js";
import { createStaging, dropStaging, readCheckpoint, type StagingCheckpoint } from "./staging.js";
import type { ImportPlan } from "./table-plan.js";

/** What identifies an import for --resume: the same snapshot, mode and dev user. */
export interface StagingIdentity {
  snapshotSha256: string;
  snapshotName: string;
  mode: string;
  /** --user / --create-user as resolved (id, or create:<email>). */
  userRef: string;
}

/**
 * The staged import left in the target, if it is to be resumed. A finished one is dropped. An
 * unfinished one is resumed with --resume (or when a person says so on a TTY) and must match
 * the identity; otherwise the run stops (exit 8) and the staging data stays.
 */
export async function leftoverToResume(
  client: pg.Client,
  identity: StagingIdentity,
  resume: boolean,
  confirm: ((question: string) => Promise<boolean>) | undefined,
): Promise<StagingCheckpoint | undefined> {
  const checkpoint = await readCheckpoint(client);
  if (!checkpoint) return undefined;
  if (checkpoint.finished) {
    await dropStaging(client);
    return undefined;
  }
  if (!resume) {
    const question = `An interrupted import of ${checkpoint.snapshotName} stopped after line ${checkpoint.lastLine}. Resume it?`;
    if (!(confirm && (await confirm(question)))) {
      throw new ConflictError(
        "E_STAGING_LEFTOVER",
        `An interrupted import of ${checkpoint.snapshotName} (line ${checkpoint.lastLine}) is still staged in the target`,
        {
          hint: "Run again with --resume to continue it, or 'booksnap import --abort' to discard it.",
          details: { snapshot: checkpoint.snapshotName, lastLine: checkpoint.lastLine },
        },
      );
    }
  }
  assertResumable(checkpoint, identity.snapshotSha256, identity.mode, identity.userRef);
  return checkpoint;
}

/** The checkpoint to stage from: the resumed one, or a new, empty staging area. */
export async function beginStaging(
  client: pg.Client,
  resumed: StagingCheckpoint | undefined,
  identity: StagingIdentity,
  startedAt: Date,
  plan: Pick<ImportPlan, "tables">,
): Promise<StagingCheckpoint> {
  if (resumed) return resumed;
  const fresh = { ...identity, counts: {}, startedAt: startedAt.toISOString() };
  await createStaging(client, fresh, plan);
  return { ...fresh, lastLine: 0, batches: 0, finished: false };
}

/** The checkpoint after staging, and the longest line of the file (bounds later reads by bytes). */
export type StagedCheckpoint = StagingCheckpoint & { longestLineBytes: number };

/**
 * Streams the rest of the data file into staging in resumable batches, then checks every line
 * was read and the counts agree with the manifest. Returns the final checkpoint.
 */
export async function runStagingPhase(
  session: ImportSession,
  checkpoint: StagingCheckpoint,
  manifest: SnapshotManifest,
  tableCounts: Readonly<Record<string, number>>,
  options: Omit<StagingLoadOptions, "maxUncompressedBytes" | "totalLines">,
  deps: StagingLoadDeps,
): Promise<StagedCheckpoint> {
  let staged: StagedCheckpoint;
  try {
    const loaded = await loadIntoStaging(
      session,
      checkpoint,
      {
        ...options,
        maxUncompressedBytes: manifest.data.uncompressedBytes,
        totalLines: manifest.data.lines,
      },
      deps,
    );
    staged = { ...loaded.checkpoint, longestLineBytes: loaded.longestLineBytes };
  } catch (error) {
    throw classifyImportError(error, "Loading the snapshot into staging failed", {});
  }
  assertCompleteRead(staged, manifest, tableCounts);
  return staged;
}
