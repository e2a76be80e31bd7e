import { describe, expect, it } from "vitest";
import { VerificationError } from "../../src/errors.js";
import { importSnapshot } from "../../src/import/import.js";
import {
  addBook,
  addUser,
  collect,
  importInto,
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
});
