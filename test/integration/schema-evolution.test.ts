import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CompatibilityReport } from "../../src/schema/compatibility.js";
import type { TestDatabase } from "../helpers/db.js";
import {
  booksnap,
  columnsOf,
  expectExit,
  fixSession,
  HISTORY,
  jsonOf,
  textRows,
  useDatabases,
  useWorkDir,
} from "./e2e-support.js";

/**
 * Issue 11, "Done when" 3: the app's next migration — a new nullable column, a new boolean column
 * (NOT NULL DEFAULT false) and a new enum value — needs no code change. On the bundled schema plus
 * that migration, export succeeds (built CLI, no flag), `booksnap check` against a dev database
 * without them says what import will do (drop the two columns, send the records holding the new
 * label to the dead-letter file), and import does exactly that, checked by SQL on the target.
 */

const newDatabase = useDatabases();
const work = useWorkDir("booksnap-e2e-evolution-");

const NEXT_MIGRATION = `
ALTER TABLE "Book" ADD COLUMN "subtitle" TEXT;
ALTER TABLE "Book" ADD COLUMN "isFavorite" BOOLEAN NOT NULL DEFAULT false;
ALTER TYPE "ReadingListType" ADD VALUE 'WISHLIST';
`;
/** After the state-13 seed (the bundled schema's): the new columns set on some rows, a wishlist with an entry. */
const NEXT_SEED = `
UPDATE "Book" SET "subtitle" = 'Roman in zwei Bänden', "isFavorite" = true WHERE id = 2;
UPDATE "Book" SET "subtitle" = '' WHERE id = 3;
INSERT INTO "ReadingList" ("id", "ownerId", "title", "description", "visibility", "type", "year", "createdAt", "updatedAt")
VALUES (4, 2, 'Wishlist', NULL, 'PRIVATE', 'WISHLIST', NULL, '2025-12-01 07:00:00', '2025-12-01 07:00:00');
INSERT INTO "BookInReadingList" ("id", "bookId", "readingListId", "position", "notes", "addedAt")
VALUES (5, 3, 4, 0, 'for my birthday', '2025-12-01 07:01:00');
`;
const SNAPSHOT_NAME = "next";

let source: TestDatabase;
let snapshot: string;

async function devDatabase(): Promise<TestDatabase> {
  const db = await newDatabase(); // the bundled migrations: the app's current schema
  await db.withClient((c) =>
    c.query(
      `INSERT INTO "User" ("clerkId", "email", "updatedAt") VALUES ('user_dev', 'dev@example.com', '2025-01-01')`,
    ),
  );
  return db;
}

interface ImportJson {
  models: Record<string, { inSnapshot: number; imported: number; rejected: number }>;
  rejectsFile: string;
}

