import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { ConflictError, SchemaMismatchError } from "../errors.js";
import { type MigrationFile, readMigrationsDir } from "./migration-files.js";
import {
  CREATE_MIGRATIONS_TABLE,
  hasMigrationsTable,
  pendingMigrations,
  readMigrationHistory,
  schemaObjects,
} from "./migration-history.js";

/** The migrations shipped with the package (prisma/migrations at the package root). */
export const BUNDLED_MIGRATIONS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "prisma",
  "migrations",
);

/** The advisory lock `prisma migrate` holds while it migrates (schema-engine, PostgreSQL). */
const PRISMA_MIGRATE_LOCK = 72707369;

export interface MigrationResult {
  /** Migrations applied by this run, in order. */
  applied: string[];
  /** Migrations the history already recorded. */
  alreadyApplied: string[];
}

/** Reads `dir` (default: the bundled migrations) and applies what is not applied yet. */
export async function applyMigrations(
  client: pg.Client,
  dir = BUNDLED_MIGRATIONS_DIR,
): Promise<MigrationResult> {
  return applyMigrationFiles(client, await readMigrationsDir(dir), dir);
}

/**
 * Applies the migrations the history does not record yet, the way `prisma migrate deploy` does,
 * so the app's own Prisma accepts the database afterwards: same `_prisma_migrations` table, one
 * row per migration with the SHA-256 of its file, start and finish times and one applied step.
 * Each migration runs in one transaction together with its row (and, for the first, the table),
 * so a failing migration leaves neither a half-applied schema nor a history entry behind.
 *
 * Refuses, changing nothing, a database whose schema has objects but no history (as Prisma's
 * P3005), and a history Prisma could not continue from (see `pendingMigrations`).
 */
export async function applyMigrationFiles(
  client: pg.Client,
  files: readonly MigrationFile[],
  dir: string,
): Promise<MigrationResult> {
  const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
    PRISMA_MIGRATE_LOCK,
  ]);
  if (!rows[0]?.locked) {
    throw new ConflictError("E_MIGRATE_LOCKED", "Another migration is running against this database", {
      hint: "Wait for the other `booksnap prepare` or `prisma migrate` to finish, then run again.",
    });
  }
  try {
    let tableExists = await hasMigrationsTable(client);
    const history = tableExists ? await readMigrationHistory(client) : [];
    // An empty history (e.g. left by an older booksnap) says nothing about the tables next to it.
    if (history.every((record) => record.rolledBackAt !== null)) await refuseUnmanagedSchema(client);
    const pending = pendingMigrations(files, history, dir);
    const result: MigrationResult = {
      applied: [],
      alreadyApplied: files.filter((f) => !pending.includes(f)).map((f) => f.name),
    };
    for (const migration of pending) {
      await applyOne(client, migration, !tableExists);
      tableExists = true;
      result.applied.push(migration.name);
    }
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]).catch(() => {});
  }
}

async function applyOne(client: pg.Client, migration: MigrationFile, createTable: boolean): Promise<void> {
  await client.query("BEGIN");
  try {
    if (createTable) await client.query(CREATE_MIGRATIONS_TABLE);
    const id = randomUUID();
    // The row is written before the script runs, then finished, as migrate deploy records it.
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at)
       VALUES ($1, $2, $3, clock_timestamp())`,
      [id, migration.checksum, migration.name],
    );
    try {
      await client.query(migration.script);
    } catch (error) {
      throw migrationError(migration.name, error);
    }
    await client.query(
      `UPDATE _prisma_migrations
          SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp()
        WHERE id = $1`,
      [id],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

async function refuseUnmanagedSchema(client: pg.Client): Promise<void> {
  const objects = await schemaObjects(client);
  if (objects.length === 0) return;
  throw new SchemaMismatchError(
    `The database already has a schema (${objects.join(", ")}${objects.length >= 5 ? ", …" : ""}) but no Prisma migration history`,
    {
      code: "E_SCHEMA_NOT_EMPTY",
      hint: "prepare only migrates an empty database or one it (or prisma migrate) prepared. If the app made these tables, import into it directly; or use a new database. Nothing was changed.",
      details: { objects },
    },
  );
}

function migrationError(name: string, error: unknown): SchemaMismatchError {
  const e = (error ?? {}) as { code?: string; message?: string; position?: string };
  return new SchemaMismatchError(`Migration ${name} failed: ${e.message ?? String(error)}`, {
    code: "E_MIGRATION_ERROR",
    cause: error,
    hint: "Nothing of this migration was kept (it ran in one transaction with its history row). Fix the database or the migration, then run prepare again.",
    details: { migration: name, sqlstate: e.code, ...(e.position ? { position: Number(e.position) } : {}) },
  });
}
