import type pg from "pg";
import { ConflictError } from "../errors.js";
import { stagingSqlType } from "../schema/values.js";
import { quoteIdent } from "./sql-names.js";
import type { ImportPlan, TablePlan } from "./table-plan.js";

/**
 * Staging storage in the target database: one schema holding the validated snapshot rows (one
 * table per snapshot table: its columns, typed for staging, plus the snapshot line number), the
 * records rejected so far and the progress checkpoint. Tables are UNLOGGED (fast COPY, no WAL):
 * a server crash empties them all together, checkpoint included, so they can never disagree; the
 * import then starts over.
 */
export const STAGING_SCHEMA = "booksnap_staging";
const S = quoteIdent(STAGING_SCHEMA);

/** pg_try_advisory_lock(classid, objid) key: "book" in ASCII, and 1 for the import. */
export const IMPORT_LOCK_KEY: readonly [number, number] = [0x626f6f6b, 1];

export const REJECT_TABLE = `${S}.reject`;
export const CHECKPOINT_TABLE = `${S}.checkpoint`;
/** Names of the staging schema's own tables; a snapshot table with one of these names is staged as "data:<name>". */
const RESERVED = new Set(["reject", "checkpoint"]);
const WORK_PREFIX = /^(data|fate|res):/;

/** The staging table of a snapshot table. */
export const stagingTable = (table: string): string =>
  `${S}.${quoteIdent(RESERVED.has(table) || WORK_PREFIX.test(table) ? `data:${table}` : table)}`;

/*
 * Work tables of the final transaction (conflicts.ts), created inside it: a rollback removes
 * them, a commit leaves them to the staging clean-up. Not TEMP tables: PostgreSQL never uses
 * parallel workers for a query that reads a temp table, and the verification query joins them
 * (measured: its 100k-book digest query 2.0 s serial -> 1.4 s with two workers).
 */
/** What happens to each live staged row: line, source key, target key, and insert | existing | conflict. */
export const fateTable = (table: string): string => `${S}.${quoteIdent(`fate:${table}`)}`;
/** Rows combined into another staged row (per-owner rule, or a duplicate made by combining): line → kept line. */
export const combineTable = (table: string): string => `${S}.${quoteIdent(`comb:${table}`)}`;
/** The target values of a staged row's remapped foreign-key columns, by line. */
export const resolvedTable = (table: string): string => `${S}.${quoteIdent(`res:${table}`)}`;

/** COPY column list of a staging table: the line number, then every snapshot column. */
export const stagedColumns = (table: TablePlan): string[] => ["line", ...table.columns.map((c) => c.name)];

/** Progress of one import, committed in the same transaction as each batch. */
export interface StagingCheckpoint {
  /** SHA-256 of the snapshot's data file: a resume must use the very same file. */
  snapshotSha256: string;
  snapshotName: string;
  mode: string;
  /** --user / --create-user as resolved at the start (email or id). */
  userRef: string;
  /** Last snapshot line whose batch is committed to staging (0 = none). */
  lastLine: number;
  batches: number;
  /** Records staged (or, for User, validated) per model, and validation rejects. */
  counts: Record<string, number>;
  startedAt: string;
  /** The final transaction committed; only cleanup is left. */
  finished: boolean;
}

export async function createStaging(
  client: pg.Client,
  checkpoint: Omit<StagingCheckpoint, "lastLine" | "batches" | "finished">,
  plan: Pick<ImportPlan, "tables">,
): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
    await client.query(`CREATE SCHEMA ${S}`);
    for (const table of plan.tables) {
      const columns = table.columns.map((c) => `${quoteIdent(c.name)} ${stagingSqlType(c.type)}`);
      await client.query(
        `CREATE UNLOGGED TABLE ${stagingTable(table.name)} (line integer NOT NULL, ${columns.join(", ")})`,
      );
    }
    // src_key: the record's key as text (references to a rejected record name its line).
    await client.query(
      `CREATE UNLOGGED TABLE ${REJECT_TABLE} (line integer NOT NULL, model text, src_key text, reason text NOT NULL,
         category text NOT NULL, record text, raw text)`,
    );
    await client.query(
      `CREATE UNLOGGED TABLE ${CHECKPOINT_TABLE} (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
         snapshot_sha256 text NOT NULL, snapshot_name text NOT NULL, mode text NOT NULL, user_ref text NOT NULL,
         last_line integer NOT NULL DEFAULT 0, batches integer NOT NULL DEFAULT 0, counts jsonb NOT NULL,
         started_at timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
         finished boolean NOT NULL DEFAULT false)`,
    );
    await client.query(
      `INSERT INTO ${CHECKPOINT_TABLE} (snapshot_sha256, snapshot_name, mode, user_ref, counts, started_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        checkpoint.snapshotSha256,
        checkpoint.snapshotName,
        checkpoint.mode,
        checkpoint.userRef,
        JSON.stringify(checkpoint.counts),
        checkpoint.startedAt,
      ],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** The checkpoint left by an earlier import, or undefined when there is none (or staging is empty after a crash). */
export async function readCheckpoint(client: pg.Client): Promise<StagingCheckpoint | undefined> {
  const exists = await client.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [
    `${S}.checkpoint`,
  ]);
  if (!exists.rows[0]?.present) {
    const schema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [STAGING_SCHEMA]);
    if (schema.rowCount) await dropStaging(client);
    return undefined;
  }
  const { rows } = await client.query<{
    snapshot_sha256: string;
    snapshot_name: string;
    mode: string;
    user_ref: string;
    last_line: number;
    batches: number;
    counts: Record<string, number>;
    started_at: Date;
    finished: boolean;
  }>(`SELECT * FROM ${CHECKPOINT_TABLE}`);
  const row = rows[0];
  if (!row) {
    // Unlogged tables emptied by a server crash: nothing to resume.
    await dropStaging(client);
    return undefined;
  }
  return {
    snapshotSha256: row.snapshot_sha256,
    snapshotName: row.snapshot_name,
    mode: row.mode,
    userRef: row.user_ref,
    lastLine: row.last_line,
    batches: row.batches,
    counts: row.counts,
    startedAt: new Date(row.started_at).toISOString(),
    finished: row.finished,
  };
}

export async function dropStaging(client: pg.Client): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${S} CASCADE`);
}

/**
 * Takes the per-database import lock on its own session; fails at once (exit 8) when another
 * import holds it. Released when `client` disconnects.
 */
export async function acquireImportLock(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS locked", [
    ...IMPORT_LOCK_KEY,
  ]);
  if (!rows[0]?.locked) {
    throw new ConflictError("E_IMPORT_LOCKED", "Another booksnap import is running against this database", {
      hint: "Wait for it to finish (see pg_stat_activity, application_name 'booksnap-import'), then run again.",
    });
  }
}
