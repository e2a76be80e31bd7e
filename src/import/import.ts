/**
 * `booksnap import`: the core. Documented behaviour (the CLI and README describe the same):
 *
 * - Order: manifest (checksum, format version) → target guard → data file size + SHA-256 →
 *   advisory lock → schema check → dev user → leftover-checkpoint check → confirmation →
 *   staging → final transaction. Nothing is written before the integrity and guard checks pass.
 * - Owner remap: every book and reading list goes to ONE dev user; snapshot User records are
 *   validated but never inserted (all owners collapse onto the dev user). Every id is new, taken
 *   from the target's sequences; list entries point at the remapped book and list.
 * - replace (default): the dev user's books and lists (and, by the schema's cascade, entries
 *   pointing at them) are deleted and the snapshot's inserted, in the same transaction.
 * - merge: existing rows stay. A snapshot book whose isbn13 exists in the target is skipped
 *   (counted); its entries use the existing book when it is the dev user's, else are skipped. A
 *   snapshot list with the same (title, type, year) as one of the dev user's lists is merged into
 *   it; an entry whose (book, list) pair exists already is skipped.
 * - Rejects: invalid records (zod), records that would violate a constraint (isbn10/isbn13
 *   used by another user's book; duplicate id, isbn or (book, list) pair inside the snapshot:
 *   the first occurrence wins) and records referencing a rejected or missing record go to the
 *   dead-letter file with line, model, reason, category and the record. More than --max-rejects
 *   → nothing is committed (exit 6).
 * - Schema drift (--schema-drift tolerate): snapshot fields the target lacks are dropped; target
 *   columns the snapshot lacks must be nullable or have a default; anything else still refuses.
 * - Verification, before COMMIT: per model, the imported rows (ids turned back into source ids)
 *   are digested and compared with the manifest's digest; when records were rejected/skipped or
 *   fields dropped, with the staged records instead, field by field. Counts, every reference and
 *   the owner of every imported row are checked. A mismatch rolls back (exit 7).
 * - Staging (schema booksnap_staging, UNLOGGED tables) survives interrupts and connection loss
 *   for --resume; it is dropped after success, a dry run, too many rejects or a verification
 *   failure, and by `booksnap import --abort`.
 */
import { rm } from "node:fs/promises";
import type pg from "pg";
import type { ProgressCallback } from "../cli/progress.js";
import {
  type ConnectionSettings,
  connect,
  disconnect,
  isTransientError,
  type TlsMode,
} from "../db/connect.js";
import { describeLocation } from "../db/url.js";
import {
  ConflictError,
  ConstraintError,
  InterruptedError,
  SnapshotIntegrityError,
  UsageError,
  ValidationError,
} from "../errors.js";
import { MODEL_NAMES } from "../snapshot/models.js";
import { resolveSnapshotPaths } from "../snapshot/paths.js";
import { checkDataFile, loadManifest } from "../verify/data-file.js";
import { classifyImportError } from "./classify.js";
import type { ImportMode } from "./conflicts.js";
import { type FinalOutcome, finalizeImport } from "./finalize.js";
import { loadIntoStaging } from "./load-staging.js";
import { chooseDevUser, type DevUserChoice, type TargetUser } from "./owner.js";
import { writeRejectsFile } from "./rejects.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetries } from "./retry.js";
import { checkTargetSchema, type SchemaDriftPolicy } from "./schema-check.js";
import { ImportSession } from "./session.js";
import {
  acquireImportLock,
  createStaging,
  dropStaging,
  readCheckpoint,
  type StagingCheckpoint,
} from "./staging.js";
import { assertSafeTarget } from "./target-guard.js";

/** application_name of the importer's working session (pg_stat_activity). */
export const IMPORT_APPLICATION_NAME = "booksnap-import";
/** The session that only holds the import's advisory lock. */
export const IMPORT_LOCK_APPLICATION_NAME = "booksnap-import-lock";
/** Lines per staging batch until the benchmark picks a better one (issue 4). */
export const DEFAULT_BATCH_SIZE = 5000;

