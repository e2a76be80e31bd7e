/**
 * `booksnap import`: the core. Documented behaviour (the CLI and README describe the same):
 *
 * - Order: manifest (checksum, format version) → target guard → data file size + SHA-256 →
 *   advisory lock → schema check → dev user → leftover-checkpoint check → confirmation →
 *   staging → final transaction. Nothing is written before the integrity and guard checks pass.
 *   A data source that can only be checked as it streams (a store object) is checked when its
 *   last byte has passed, after staging and before the final transaction: a mismatch is exit 4,
 *   the staging area is dropped and the final transaction never runs.
 * - Owners (--owners): collapse (default) puts every owner's rows on ONE dev user, the owners
 *   table's records validated but not inserted; keep inserts each owner as a user of its own
 *   (matched by email to one already there), --as mapping one of them to the dev user. Integer
 *   keys with a sequence get new ids from the target; references follow (self-references too).
 * - replace (default): the rows of the owners the snapshot lands on (collapse: the dev user; keep:
 *   the matched owners), and what reaches them through foreign keys, are deleted and the
 *   snapshot's inserted, in the same transaction. Rows of no owner are matched by identity.
 * - merge: existing rows stay. A record whose identity key (config `identity`, else a unique key)
 *   matches a target row maps to it one to one (already present; conflicting when the row is
 *   another owner's, and so are records referencing it); the rest is inserted. A second merge of
 *   the same snapshot inserts nothing.
 * - Per-owner rules (config `perOwnerRules`): rows that would break one are combined into one kept
 *   row, their children follow it, duplicates made by combining are dropped, positions renumbered;
 *   the final verification checks the rules (exit 7).
 * - Rejects: invalid records, records that would violate a constraint of the target (a unique key
 *   another row holds; a duplicate key or unique value inside the snapshot: the first occurrence
 *   wins) and records referencing a rejected or missing record go to the dead-letter file with
 *   line, table, reason, category and the record. More than --max-rejects → nothing is committed
 *   (exit 6).
 * - Schema drift (default --schema-drift tolerate, as `booksnap check` reports it): snapshot fields the target lacks are dropped; target
 *   columns the snapshot lacks must be nullable or have a default; anything else still refuses.
 * - Verification, before COMMIT: per model, the imported rows (ids turned back into source ids)
 *   are digested and compared with the manifest's digest; when records were rejected/skipped or
 *   fields dropped, with the staged records instead, field by field. Counts, every reference and
 *   the owner of every imported row are checked. A mismatch rolls back (exit 7).
 * - The data file's models must come in foreign-key order with ascending ids, as verify requires
 *   (exit 4 E_RECORD_ORDER, the same ModelOrderCheck); a repeated id is a duplicate reject.
 * - Staging (schema booksnap_staging, UNLOGGED tables) survives interrupts and connection loss
 *   for --resume; it is dropped after success, a dry run, too many rejects, a verification
 *   failure, any other failure retrying cannot fix (a damaged file, wrong passphrase, counts
 *   disagreeing with the manifest…), and by `booksnap import --abort`.
 */
import type pg from "pg";
import { clampTimeout } from "../config/limits.js";
import { presetProjectConfig } from "../config/project-config.js";
import { connect, disconnect, isTransientError } from "../db/connect.js";
import { describeLocation } from "../db/url.js";
import { BooksnapError, InterruptedError, UsageError } from "../errors.js";
import type { SnapshotSource } from "../snapshot/data-source.js";
import { localDataFile } from "../snapshot/data-source.js";
import { assertKeysFor } from "../snapshot/encryption.js";
import { resolveSnapshotPaths } from "../snapshot/paths.js";
import { checkDataFile, loadManifest } from "../verify/data-file.js";
import { classifyImportError } from "./classify.js";
import { DeadLetterFile } from "./dead-letter-file.js";
import { runFinalPhase, tooManyRejectsError } from "./final-phase.js";
import {
  DEFAULT_BATCH_SIZE,
  IMPORT_APPLICATION_NAME,
  IMPORT_LOCK_APPLICATION_NAME,
  type ImportDeps,
  type ImportOptions,
  type OwnerMode,
  settingsFor,
} from "./options.js";
import { chooseDevUser, type DevUserChoice } from "./owner.js";
import { confirmExpansion, confirmReplace } from "./preflight.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
import { RowDecoder } from "./row-decode.js";
import { planAgainstTarget, snapshotContents } from "./schema-check.js";
import { ImportSession } from "./session.js";
import { acquireImportLock, dropStaging, readCheckpoint, type StagingCheckpoint } from "./staging.js";
import { beginStaging, leftoverToResume, runStagingPhase } from "./staging-phase.js";
import { buildSummary, type ImportSummary } from "./summary.js";
import { assertDevelopmentHost, assertSafeTarget } from "./target-guard.js";

