import { describe, expect, it } from "vitest";
import { importSnapshot } from "../../src/import/import.js";
import {
  actualLibrary,
  addBook,
  addUser,
  collect,
  expectedLibrary,
  importDeps,
  importInto,
  makeSnapshot,
  runImportCli,
  stagingExists,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

describe("import round trip", () => {
  it("reproduces every field of every book, list and entry (ids and owners remapped onto the dev user)", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 4, books: 120, listsPerUser: 3, entriesPerList: 8, seed: 7 });
    const { paths, manifest } = await makeSnapshot(dir, "lib", records);
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    const summary = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, batchSize: 50 },
      importDeps(),
    );
    expect(summary.user).toEqual({ id: devId, email: "dev@example.com", created: false });
    expect(summary.models.Book).toEqual({
      inSnapshot: 120,
      imported: 120,
      skipped: 0,
      alreadyPresent: 0,
      conflicting: 0,
      combined: 0,
      renumbered: 0,
      rejected: 0,
    });
    // Entries combined by the favourites rules (owners collapse) are not rows of their own.
    const entries = summary.models.BookInReadingList;
    expect((entries?.imported ?? 0) + (entries?.combined ?? 0)).toBe(manifest.models.BookInReadingList.count);
    expect(summary.verification.Book?.comparedWith).toBe("manifest");
    expect(summary.batches).toBeGreaterThan(3);
    expect(summary.timings).toEqual({ stagingMs: expect.any(Number), finalMs: expect.any(Number) });
    const actual = await db.withClient((c) => actualLibrary(c, devId));
    expect(actual).toEqual(expectedLibrary(records));
    // Staging is gone.
    expect(await stagingExists(db)).toBe(false);
  });

  it("imports an encrypted snapshot with its passphrase, and asks for one without it", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 15, seed: 12 });
    const { paths } = await makeSnapshot(dir, "secret", records, {
      writer: { encryption: { passphrase: "correct horse battery staple" } },
    });
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    const missing = await importInto(paths.manifestPath, db.url);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("E_NO_PASSPHRASE");
    const run = await runImportCli(["import", paths.manifestPath, "--to", db.url, "--json"], {
      BOOKSNAP_PASSPHRASE: "correct horse battery staple",
    });
    expect(run.code, run.stderr).toBe(0);
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
  });

  it("an empty library replaces the dev user's books with nothing (digests of zero records still verify)", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 0, seed: 13 });
    const { paths, manifest } = await makeSnapshot(dir, "empty", records);
    expect(manifest.models.Book.count).toBe(0);
    const devId = await db.withClient(async (c) => {
      const id = await addUser(c, "dev@example.com");
      await addBook(c, id, "9990000000001");
      return id;
    });
    const summary = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, yes: true },
      importDeps(),
    );
    expect(summary.deleted.Book).toBe(1);
    expect(summary.models.ReadingList?.imported).toBe(3);
    expect(summary.verification.Book).toMatchObject({ verified: 0, comparedWith: "manifest" });
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
  });
});