export interface ImportOptions {
  /** Manifest path, data file path, or the shared path without extensions. */
  snapshot: string;
  /** Target database URL (may hold a password; never printed). */
  targetUrl: string;
  /** Allow a target that is not loopback or private-network. */
  allowRemoteTarget?: boolean;
  /** replace (default): the dev user's books and lists become exactly the snapshot's; merge: add what is missing. */
  mode?: ImportMode;
  /** Dev user by email or id. */
  user?: string;
  /** Create this dev user if it does not exist. */
  createUser?: string;
  /** Skip the confirmation before replacing existing dev data. */
  yes?: boolean;
  /** Run everything, including constraint checks in the database, then roll back. */
  dryRun?: boolean;
  /** Continue from the staging checkpoint of an interrupted import. */
  resume?: boolean;
  /** Rejected records allowed while still committing (default 0). */
  maxRejects?: number;
  /** Lines per staging batch transaction. */
  batchSize?: number;
  /** Dead-letter file (default <name>.rejects.ndjson next to the snapshot). */
  rejectsPath?: string;
  /** What to do when the target's schema differs from the snapshot's (default refuse). */
  schemaDrift?: SchemaDriftPolicy;
  retry?: Partial<RetryPolicy>;
  /** statement_timeout for each batch (ms); the final transaction gets 20× this. */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  connectTimeoutMs?: number;
  tls?: TlsMode;
  /** Passphrase for an encrypted snapshot. */
  passphrase?: string;
}

export interface ImportDeps {
  now: () => Date;
  onProgress?: ProgressCallback;
  /** Ctrl-C / SIGTERM: stop after the current batch, keeping the checkpoint. */
  signal: AbortSignal;
  /** Asks a yes/no question on a TTY; absent when nobody can answer. */
  confirm?: (question: string) => Promise<boolean>;
  /** Lets a person pick the dev user on a TTY; absent when nobody can answer. */
  chooseUser?: (users: TargetUser[]) => Promise<TargetUser>;
  /** Warnings (retries, cleanup failures). */
  warn?: (message: string) => void;
}