export {
  DEFAULT_BATCH_SIZE,
  IMPORT_APPLICATION_NAME,
  IMPORT_LOCK_APPLICATION_NAME,
  type ImportDeps,
  type ImportOptions,
} from "./options.js";
export type { ImportSummary, ModelImportCounts } from "./summary.js";

/**
 * Imports a snapshot into a development database: integrity → target guard → schema check →
 * dev user → staging in resumable batches → one final verified transaction (policies: see the top of this file).
 */
export async function importSnapshot(options: ImportOptions, deps: ImportDeps): Promise<ImportSummary> {
  const startedAt = deps.now();
  const mode = options.mode ?? "replace";
  const ownerMode = options.owners ?? "collapse";
  assertOwnerOptions(options);
  const source =
    typeof options.snapshot === "string" ? await openLocalSnapshot(options.snapshot) : options.snapshot;
  const manifest = source.manifest;
  // The guard judges the target before a byte of data is read (or, from a store, downloaded).
  assertSafeTarget(options.targetUrl, manifest, options.allowRemoteTarget ?? false, options.env);
  await source.data.precheck();
  await confirmExpansion(manifest, options, deps);
  if (manifest.data.encryption) assertKeysFor(manifest.data.encryption, options.decryption);
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  const rejectsPath = options.rejectsPath ?? source.rejectsPath;
  if (rejectsPath === undefined)
    // Library misuse only: the CLI always names one (a store snapshot has no directory of its own).
    throw new TypeError("importSnapshot: rejectsPath is required for this source");
  // Before any connection: a path booksnap may not write fails here, not after the commit.
  const deadLetter = await DeadLetterFile.claim(rejectsPath);
  const location = describeLocation(options.targetUrl, options.env);

  let lockClient: pg.Client | undefined;
  const session = new ImportSession(settingsFor(options, IMPORT_APPLICATION_NAME));
  let keepStaging = true;
  try {
    lockClient = await connect(settingsFor(options, IMPORT_LOCK_APPLICATION_NAME));
    const locker = lockClient;
    await phase("Taking the import lock", () => acquireImportLock(locker));
    const client = await session.open();
    const contents = snapshotContents(manifest);
    const config = options.projectConfig ?? presetProjectConfig("book-app");
    const schema = await phase("Checking the target's schema", () =>
      planAgainstTarget(client, contents, config, options.schemaDrift ?? "tolerate", ownerMode),
    );
    const plan = schema.plan;
    const owners = plan.owners;
    // keep mode needs a dev user only for --as; collapse always does (it owns everything).
    const needsDevUser = ownerMode === "collapse" || options.as !== undefined;
    const devUser: DevUserChoice | null = !needsDevUser
      ? null
      : owners
        ? await phase("Looking up the dev user", () =>
            chooseDevUser(
              client,
              owners,
              plan.schema,
              { user: options.user, createUser: options.createUser },
              deps.chooseUser,
            ),
          )
        : { id: 0, email: "(no owners table)", create: false };
    const identity = {
      snapshotSha256: manifest.data.sha256,
      snapshotName: source.name,
      mode,
      userRef: userRef(ownerMode, options.as, devUser),
    };
    const resumed = await phase("Checking for an interrupted import", () =>
      leftoverToResume(client, identity, options.resume ?? false, deps.confirm),
    );
    const { cascadeAcknowledged } = await phase("Counting the dev user's rows", () =>
      confirmReplace(client, plan, devUser, mode, options, deps),
    );
    const resumedFromLine = resumed?.lastLine ?? 0;
    const checkpoint = await phase("Creating the staging area", () =>
      beginStaging(client, resumed, identity, startedAt, plan),
    );

    let retried = 0;
    const onRetry = (error: unknown, attempt: number, where: string) => {
      retried += 1;
      deps.warn?.(`${where} failed (${(error as Error).message}); retry ${attempt} of ${retry.maxRetries}`);
    };
    const stagingStarted = deps.now().getTime();
    const staged = await runStagingPhase(
      session,
      checkpoint,
      manifest,
      contents.counts,
      {
        tables: plan.tables,
        decoder: new RowDecoder(contents.formatVersion, plan.tables, schema.enums),
        data: source.data,
        ...(manifest.data.encryption && options.decryption
          ? { decryption: { encryption: manifest.data.encryption, keys: options.decryption } }
          : {}),
        batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
        statementTimeoutMs,
        lockTimeoutMs,
        retry,
      },
      {
        signal: deps.signal,
        ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
        onRetry: (error, attempt, batch) => onRetry(error, attempt, `batch ${batch}`),
      },
    ).catch((error: unknown) => {
      // A damaged file, a wrong passphrase or an invalid snapshot fails the same way on every
      // run: its staging area could never be resumed, and would only block the next import.
      if (!isResumable(error)) keepStaging = false;
      throw error;
    });
    const finalStarted = deps.now().getTime();
    const stagingMs = finalStarted - stagingStarted;

    const outcome = await runFinalPhase(
      session,
      {
        mode,
        devUser,
        asOwner: options.as,
        rules: config.perOwnerRules,
        maxRejects: options.maxRejects ?? 0,
        dryRun: options.dryRun ?? false,
        cascadeAcknowledged,
        manifest,
        plan,
        contents,
        exactTables: schema.exactTables,
        castColumns: schema.castColumns,
        stagedCounts: staged.counts,
        longestLineBytes: staged.longestLineBytes,
        deadLetter,
        statementTimeoutMs: clampTimeout(statementTimeoutMs * 20),
        lockTimeoutMs,
        now: deps.now(),
      },
      retry,
      (error, attempt) => onRetry(error, attempt, "final transaction"),
    ).catch((error: unknown) => {
      // Staging stays for --resume only when the database kept failing; otherwise retrying cannot help.
      if (!isResumable(error)) keepStaging = false;
      throw classifyImportError(error, "The final import transaction failed (nothing was changed)", {});
    });

    const finalMs = deps.now().getTime() - finalStarted;
    if (outcome.rejects.total === 0) {
      // The import is done: a file that cannot be removed is worth a warning, not a failure.
      await deadLetter.removeOutdated().catch((error: Error) => {
        deps.warn?.(`could not remove the outdated dead-letter file ${rejectsPath}: ${error.message}`);
      });
    }
    keepStaging = false;

    if (outcome.tooManyRejects && !options.dryRun) {
      throw tooManyRejectsError(outcome, options.maxRejects ?? 0, rejectsPath);
    }
    return buildSummary({
      options,
      mode,
      paths: { manifestPath: source.manifestLocation },
      location,
      devUser,
      manifest,
      counts: contents.counts,
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

/**
 * The owner options make sense together: --as only in keep mode and with a dev user; in keep
 * mode a dev user only with --as (every other owner gets a user of its own).
 */
function assertOwnerOptions(options: ImportOptions): void {
  const keep = (options.owners ?? "collapse") === "keep";
  const named = options.user ?? options.createUser;
  const problem =
    options.as !== undefined && !keep
      ? "--as needs --owners keep (in collapse mode every owner's rows already go to --user)"
      : options.as !== undefined && named === undefined
        ? "--as needs --user (the account that gets that owner's rows)"
        : keep && options.as === undefined && named !== undefined
          ? "--owners keep gives every owner a user of its own: with --user, say which snapshot owner becomes you with --as"
          : undefined;
  if (problem) {
    throw new UsageError(problem, {
      code: "E_OWNERS_OPTIONS",
      hint: "--owners collapse --user ME: everything on your account. --owners keep: every owner as in production. --owners keep --user ME --as OWNER: one owner's rows on your account, the others as themselves.",
    });
  }
}

/** Who the import is for, as the staging checkpoint records it (a resume must match). */
function userRef(ownerMode: OwnerMode, as: string | undefined, devUser: DevUserChoice | null): string {
  const user = devUser === null ? "" : devUser.create ? `create:${devUser.email}` : String(devUser.id);
  return ownerMode === "collapse" ? user : `keep${as === undefined ? "" : ` as ${as}`}:${user}`;
}

/** A local snapshot: its manifest read and checked; the data file is fully checked by `precheck`. */
async function openLocalSnapshot(path: string): Promise<SnapshotSource> {
  const paths = resolveSnapshotPaths(path);
  const manifest = await loadManifest(paths);
  return {
    name: paths.name,
    manifestLocation: paths.manifestPath,
    manifest,
    data: localDataFile(paths.dataPath, () => checkDataFile(paths.dataPath, manifest.data)),
    rejectsPath: paths.rejectsPath,
  };
}

/**
 * Runs one step outside the staging batches (lock, schema check, user lookup…): a driver error
 * there is classified like one in the batches (a lost connection is exit 3, not "unexpected").
 */
async function phase<T>(where: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw classifyImportError(error, `${where} failed (nothing was changed)`, {});
  }
}

/**
 * Failures after which the staging area is worth keeping for --resume: an interrupt, the
 * database or network failing (transient), or a conflict over the staging area itself (which
 * belongs to someone else's run). Anything else would fail again the same way.
 */
function isResumable(error: unknown): boolean {
  if (error instanceof InterruptedError || isTransientError(error)) return true;
  return error instanceof BooksnapError && (error.category === "connection" || error.category === "conflict");
}

/**
 * `booksnap import --abort`: drops the staging schema and checkpoint of an interrupted import.
 * It writes (DROP SCHEMA … CASCADE), so the target guard judges the host first.
 */
export async function abortImport(
  options: Pick<
    ImportOptions,
    "targetUrl" | "tls" | "tlsCa" | "connectTimeoutMs" | "env" | "allowRemoteTarget"
  >,
): Promise<{ discarded: StagingCheckpoint | undefined }> {
  assertDevelopmentHost(
    options.targetUrl,
    options.allowRemoteTarget ?? false,
    options.env,
    "discard staged data in",
  );
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
