import type { ProgressCallback } from "../cli/progress.js";
import type { ProjectConfig } from "../config/project-config.js";
import type { ConnectionSettings, TlsMode } from "../db/connect.js";
import type { ConnectionEnvironment } from "../db/target.js";
import type { SnapshotSource } from "../snapshot/data-source.js";
import type { DecryptionKeys } from "../snapshot/encryption.js";
import type { ImportMode } from "./conflicts.js";
import type { TargetUser } from "./owner.js";
import type { RetryPolicy } from "./retry.js";
import type { SchemaDriftPolicy } from "./schema-check.js";

/** application_name of the importer's working session (pg_stat_activity). */
export const IMPORT_APPLICATION_NAME = "booksnap-import";
/** The session that only holds the import's advisory lock. */
export const IMPORT_LOCK_APPLICATION_NAME = "booksnap-import-lock";
/**
 * Lines per staging batch. measured: see docs/benchmarks.md ("Recommended import batch size"): 1,000 was never
 * slower than 5,000 or 20,000 at 100k books and peaked lowest in memory (221–232 MB vs 301–326 MB).
 */
export const DEFAULT_BATCH_SIZE = 1000;

/**
 * Where the snapshot's owners land. collapse: every owner's rows go to the one dev user (--user),
 * the old script's behaviour and what a developer signing in as themselves expects; keep: every
 * owner arrives as its own (pseudonymous) user, as in production, and `as` names the one snapshot
 * owner whose rows go to the developer's own account instead.
 */
export type OwnerMode = "collapse" | "keep";

export interface ImportOptions {
  /**
   * Manifest path, data file path, or the shared path without extensions; or an opened
   * SnapshotSource (a store snapshot, whose data is streamed and checked as it is read).
   */
  snapshot: string | SnapshotSource;
  /** Target database URL (may hold a password; never printed). */
  targetUrl: string;
  /** Where PG* variables come from for what the URL leaves out (ConnectionSettings.env). */
  env?: ConnectionEnvironment;
  /** Allow a target that is not loopback or private-network. */
  allowRemoteTarget?: boolean;
  /** replace (default): the dev user's books and lists become exactly the snapshot's; merge: add what is missing. */
  mode?: ImportMode;
  /** collapse (default) or keep: see OwnerMode. */
  owners?: OwnerMode;
  /**
   * keep mode: the snapshot owner (id, or email as the snapshot holds it) whose rows go to the dev
   * user (--user) instead of a user of its own. Requires `user`.
   */
  as?: string;
  /** Dev user by email or id (collapse: owns everything; keep: only with `as`). */
  user?: string;
  /** Create this dev user if it does not exist. */
  createUser?: string;
  /** Skip the confirmation before replacing existing dev data. */
  yes?: boolean;
  /**
   * Accept that replace deletes or changes rows of tables booksnap does not copy (their foreign
   * keys cascade from the dev user's books and lists). Needed with --yes when there are any.
   */
  allowCascade?: boolean;
  /** Run everything, including constraint checks in the database, then roll back. */
  dryRun?: boolean;
  /** Continue from the staging checkpoint of an interrupted import. */
  resume?: boolean;
  /** Rejected records allowed while still committing (default 0). */
  maxRejects?: number;
  /** Lines per staging batch transaction. */
  batchSize?: number;
  /** Dead-letter file (default <name>.rejects.ndjson next to a local snapshot; required for a SnapshotSource without one). */
  rejectsPath?: string;
  /** The project's configuration (owners table, merge identity, tables); default: the book app's. */
  projectConfig?: ProjectConfig;
  /** What to do when the target's schema differs from the snapshot's (default refuse). */
  schemaDrift?: SchemaDriftPolicy;
  retry?: Partial<RetryPolicy>;
  /** statement_timeout for each batch (ms); the final transaction gets 20× this. */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  connectTimeoutMs?: number;
  tls?: TlsMode;
  /** PEM certificates trusted for --tls verify-full (--tls-ca / PGSSLROOTCERT). */
  tlsCa?: string;
  /**
   * Import a snapshot whose data file expands far more than booksnap's do (largeExpansion)
   * without asking; without it a person is asked, and a script is refused (E_LARGE_EXPANSION).
   */
  allowLargeExpansion?: boolean;
  /** Keys for an encrypted snapshot: identities (--identity) and/or passphrase. */
  decryption?: DecryptionKeys;
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

/** Connection settings of the importer's sessions. */
export function settingsFor(options: ImportOptions, applicationName: string): ConnectionSettings {
  return {
    url: options.targetUrl,
    ...(options.env ? { env: options.env } : {}),
    applicationName,
    readOnly: false,
    tls: options.tls ?? "auto",
    ...(options.tlsCa ? { tlsCa: options.tlsCa } : {}),
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    statementTimeoutMs: 0,
    lockTimeoutMs: 0,
  };
}
