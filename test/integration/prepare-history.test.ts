import { createHash, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLED_MIGRATIONS_DIR } from "../../src/db/migrate.js";
import { ExitCode } from "../../src/errors.js";
import { runInProcess } from "../fault/in-process-cli.js";
import {
  adminUrl,
  createTestDatabase,
  databaseUrl,
  type TestDatabase,
  withAdmin,
  withClient,
} from "../helpers/db.js";

/**
 * `booksnap prepare --migrations DIR` must leave a history the app's own `prisma migrate` accepts:
 * the rows Prisma writes, with the SHA-256 of each migration.sql, applied incrementally.
 */

const INIT = "20261127000000_init";
const NOTES = "20261201000000_add_book_notes";
const WEBSITE = "20261215000000_add_user_website";
const APP_MIGRATIONS = join(import.meta.dirname, "..", "fixtures", "app-migrations");

let work: string;
const databases: TestDatabase[] = [];
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-prepare-"));
});
afterAll(async () => {
  for (const db of databases) await db.drop();
  await rm(work, { recursive: true, force: true });
});

/** A migrations directory like the app's: the bundled init, then the named fixture migrations. */
async function migrationsDir(...names: string[]): Promise<string> {
  const dir = await mkdtemp(join(work, "migrations-"));
  await cp(join(BUNDLED_MIGRATIONS_DIR, "migration_lock.toml"), join(dir, "migration_lock.toml"));
  await cp(join(BUNDLED_MIGRATIONS_DIR, INIT), join(dir, INIT), { recursive: true });
  for (const name of names) await cp(join(APP_MIGRATIONS, name), join(dir, name), { recursive: true });
  return dir;
}

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ migrate: false });
  databases.push(db);
  return db;
}

function prepare(url: string, ...args: string[]) {
  return runInProcess(["prepare", "--json", "--to-env", "DEV_URL", ...args], { env: { DEV_URL: url } });
}

interface HistoryRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/** The history as `prisma migrate` reads it: every row, ordered by started_at. */
function history(db: TestDatabase): Promise<HistoryRow[]> {
  return db.withClient(
    async (c) => (await c.query<HistoryRow>(`SELECT * FROM _prisma_migrations ORDER BY started_at`)).rows,
  );
}

async function fileChecksum(dir: string, name: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(join(dir, name, "migration.sql")))
    .digest("hex");
}

/** Every recorded migration is finished, applied once, and its checksum is the file's SHA-256. */
async function expectHistoryMatches(db: TestDatabase, dir: string, names: string[]): Promise<void> {
  const rows = await history(db);
  expect(rows.map((r) => r.migration_name)).toEqual(names);
  for (const row of rows) {
    expect(row.checksum).toBe(await fileChecksum(dir, row.migration_name));
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row.applied_steps_count).toBe(1);
    expect(row.rolled_back_at).toBeNull();
    expect(row.logs).toBeNull();
    expect(row.finished_at).not.toBeNull();
    expect((row.finished_at as Date).getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
  }
}

function columnExists(db: TestDatabase, table: string, column: string): Promise<boolean> {
  return db.withClient(async (c) => {
    const { rowCount } = await c.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
      [table, column],
    );
    return rowCount === 1;
  });
}

