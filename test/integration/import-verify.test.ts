import { describe, expect, it } from "vitest";
import { VerificationError } from "../../src/errors.js";
import { importSnapshot } from "../../src/import/import.js";
import {
  addBook,
  addUser,
  collect,
  importInto,
  lineOf,
  makeSnapshot,
  tableCounts,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

/** A target-side trigger that silently rewrites one book's title: verification must notice. */
const REWRITING_TRIGGER = `
  CREATE FUNCTION rewrite_title() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.isbn13 = '9780000000007' THEN NEW.title := NEW.title || ' (edited)'; END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER rewrite_title BEFORE INSERT ON "Book" FOR EACH ROW EXECUTE FUNCTION rewrite_title();`;

describe("verification before commit", () => {
  it("a record changed on its way in rolls everything back and names it (exit 7)", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 2, books: 20, seed: 31 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      const dev = await addUser(c, "dev@example.com");
      await addBook(c, dev, "9990000000001", "Kept");
      await c.query(REWRITING_TRIGGER);
    });
    const before = await db.withClient(tableCounts);
    const run = await importInto(paths.manifestPath, db.url, "--yes", "--json");
    expect(run.code).toBe(7);
    const error = run.json().error as { code: string; details: { differences: unknown[] } };
    expect(error.code).toBe("E_VERIFY_MISMATCH");
    expect(error.details.differences).toEqual([
      { model: "Book", sourceId: 7, line: 2 + 7, fields: ["title"] },
    ]);
    expect(await db.withClient(tableCounts)).toEqual(before);
    const kept = await db.withClient((c) => c.query(`SELECT title FROM "Book"`));
    expect(kept.rows).toEqual([{ title: "Kept" }]);
    const staging = await db.withClient((c) =>
      c.query("SELECT 1 FROM pg_namespace WHERE nspname = 'booksnap_staging'"),
    );
    expect(staging.rowCount).toBe(0);
  });

  it("a row pointing at another owner rolls back, though its digest (source ids) matches", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 2, books: 20, seed: 33 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      await addUser(c, "dev@example.com");
      const other = await addUser(c, "other@example.com");
      await c.query(`
        CREATE FUNCTION steal_book() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.isbn13 = '9780000000007' THEN NEW."ownerId" := ${other}; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER steal_book BEFORE INSERT ON "Book" FOR EACH ROW EXECUTE FUNCTION steal_book();`);
    });
    const before = await db.withClient(tableCounts);
    const run = await importInto(paths.manifestPath, db.url, "--user", "dev@example.com", "--yes", "--json");
    expect(run.code).toBe(7);
    const error = run.json().error as { code: string; details: { differences: unknown[] } };
    expect(error.code).toBe("E_VERIFY_MISMATCH");
    expect(error.details.differences).toEqual([
      { model: "Book", sourceId: 7, line: lineOf(records, "Book", 7), fields: ["ownerId"] },
    ]);
    expect(await db.withClient(tableCounts)).toEqual(before);
  });

  it("a row that never arrived rolls back and is named", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 20, seed: 34 });
    // A book no list entry points at, so only verification can notice it is missing.
    const listed = new Set(
      records.filter((r) => r.model === "BookInReadingList").map((r) => r.record.bookId),
    );
    const lost = records.find((r) => r.model === "Book" && !listed.has(r.record.id));
    if (!lost) throw new Error("every generated book is in a list");
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      await addUser(c, "dev@example.com");
      await c.query(`
        CREATE FUNCTION lose_book() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.isbn13 = '${String(lost.record.isbn13)}' THEN RETURN NULL; END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER lose_book BEFORE INSERT ON "Book" FOR EACH ROW EXECUTE FUNCTION lose_book();`);
    });
    const run = await importInto(paths.manifestPath, db.url, "--yes", "--json");
    expect(run.code).toBe(7);
    const error = run.json().error as { code: string; details: { differences: unknown[] } };
    expect(error.details.differences).toEqual([
      {
        model: "Book",
        sourceId: lost.record.id,
        line: lineOf(records, "Book", lost.record.id as number),
        fields: ["(missing)"],
      },
    ]);
    expect(await db.withClient(tableCounts)).toMatchObject({ Book: 0 });
  });

  it("with rejects allowed, the comparison is field by field against the staged records", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 10, seed: 32 });
    const book3 = records.find((r) => r.model === "Book" && r.record.id === 3);
    if (book3) book3.record = { ...book3.record, visibility: "NOPE" };
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      await addUser(c, "dev@example.com");
      await c.query(REWRITING_TRIGGER);
    });
    const error = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, maxRejects: 10 },
      { now: () => new Date(), signal: new AbortController().signal },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).details.differences).toEqual([
      { model: "Book", sourceId: 7, line: 1 + 7, fields: ["title"] },
    ]);
    expect(await db.withClient(tableCounts)).toMatchObject({ Book: 0 });
  });

  it("a second FAVORITES_ALL list for the dev user (here made by a target trigger) breaks the app's rule: rolled back (exit 7, E_VERIFY_RULE)", async () => {
    const { db, dir } = await setup();
    // The first seed whose generated owner has an all-time favourites list.
    let records: Awaited<ReturnType<typeof collect>> = [];
    for (let seed = 1; seed < 50; seed++) {
      records = await collect({ users: 1, books: 12, seed });
      if (records.some((r) => r.model === "ReadingList" && r.record.type === "FAVORITES_ALL")) break;
    }
    expect(records.some((r) => r.model === "ReadingList" && r.record.type === "FAVORITES_ALL")).toBe(true);
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      await addUser(c, "dev@example.com");
      await c.query(`
        CREATE FUNCTION second_favourites() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.type = 'FAVORITES_ALL' AND pg_trigger_depth() = 1 THEN
            INSERT INTO "ReadingList" ("ownerId", title, type, "updatedAt")
            VALUES (NEW."ownerId", 'Sneaked in', 'FAVORITES_ALL', now());
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER second_favourites AFTER INSERT ON "ReadingList" FOR EACH ROW EXECUTE FUNCTION second_favourites();`);
    });
    const before = await db.withClient(tableCounts);
    const run = await importInto(paths.manifestPath, db.url, "--user", "dev@example.com", "--yes", "--json");
    expect(run.code, run.stderr).toBe(7);
    const error = run.json().error as { code: string; message: string };
    expect(error.code).toBe("E_VERIFY_RULE");
    expect(error.message).toContain("one FAVORITES_ALL reading list per owner");
    expect(await db.withClient(tableCounts)).toEqual(before);
  });

  it("a target without a rule's column (an older app version) has no such rule: the others still hold", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 3, books: 30, listsPerUser: 6, seed: 7 });
    const lists = records.filter((r) => r.model === "ReadingList").map((r) => r.record);
    const favouritesAll = lists.filter((l) => l.type === "FAVORITES_ALL").length;
    const favouritesYear = lists.filter((l) => l.type === "FAVORITES_YEAR").length;
    expect(favouritesAll).toBeGreaterThan(1);
    expect(favouritesYear).toBeGreaterThan(0);
    const { paths } = await makeSnapshot(dir, "lib", records);
    const devId = await db.withClient(async (c) => {
      const id = await addUser(c, "dev@example.com");
      await c.query(`ALTER TABLE "ReadingList" DROP COLUMN year`);
      return id;
    });
    const summary = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, user: "dev@example.com", yes: true },
      { now: () => new Date(), signal: new AbortController().signal },
    );
    expect(summary.combined.map((c) => c.rule)).toEqual(["one FAVORITES_ALL reading list per owner"]);
    const byType = await db.withClient(async (c) => {
      const { rows } = await c.query<{ type: string; n: number }>(
        `SELECT type::text AS type, count(*)::int AS n FROM "ReadingList" WHERE "ownerId" = $1 GROUP BY 1`,
        [devId],
      );
      return Object.fromEntries(rows.map((r) => [r.type, r.n]));
    });
    expect(byType.FAVORITES_ALL).toBe(1);
    expect(byType.FAVORITES_YEAR).toBe(favouritesYear);
  });
});
