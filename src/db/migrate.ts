import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";

/** The migrations shipped with the package (prisma/migrations at the package root). */
export const BUNDLED_MIGRATIONS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "prisma",
  "migrations",
);

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies the bundled SQL migrations that are not applied yet, each in its own transaction,
 * recording them in `_prisma_migrations` exactly as `prisma migrate deploy` would, so the
 * database stays manageable by Prisma's own tooling later. Needs no Prisma engine.
 */
export async function applyMigrations(
  client: pg.Client,
  dir = BUNDLED_MIGRATIONS_DIR,
): Promise<MigrationResult> {
  await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`);
  const done = await client.query<{ migration_name: string }>(
    `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  const appliedNames = new Set(done.rows.map((r) => r.migration_name));
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const name of names) {
    if (appliedNames.has(name)) {
      result.alreadyApplied.push(name);
      continue;
    }
    const sql = await readFile(join(dir, name, "migration.sql"), "utf8");
    const checksum = createHash("sha256").update(sql).digest("hex");
    await client.query("BEGIN");
    try {
      await client.query(sql);
      await client.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), checksum, name],
      );
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    }
    result.applied.push(name);
  }
  return result;
}
