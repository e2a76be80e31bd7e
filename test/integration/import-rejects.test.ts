import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { importSnapshot } from "../../src/import/import.js";
import { IMPORT_LOCK_KEY } from "../../src/import/staging.js";
import type { OutgoingRecord } from "../../src/snapshot/snapshot-writer.js";
import {
  addBook,
  addUser,
  collect,
  importDeps,
  importInto,
  lineOf,
  makeSnapshot,
  readRejects,
  stagingExists,
  tableCounts,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

describe("rejected records and refused imports", () => {
  it("a constraint violation lands in the dead-letter file with its line number; dev data stays as it was", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 12, listsPerUser: 1, entriesPerList: 12, seed: 2 });
    const victim = records.find((r) => r.model === "Book" && r.record.id === 4) as OutgoingRecord;
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      const dev = await addUser(c, "dev@example.com");
      const other = await addUser(c, "other@example.com");
      await addBook(c, dev, "9990000000001", "Dev's old book");
      await addBook(c, other, victim.record.isbn13 as string, "Owned elsewhere");
    });
    const before = await db.withClient(tableCounts);
    const run = await importInto(paths.manifestPath, db.url, "--user", "dev@example.com", "--yes");
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toContain("E_TOO_MANY_REJECTS");
    expect(await db.withClient(tableCounts)).toEqual(before);
    const dev = await db.withClient((c) =>
      c.query(
        `SELECT title FROM "Book" b JOIN "User" u ON u.id = b."ownerId" WHERE u.email = 'dev@example.com'`,
      ),
    );
    expect(dev.rows).toEqual([{ title: "Dev's old book" }]);
    expect(await stagingExists(db)).toBe(false);
    expect((await stat(paths.rejectsPath)).mode & 0o777).toBe(0o600);
    const rejects = await readRejects(paths.rejectsPath);
    const bookReject = rejects.find((r) => r.model === "Book");
    expect(bookReject).toMatchObject({
      line: lineOf(records, "Book", 4),
      category: "constraint",
      record: victim.record,
    });
    expect(bookReject?.reason).toContain(`isbn13 ${victim.record.isbn13}`);
    // The list entry pointing at the rejected book is rejected too, saying why.
    const entry = records.find(
      (r) => r.model === "BookInReadingList" && r.record.bookId === 4,
    ) as OutgoingRecord;
    expect(rejects).toContainEqual(
      expect.objectContaining({
        line: lineOf(records, "BookInReadingList", entry.record.id as number),
        model: "BookInReadingList",
        reason: `references Book 4, which was rejected (line ${lineOf(records, "Book", 4)})`,
      }),
    );
    expect(rejects).toHaveLength(2);

    // Allowed with --max-rejects: everything else is imported and verified.
    const summary = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, user: "dev@example.com", yes: true, maxRejects: 2 },
      importDeps(),
    );
    expect(summary.models.Book).toMatchObject({ imported: 11, rejected: 1 });
    expect(summary.models.BookInReadingList).toMatchObject({ imported: 11, rejected: 1 });
    expect(summary.rejected).toEqual({ total: 2, validation: 0, constraint: 2 });
    expect(summary.verification.Book?.comparedWith).toBe("staged");
    expect(summary.verification.ReadingList?.comparedWith).toBe("manifest");
  });

  it("invalid records (over-long isbn10, bad enum) and a duplicate isbn13 are rejected with line numbers", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 8, listsPerUser: 1, entriesPerList: 2, seed: 4 });
    const books = records.filter((r) => r.model === "Book");
    (books[1] as OutgoingRecord).record = { ...books[1]?.record, isbn10: "12345678901" };
    (books[2] as OutgoingRecord).record = { ...books[2]?.record, visibility: "SECRET" };
    (books[5] as OutgoingRecord).record = { ...books[5]?.record, isbn13: books[4]?.record.isbn13 as string };
    const { paths } = await makeSnapshot(dir, "bad", records);
    await db.withClient((c) => addUser(c, "dev@example.com"));
    const rejectsFile = join(dir, "custom-rejects.ndjson");
    const run = await importInto(paths.manifestPath, db.url, "--rejects", rejectsFile, "--json");
    expect(run.code).toBe(6);
    expect(await db.withClient(tableCounts)).toMatchObject({ Book: 0, ReadingList: 0, BookInReadingList: 0 });
    const rejects = await readRejects(rejectsFile);
    expect(rejects.map((r) => [r.line, r.category])).toEqual([
      [lineOf(records, "Book", 2), "validation"],
      [lineOf(records, "Book", 3), "validation"],
      [lineOf(records, "Book", 6), "constraint"],
    ]);
    expect(rejects[0]?.reason).toContain("isbn10");
    expect(rejects[1]?.reason).toContain("visibility");
    expect(rejects[1]?.record).toMatchObject({ id: 3, visibility: "SECRET" });
    expect(rejects[2]?.reason).toContain(`first on line ${lineOf(records, "Book", 5)}`);
    // A dry run reports what a real run would insert and reject, and still exits 6.
    await rm(rejectsFile);
    const dry = await importInto(paths.manifestPath, db.url, "--rejects", rejectsFile, "--dry-run", "--json");
    expect(dry.code).toBe(6);
    const summary = dry.json();
    expect(summary).toMatchObject({
      dryRun: true,
      committable: false,
      rejected: { total: 3, validation: 2, constraint: 1 },
    });
    expect((summary.models as Record<string, unknown>).Book).toEqual({
      inSnapshot: 8,
      imported: 5,
      skipped: 0,
      alreadyPresent: 0,
      conflicting: 0,
      combined: 0,
      renumbered: 0,
      rejected: 3,
    });
    expect(await readRejects(rejectsFile)).toHaveLength(3);
    expect(await db.withClient(tableCounts)).toMatchObject({ Book: 0, ReadingList: 0, BookInReadingList: 0 });
  });

  it("a tampered or truncated snapshot is refused before anything is written (exit 4)", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 10, seed: 1 }));
    await db.withClient((c) => addUser(c, "dev@example.com"));
    const data = await readFile(paths.dataPath);
    const flipped = Buffer.from(data);
    const middle = Math.floor(flipped.length / 2);
    flipped[middle] = (flipped[middle] as number) ^ 0xff;
    await writeFile(paths.dataPath, flipped);
    const tampered = await importInto(paths.manifestPath, db.url);
    expect(tampered.code).toBe(4);
    expect(tampered.stderr).toContain("E_DATA_SHA256");
    await writeFile(paths.dataPath, data.subarray(0, data.length - 10));
    const truncated = await importInto(paths.manifestPath, db.url);
    expect(truncated.code).toBe(4);
    expect(truncated.stderr).toContain("truncated");
    await writeFile(paths.dataPath, data);
    const manifest = await readFile(paths.manifestPath, "utf8");
    await writeFile(paths.manifestPath, manifest.replace('"formatVersion": 1', '"formatVersion": 99'));
    const future = await importInto(paths.manifestPath, db.url);
    expect(future.code).toBe(4);
    expect(future.stderr).toContain("E_FORMAT_VERSION");
    expect(await db.withClient(tableCounts)).toEqual({
      User: 1,
      Book: 0,
      ReadingList: 0,
      BookInReadingList: 0,
    });
    expect(await stagingExists(db)).toBe(false);
  });

  it("schema drift stops with the differing fields (exit 5) with --schema-drift refuse, adapts by default; a second import waits its turn (exit 8)", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 10, seed: 8 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      await addUser(c, "dev@example.com");
      await c.query(`ALTER TABLE "Book" DROP COLUMN edition, ADD COLUMN "rating" integer`);
    });
    const drift = await importInto(paths.manifestPath, db.url, "--schema-drift", "refuse");
    expect(drift.code).toBe(5);
    expect(drift.stderr).toContain("Book.edition:");
    expect(drift.stderr).toContain("Book.rating");
    const tolerated = await importSnapshot({ snapshot: paths.manifestPath, targetUrl: db.url }, importDeps());
    expect(tolerated.models.Book?.imported).toBe(10);
    expect(tolerated.verification.Book?.comparedWith).toBe("staged");
    await db.withClient((c) =>
      c.query(
        `ALTER TABLE "ReadingList" ADD COLUMN "required" text NOT NULL DEFAULT 'x'; ALTER TABLE "ReadingList" ALTER COLUMN "required" DROP DEFAULT`,
      ),
    );
    const blocking = await importInto(paths.manifestPath, db.url, "--yes");
    expect(blocking.code).toBe(5);
    expect(blocking.stderr).toContain("ReadingList.required");
    await db.withClient((c) => c.query(`ALTER TABLE "ReadingList" DROP COLUMN "required"`));

    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query("SELECT pg_advisory_lock($1, $2)", [...IMPORT_LOCK_KEY]);
      const second = await importInto(paths.manifestPath, db.url, "--yes");
      expect(second.code).toBe(8);
      expect(second.stderr).toContain("E_IMPORT_LOCKED");
    } finally {
      await holder.end();
    }
  });
});