/** Per-model outcome in the summary. */
export interface ModelImportCounts {
  inSnapshot: number;
  imported: number;
  skipped: number;
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

/** Connection settings of the importer's sessions. */
function settingsFor(options: ImportOptions, applicationName: string): ConnectionSettings {
  return {
    url: options.targetUrl,
    applicationName,
    readOnly: false,
    tls: options.tls ?? "auto",
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    statementTimeoutMs: 0,
    lockTimeoutMs: 0,
  };
}

/**
 * Imports a snapshot into a development database: integrity → target guard → schema check →
 * dev user → staging in resumable batches → one final verified transaction. See docs/import.md.
 */
export async function importSnapshot(options: ImportOptions, deps: ImportDeps): Promise<ImportSummary> {
  const startedAt = deps.now();
  const mode = options.mode ?? "replace";
  const paths = resolveSnapshotPaths(options.snapshot);
  const manifest = await loadManifest(paths);
  assertSafeTarget(options.targetUrl, manifest, options.allowRemoteTarget ?? false);
  await checkDataFile(paths.dataPath, manifest.data);
  if (manifest.data.encryption && options.passphrase === undefined) {
    throw new UsageError("The snapshot is encrypted; a passphrase is needed", {
      code: "E_NO_PASSPHRASE",
      hint: "Set BOOKSNAP_PASSPHRASE (or name another variable with --passphrase-env).",
    });
  }
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  const rejectsPath = options.rejectsPath ?? paths.rejectsPath;
  const location = describeLocation(options.targetUrl);

  let lockClient: pg.Client | undefined;
  const session = new ImportSession(settingsFor(options, IMPORT_APPLICATION_NAME));
  let keepStaging = true;
  try {
    lockClient = await connect(settingsFor(options, IMPORT_LOCK_APPLICATION_NAME));
    await acquireImportLock(lockClient);
    const client = await session.open();
    const schema = await checkTargetSchema(client, manifest, options.schemaDrift ?? "refuse");
    const devUser = await chooseDevUser(
      client,
      { user: options.user, createUser: options.createUser },
      deps.chooseUser,
    );
    const userRef = devUser.create ? `create:${devUser.email}` : String(devUser.id);

    let checkpoint = await readCheckpoint(client);
    if (checkpoint?.finished) {
      await dropStaging(client);
      checkpoint = undefined;
    }
    let resume = options.resume ?? false;
    if (checkpoint && !resume) {
      const question = `An interrupted import of ${checkpoint.snapshotName} stopped after line ${checkpoint.lastLine}. Resume it?`;
      if (deps.confirm && (await deps.confirm(question))) resume = true;
      else {
        keepStaging = true;
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
    if (checkpoint && resume) assertResumable(checkpoint, manifest.data.sha256, mode, userRef);
    await confirmReplace(client, devUser, mode, options, deps);

    const resumedFromLine = checkpoint?.lastLine ?? 0;
    if (!checkpoint) {
      const fresh = {
        snapshotSha256: manifest.data.sha256,
        snapshotName: paths.name,
        mode,
        userRef,
        counts: {},
        startedAt: startedAt.toISOString(),
      };
      await createStaging(client, fresh);
      checkpoint = { ...fresh, lastLine: 0, batches: 0, finished: false };
    }

    let retried = 0;
    const onRetry = (error: unknown, attempt: number, where: string) => {
      retried += 1;
      deps.warn?.(`${where} failed (${(error as Error).message}); retry ${attempt} of ${retry.maxRetries}`);
    };
    let staged: StagingCheckpoint;
    const stagingStarted = deps.now().getTime();
    try {
      const loaded = await loadIntoStaging(
        session,
        checkpoint,
        {
          dataPath: paths.dataPath,
          ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
          maxUncompressedBytes: manifest.data.uncompressedBytes,
          batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
          statementTimeoutMs,
          lockTimeoutMs,
          retry,
          totalLines: manifest.data.lines,
        },
        {
          signal: deps.signal,
          ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
          onRetry: (error, attempt, batch) => onRetry(error, attempt, `batch ${batch}`),
        },
      );
      staged = loaded.checkpoint;
    } catch (error) {
      throw classifyImportError(error, "Loading the snapshot into staging failed", {});
    }
    assertCompleteRead(staged, manifest);
    const finalStarted = deps.now().getTime();
    const stagingMs = finalStarted - stagingStarted;

    // The final transaction: retried as a whole on transient failures (it rolled back).
    let committedOutcome: FinalOutcome | undefined;
    const outcome = await withRetries(
      async () => {
        if (committedOutcome) {
          // The COMMIT was sent before the connection broke: did it land?
          const after = await readCheckpoint(session.client);
          if (after?.finished) return committedOutcome;
          committedOutcome = undefined;
        }
        return finalizeImport(
          session.client,
          {
            mode,
            devUser,
            maxRejects: options.maxRejects ?? 0,
            dryRun: options.dryRun ?? false,
            manifest,
            stagedCounts: staged.counts,
            droppedFields: schema.droppedFields,
            statementTimeoutMs: statementTimeoutMs * 20,
            lockTimeoutMs,
            now: deps.now(),
          },
          (pending) => {
            committedOutcome = pending;
          },
        );
      },
      retry,
      {
        recover: () => session.reconnect(),
        onRetry: (error, attempt) => onRetry(error, attempt, "final transaction"),
      },
    ).catch((error: unknown) => {
      // Staging stays for --resume only when the database kept failing; otherwise retrying cannot help.
      if (!isTransientError(error) && !(error instanceof InterruptedError)) keepStaging = false;
      throw classifyImportError(error, "The final import transaction failed (nothing was changed)", {});
    });

    const finalMs = deps.now().getTime() - finalStarted;
    if (outcome.rejects.length > 0) await writeRejectsFile(rejectsPath, outcome.rejects);
    else await rm(rejectsPath, { force: true });
    keepStaging = false;

    if (outcome.tooManyRejects && !options.dryRun) {
      const validation = outcome.rejects.filter((r) => r.category === "validation").length;
      const first = outcome.rejects[0];
      const message = `${outcome.rejects.length} record(s) rejected (allowed: ${options.maxRejects ?? 0}); nothing was imported. First: line ${first?.line} (${first?.model ?? "unknown model"}): ${first?.reason}`;
      const errorOptions = {
        hint: `See ${rejectsPath} for every rejected record with its line number and reason. Fix the data, or allow them with --max-rejects N.`,
        details: { rejectsFile: rejectsPath, rejected: outcome.rejects.length, first },
      };
      throw validation === outcome.rejects.length
        ? new ValidationError("E_TOO_MANY_REJECTS", message, errorOptions)
        : new ConstraintError("E_TOO_MANY_REJECTS", message, errorOptions);
    }
    return buildSummary({
      options,
      mode,
      paths: { manifestPath: paths.manifestPath },
      location,
      devUser,
      manifest,
      staged,
      outcome,
      rejectsPath,
      retried,
      resumedFromLine,
      timings: { stagingMs, finalMs },
      startedAt,
      now: deps.now(),
    });
  } catch (error) {
    if (error instanceof InterruptedError) keepStaging = true;
    throw error;
  } finally {
    if (!keepStaging) {
      try {
        await dropStaging(session.client);
      } catch (error) {
        deps.warn?.(
          `could not drop the staging schema: ${(error as Error).message}; run 'booksnap import --abort'`,
        );
      }
    }
    await session.close(deps.warn);
    await disconnect(lockClient, deps.warn);
  }
}

function assertResumable(checkpoint: StagingCheckpoint, sha256: string, mode: string, userRef: string): void {
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

async function confirmReplace(
  client: pg.Client,
  devUser: DevUserChoice,
  mode: ImportMode,
  options: ImportOptions,
  deps: ImportDeps,
): Promise<void> {
  if (mode !== "replace" || options.yes || options.dryRun || devUser.id === undefined) return;
  const { rows } = await client.query<{ books: string; lists: string }>(
    `SELECT (SELECT count(*) FROM "Book" WHERE "ownerId" = $1) AS books,
            (SELECT count(*) FROM "ReadingList" WHERE "ownerId" = $1) AS lists`,
    [devUser.id],
  );
  const books = Number(rows[0]?.books ?? 0);
  const lists = Number(rows[0]?.lists ?? 0);
  if (books === 0 && lists === 0) return;
  const question = `Replace ${devUser.email}'s ${books} book(s) and ${lists} reading list(s) with the snapshot's?`;
  if (!deps.confirm) {
    throw new UsageError(
      `Refusing to replace ${devUser.email}'s ${books} book(s) and ${lists} reading list(s) without confirmation`,
      {
        code: "E_CONFIRM_REQUIRED",
        hint: "Pass --yes to replace them, or --mode merge to keep them.",
      },
    );
  }
  if (!(await deps.confirm(question))) {
    throw new UsageError("Import cancelled; nothing was changed", { code: "E_NOT_CONFIRMED" });
  }
}

/** Every line of the file was staged or rejected, and the counts agree with the manifest. */
function assertCompleteRead(
  staged: StagingCheckpoint,
  manifest: Parameters<typeof assertSafeTarget>[1],
): void {
  const unknown = staged.counts["rejected:unknown"] ?? 0;
  const problems: string[] = [];
  if (staged.lastLine !== manifest.data.lines) {
    problems.push(`read ${staged.lastLine} lines, the manifest lists ${manifest.data.lines}`);
  }
  if (unknown === 0) {
    for (const model of MODEL_NAMES) {
      const seen = (staged.counts[model] ?? 0) + (staged.counts[`rejected:${model}`] ?? 0);
      if (seen !== manifest.models[model].count) {
        problems.push(
          `${model}: ${seen} records in the file, the manifest lists ${manifest.models[model].count}`,
        );
      }
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

function buildSummary(input: {
  options: ImportOptions;
  mode: ImportMode;
  paths: { manifestPath: string };
  location: ReturnType<typeof describeLocation>;
  devUser: DevUserChoice;
  manifest: Parameters<typeof assertSafeTarget>[1];
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
  for (const model of MODEL_NAMES) {
    models[model] = {
      inSnapshot: manifest.models[model].count,
      imported: outcome.planned.inserted[model] ?? 0,
      skipped: outcome.planned.skipped[model] ?? 0,
      rejected: (staged.counts[`rejected:${model}`] ?? 0) + (outcome.planned.constraintRejected[model] ?? 0),
    };
  }
  const validation = outcome.rejects.filter((r) => r.category === "validation").length;
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
    rejected: { total: outcome.rejects.length, validation, constraint: outcome.rejects.length - validation },
    rejectsFile: outcome.rejects.length > 0 ? input.rejectsPath : null,
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

/** `booksnap import --abort`: drops the staging schema and checkpoint of an interrupted import. */
export async function abortImport(
  options: Pick<ImportOptions, "targetUrl" | "tls" | "connectTimeoutMs">,
): Promise<{ discarded: StagingCheckpoint | undefined }> {
  const lockClient = await connect(settingsFor(options as ImportOptions, IMPORT_LOCK_APPLICATION_NAME));
  try {
    await acquireImportLock(lockClient);
    const discarded = await readCheckpoint(lockClient);
    await dropStaging(lockClient);
    return { discarded };
  } finally {
    await disconnect(lockClient);
  }
}