describe("prepare --migrations: a history the app's Prisma accepts", () => {
  it("creates the database, records each migration as migrate deploy does, then applies only the next one", async () => {
    const name = `booksnap_t_${randomBytes(6).toString("hex")}`;
    const url = databaseUrl(adminUrl(), name);
    databases.push({
      name,
      url,
      withClient: (fn) => withClient(url, fn),
      drop: () =>
        withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
    });
    const dir = await migrationsDir(NOTES);

    const first = await prepare(url, "--migrations", dir);
    expect(first.code, first.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(first.stdout)).toMatchObject({
      ok: true,
      createdDatabase: true,
      applied: [INIT, NOTES],
    });
    const db = databases.at(-1) as TestDatabase;
    await expectHistoryMatches(db, dir, [INIT, NOTES]);

    // The table is Prisma's own, column for column.
    const columns = await db.withClient(
      async (c) =>
        (
          await c.query(
            `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
               FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
          )
        ).rows,
    );
    expect(columns).toEqual([
      { column_name: "id", data_type: "character varying", len: 36, is_nullable: "NO", column_default: null },
      {
        column_name: "checksum",
        data_type: "character varying",
        len: 64,
        is_nullable: "NO",
        column_default: null,
      },
      {
        column_name: "finished_at",
        data_type: "timestamp with time zone",
        len: null,
        is_nullable: "YES",
        column_default: null,
      },
      {
        column_name: "migration_name",
        data_type: "character varying",
        len: 255,
        is_nullable: "NO",
        column_default: null,
      },
      { column_name: "logs", data_type: "text", len: null, is_nullable: "YES", column_default: null },
      {
        column_name: "rolled_back_at",
        data_type: "timestamp with time zone",
        len: null,
        is_nullable: "YES",
        column_default: null,
      },
      {
        column_name: "started_at",
        data_type: "timestamp with time zone",
        len: null,
        is_nullable: "NO",
        column_default: "now()",
      },
      {
        column_name: "applied_steps_count",
        data_type: "integer",
        len: null,
        is_nullable: "NO",
        column_default: "0",
      },
    ]);

    // The app's next migration arrives: only it is applied.
    await cp(join(APP_MIGRATIONS, WEBSITE), join(dir, WEBSITE), { recursive: true });
    const second = await prepare(url, "--migrations", dir);
    expect(second.code, second.stderr).toBe(ExitCode.ok);
    expect(JSON.parse(second.stdout)).toMatchObject({ applied: [WEBSITE], alreadyApplied: [INIT, NOTES] });
    await expectHistoryMatches(db, dir, [INIT, NOTES, WEBSITE]);
    expect(await columnExists(db, "User", "websiteUrl")).toBe(true);

    const third = await prepare(url, "--migrations", dir);
    expect(JSON.parse(third.stdout)).toMatchObject({ applied: [], alreadyApplied: [INIT, NOTES, WEBSITE] });
    expect(await history(db)).toHaveLength(3);
  });

  it("refuses a migration edited after it was applied, but not one whose line endings git changed", async () => {
    const db = await emptyDatabase();
    const dir = await migrationsDir(NOTES);
    expect((await prepare(db.url, "--migrations", dir)).code).toBe(ExitCode.ok);
    const file = join(dir, NOTES, "migration.sql");
    const original = await readFile(file, "utf8");

    await writeFile(file, original.replaceAll("\n", "\r\n"));
    expect((await prepare(db.url, "--migrations", dir)).code).toBe(ExitCode.ok);

    await writeFile(file, `${original}-- edited\n`);
    const edited = await prepare(db.url, "--migrations", dir);
    expect(edited.code).toBe(ExitCode.schema);
    expect(JSON.parse(edited.stdout).error).toMatchObject({
      code: "E_MIGRATION_MODIFIED",
      details: { modified: [NOTES] },
    });
  });

  it("refuses a history with migrations the directory lacks (a database the app migrated), changing nothing", async () => {
    const db = await emptyDatabase();
    const appDir = await migrationsDir(NOTES, WEBSITE);
    expect((await prepare(db.url, "--migrations", appDir)).code).toBe(ExitCode.ok);
    const before = await history(db);

    const bundled = await prepare(db.url);
    expect(bundled.code).toBe(ExitCode.schema);
    expect(JSON.parse(bundled.stdout).error).toMatchObject({
      code: "E_MIGRATION_MISSING",
      details: { missing: [NOTES, WEBSITE] },
    });
    expect(JSON.parse(bundled.stdout).error.hint).toContain("--migrations");
    expect(await history(db)).toEqual(before);
  });

  it("refuses a history with a failed migration, as migrate deploy does", async () => {
    const db = await emptyDatabase();
    const dir = await migrationsDir();
    expect((await prepare(db.url, "--migrations", dir)).code).toBe(ExitCode.ok);
    await db.withClient((c) =>
      c.query(`INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ('x', 'y', $1)`, [NOTES]),
    );
    await cp(join(APP_MIGRATIONS, NOTES), join(dir, NOTES), { recursive: true });
    const run = await prepare(db.url, "--migrations", dir);
    expect(run.code).toBe(ExitCode.schema);
    expect(JSON.parse(run.stdout).error.code).toBe("E_MIGRATION_FAILED_BEFORE");
    expect(await columnExists(db, "Book", "notes")).toBe(false);
  });

  it("refuses a database that has tables but no history, and leaves nothing behind", async () => {
    const db = await emptyDatabase();
    const init = await readFile(join(BUNDLED_MIGRATIONS_DIR, INIT, "migration.sql"), "utf8");
    await db.withClient((c) => c.query(init)); // e.g. `prisma db push`, or the app's schema made by hand
    const run = await prepare(db.url);
    expect(run.code).toBe(ExitCode.schema);
    const error = JSON.parse(run.stdout).error;
    expect(error.code).toBe("E_SCHEMA_NOT_EMPTY");
    expect(error.message).toContain("Book");
    expect(
      await db.withClient(
        async (c) => (await c.query(`SELECT to_regclass('_prisma_migrations') AS t`)).rows[0].t,
      ),
    ).toBeNull();
  });

  it("refuses tables next to an empty history (left by older booksnap versions) without touching it", async () => {
    const db = await emptyDatabase();
    const init = await readFile(join(BUNDLED_MIGRATIONS_DIR, INIT, "migration.sql"), "utf8");
    await db.withClient(async (c) => {
      await c.query(init);
      await c.query(`CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY, checksum VARCHAR(64) NOT NULL,
        finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
        started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
    });
    const run = await prepare(db.url);
    expect(run.code).toBe(ExitCode.schema);
    expect(JSON.parse(run.stdout).error.code).toBe("E_SCHEMA_NOT_EMPTY");
    expect(await history(db)).toEqual([]);
  });

  it("keeps nothing of a failing migration: neither its first statements nor a history row", async () => {
    const db = await emptyDatabase();
    const dir = await migrationsDir();
    await mkdir(join(dir, "20261220000000_broken"));
    await writeFile(
      join(dir, "20261220000000_broken", "migration.sql"),
      `ALTER TABLE "Book" ADD COLUMN "notes" TEXT;\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n`,
    );
    const run = await prepare(db.url, "--migrations", dir);
    expect(run.code).toBe(ExitCode.schema);
    expect(JSON.parse(run.stdout).error).toMatchObject({
      code: "E_MIGRATION_ERROR",
      details: { migration: "20261220000000_broken", sqlstate: "42P01" },
    });
    // The earlier migration stays applied and recorded; the broken one left no trace.
    await expectHistoryMatches(db, dir, [INIT]);
    expect(await columnExists(db, "Book", "notes")).toBe(false);
  });

  it("leaves no history table behind when the very first migration fails", async () => {
    const db = await emptyDatabase();
    const dir = await mkdtemp(join(work, "migrations-"));
    await mkdir(join(dir, "20260101000000_init"));
    await writeFile(
      join(dir, "20260101000000_init", "migration.sql"),
      `CREATE TABLE "A" (id int);\nSELECT 1/0;\n`,
    );
    const run = await prepare(db.url, "--migrations", dir);
    expect(JSON.parse(run.stdout).error.code).toBe("E_MIGRATION_ERROR");
    const left = await db.withClient(
      async (c) =>
        (await c.query(`SELECT to_regclass('_prisma_migrations') AS h, to_regclass('"A"') AS a`)).rows[0],
    );
    expect(left).toEqual({ h: null, a: null });
  });

  it("refuses another provider's migrations and an unusable directory before touching any database", async () => {
    const name = `booksnap_t_${randomBytes(6).toString("hex")}`;
    const url = databaseUrl(adminUrl(), name);
    const dir = await migrationsDir();
    await writeFile(join(dir, "migration_lock.toml"), 'provider = "mysql"\n');
    const mysql = await prepare(url, "--migrations", dir);
    expect(mysql.code).toBe(ExitCode.usage);
    expect(JSON.parse(mysql.stdout).error.code).toBe("E_MIGRATION_PROVIDER");

    const missing = await prepare(url, "--migrations", join(work, "no-such-dir"));
    expect(missing.code).toBe(ExitCode.usage);
    expect(JSON.parse(missing.stdout).error.code).toBe("E_MIGRATIONS_DIR");

    const noSql = await mkdtemp(join(work, "migrations-"));
    await mkdir(join(noSql, "20260101000000_init"));
    const withoutSql = await prepare(url, "--migrations", noSql);
    expect(JSON.parse(withoutSql.stdout).error.code).toBe("E_MIGRATIONS_DIR");

    const exists = await withAdmin((c) => c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]));
    expect(exists.rowCount).toBe(0);
  });
});
