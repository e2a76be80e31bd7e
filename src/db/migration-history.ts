import type pg from "pg";
import { SchemaMismatchError } from "../errors.js";
import { type MigrationFile, scriptMatchesChecksum } from "./migration-files.js";

/** A row of `_prisma_migrations`, as `prisma migrate` reads it. */
export interface MigrationRecord {
  id: string;
  migrationName: string;
  checksum: string;
  startedAt: Date;
  finishedAt: Date | null;
  rolledBackAt: Date | null;
  appliedStepsCount: number;
  logs: string | null;
}

/**
 * The table `prisma migrate` creates for its history (schema-engine, PostgreSQL flavour), to the
 * letter: Prisma reads this table and must find the types it wrote itself.
 */
export const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

/** Whether the history table exists in the schema the connection works in (search_path). */
export async function hasMigrationsTable(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS found`,
  );
  return rows[0]?.found === true;
}

/** The history, ordered by started_at as Prisma lists it. */
export async function readMigrationHistory(client: pg.Client): Promise<MigrationRecord[]> {
  const { rows } = await client.query<MigrationRecord>(
    `SELECT id, migration_name AS "migrationName", checksum, started_at AS "startedAt",
            finished_at AS "finishedAt", rolled_back_at AS "rolledBackAt",
            applied_steps_count AS "appliedStepsCount", logs
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
  return rows;
}

/** What is in the current schema besides Prisma's history: tables, views, sequences, types. */
export async function schemaObjects(client: pg.Client, limit = 5): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT name FROM (
       SELECT c.relname AS name FROM pg_class c
        WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
          AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relname <> '_prisma_migrations'
       UNION ALL
       SELECT t.typname FROM pg_type t
        WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND t.typtype IN ('e', 'd', 'c')
          AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
     ) o ORDER BY name LIMIT $1`,
    [limit],
  );
  return rows.map((row) => row.name);
}

/**
 * Compares the recorded history with the migration files and returns the files still to apply,
 * in name order. Refuses, as a schema error, a history that `prisma migrate` would not continue
 * from: a failed migration, an applied one whose file changed, or one the directory lacks.
 */
export function pendingMigrations(
  files: readonly MigrationFile[],
  history: readonly MigrationRecord[],
  dir: string,
): MigrationFile[] {
  const live = history.filter((record) => record.rolledBackAt === null);
  const failed = live.filter((record) => record.finishedAt === null);
  if (failed.length > 0) {
    throw new SchemaMismatchError(
      `Migration ${failed.map((r) => r.migrationName).join(", ")} failed earlier in this database and was never resolved`,
      {
        code: "E_MIGRATION_FAILED_BEFORE",
        hint: "Fix the database by hand, then mark it in the app with `npx prisma migrate resolve --rolled-back NAME` (or --applied NAME), and run prepare again.",
        details: { migrations: failed.map((r) => r.migrationName) },
      },
    );
  }
  const byName = new Map(files.map((file) => [file.name, file]));
  const missing = live.filter((record) => !byName.has(record.migrationName)).map((r) => r.migrationName);
  if (missing.length > 0) {
    throw new SchemaMismatchError(
      `The database's migration history has ${missing.length} migration(s) that ${dir} does not: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`,
      {
        code: "E_MIGRATION_MISSING",
        hint: "The database was migrated from another directory (e.g. by the app itself). Pass that app's prisma/migrations with --migrations DIR; nothing was changed.",
        details: { missing },
      },
    );
  }
  const modified = live
    .filter((record) => {
      const file = byName.get(record.migrationName) as MigrationFile;
      return !scriptMatchesChecksum(file.script, record.checksum);
    })
    .map((r) => r.migrationName);
  if (modified.length > 0) {
    throw new SchemaMismatchError(
      `Migration ${modified.join(", ")} was changed after it was applied: its migration.sql no longer matches the recorded checksum`,
      {
        code: "E_MIGRATION_MODIFIED",
        hint: "Restore the file as it was applied (git log -p on it), or recreate the dev database; nothing was changed.",
        details: { modified },
      },
    );
  }
  const applied = new Set(live.map((record) => record.migrationName));
  return files.filter((file) => !applied.has(file.name));
}