/** The target after the import holds what the report promised (see the describe's comment). */
async function expectImportedAsPromised(target: TestDatabase, summary: ImportJson, rejects: string) {
  // The two new columns were dropped: the target still lacks them, and has the rest.
  const columns = await target.withClient((c) => columnsOf(c, "Book"));
  expect(columns).not.toContain("subtitle");
  expect(columns).not.toContain("isFavorite");
  // Every other value is the source's.
  const query = async (db: TestDatabase, sql: string) =>
    db.withClient(async (c) => {
      await fixSession(c);
      return textRows(c, sql);
    });
  const bookColumns = columns.filter((c) => c !== "id" && c !== "ownerId").map((c) => `"${c}"`);
  const books = `SELECT ${bookColumns.join(", ")} FROM "Book" ORDER BY "isbn13"`;
  expect(await query(target, books)).toEqual(await query(source, books));
  const lists = `SELECT "title", "description", "visibility", "type", "year", "coverImage", "createdAt", "updatedAt" FROM "ReadingList" ORDER BY "title"`;
  const sourceLists = await query(source, lists);
  // The wishlist is the one record the report said would be rejected; the rest are there.
  expect(await query(target, lists)).toEqual(sourceLists.filter((l) => l.type !== "WISHLIST"));
  const entries = `SELECT b."isbn13", l."title", e."position", e."notes", e."addedAt" FROM "BookInReadingList" e
                     JOIN "Book" b ON b.id = e."bookId" JOIN "ReadingList" l ON l.id = e."readingListId" ORDER BY 1, 2`;
  // Its entry cannot load without it.
  expect(await query(target, entries)).toEqual(
    (await query(source, entries)).filter((e) => e.title !== "Wishlist"),
  );
  expect(summary.models.ReadingList?.rejected).toBe(1);
  const dead = (await readFile(rejects, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(dead.find((d) => d.model === "ReadingList" || d.table === "ReadingList")).toMatchObject({
    reason: expect.stringContaining("WISHLIST"),
  });
}

describe("the app's next migration: a nullable column, a boolean column and an enum value", {
  timeout: 120_000,
}, () => {
  beforeAll(async () => {
    source = await newDatabase();
    await source.withClient(async (c) => {
      await c.query(await readFile(join(HISTORY, "seeds", "20251125192739_app_settings.sql"), "utf8"));
      await c.query(NEXT_MIGRATION);
      await c.query(NEXT_SEED);
    });
    snapshot = join(work.path, SNAPSHOT_NAME);
  });

  it("exports with no code change and no flag, and the snapshot records the new columns and label", async () => {
    const run = await booksnap(["export", "--from", source.url, "--out", work.path, "--name", SNAPSHOT_NAME]);
    expectExit(run, 0, "export");
    expectExit(await booksnap(["verify", snapshot]), 0, "verify");
    const manifest = await readFile(`${snapshot}.manifest.json`, "utf8");
    for (const name of ['"subtitle"', '"isFavorite"', '"WISHLIST"']) expect(manifest).toContain(name);
  });

  it("check says what import will do into a dev database without them", async () => {
    const target = await devDatabase();
    const run = await booksnap(["check", snapshot, "--to", target.url, "--json"]);
    expectExit(run, 6, "check");
    const { report } = jsonOf<{ report: CompatibilityReport }>(run);
    expect(report.verdict).toBe("records-rejected");
    const book = report.tables.find((t) => t.table === "Book");
    expect(book?.columns.filter((a) => a.action === "drop").map((a) => a.column)).toEqual([
      "subtitle",
      "isFavorite",
    ]);
    const entries = report.entries.map((e) => [e.table, e.column, e.code]);
    expect(entries).toContainEqual(["Book", "subtitle", "COLUMN_ONLY_IN_SNAPSHOT"]);
    expect(entries).toContainEqual(["Book", "isFavorite", "COLUMN_ONLY_IN_SNAPSHOT"]);
    expect(entries).toContainEqual(["ReadingList", "type", "ENUM_VALUES_MISSING"]);
    expect(report.tables.find((t) => t.table === "ReadingList")?.recordRules).toEqual([
      { rule: "enum-value-missing", column: "type", values: ["WISHLIST"] },
    ]);
  });

  it("import with no flag stops on the rejected records, as the report says, and changes nothing", async () => {
    const target = await devDatabase();
    const run = await booksnap(["import", snapshot, "--to", target.url, "--user", "dev@example.com"]);
    // records-rejected: "import stops unless --max-rejects allows them" (exit 6, target unchanged).
    expectExit(run, 6, "import with no flag");
    const counts = await target.withClient((c) =>
      textRows(
        c,
        `SELECT (SELECT count(*) FROM "Book")::text AS b, (SELECT count(*) FROM "ReadingList")::text AS l`,
      ),
    );
    expect(counts).toEqual([{ b: "0", l: "0" }]);
  });

  it("import allowing the rejects (and nothing else) drops the new columns and dead-letters the wishlist", async () => {
    const target = await devDatabase();
    const rejects = join(work.path, "no-drift-flag.rejects.ndjson");
    const run = await booksnap([
      "import",
      snapshot,
      "--to",
      target.url,
      "--user",
      "dev@example.com",
      "--max-rejects",
      "10",
      "--rejects",
      rejects,
      "--json",
    ]);
    expectExit(run, 0, "import --max-rejects");
    await expectImportedAsPromised(target, jsonOf<ImportJson>(run), rejects);
  });

  it("import with --schema-drift tolerate does the same", async () => {
    const target = await devDatabase();
    const rejects = join(work.path, "tolerate.rejects.ndjson");
    const run = await booksnap([
      "import",
      snapshot,
      "--to",
      target.url,
      "--user",
      "dev@example.com",
      "--schema-drift",
      "tolerate",
      "--max-rejects",
      "10",
      "--rejects",
      rejects,
      "--json",
    ]);
    expectExit(run, 0, "import --schema-drift tolerate --max-rejects");
    await expectImportedAsPromised(target, jsonOf<ImportJson>(run), rejects);
  });
});
