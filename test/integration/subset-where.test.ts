import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import type { BooksnapError } from "../../src/errors.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { inReadOnlySnapshot, subsetOf } from "../helpers/subset.js";

/** The error a --where value gives, from a fresh read-only transaction. */
async function whereError(url: string, where: string): Promise<BooksnapError> {
  return inReadOnlySnapshot(url, async (c) => {
    const failure = await subsetOf(c, { where: [where] }).then(
      () => undefined,
      (error: unknown) => error as BooksnapError,
    );
    if (!failure) throw new Error(`--where ${where} was accepted`);
    return failure;
  });
}

describe("--where predicates are checked and run read-only", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 10 })));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("a syntax error is E_BAD_WHERE (exit 2) pointing at the character PostgreSQL names", async () => {
    const error = await whereError(db.url, `Book: "visibility" = = 'PUBLIC'`);
    expect(error).toMatchObject({
      code: "E_BAD_WHERE",
      exitCode: 2,
      details: { sqlstate: "42601", position: 16 },
    });
    expect(error.message).toContain("syntax error");
    expect(error.message).toContain(`${" ".repeat(15)}^ character 16`);
  });

  it("an unknown column is E_BAD_WHERE with its position", async () => {
    const error = await whereError(db.url, `Book: title <> '' AND "colour" = 'red'`);
    expect(error).toMatchObject({ code: "E_BAD_WHERE", details: { sqlstate: "42703", position: 17 } });
  });

  it("statement stacking is refused before anything runs, and the table is still there", async () => {
    const error = await whereError(db.url, `Book: 1=1; DROP TABLE "Book"`);
    expect(error).toMatchObject({ code: "E_BAD_WHERE", exitCode: 2, details: { position: 4 } });
    expect(error.message).toContain("';' ends the statement");
    const closes = await whereError(db.url, `Book: true) UNION SELECT 1 FROM "User" WHERE (true`);
    expect(closes).toMatchObject({ code: "E_BAD_WHERE", details: { position: 5 } });
    const count = await db.withClient((c) => c.query(`SELECT count(*)::int AS n FROM "Book"`));
    expect(count.rows[0]).toEqual({ n: 10 });
  });

  it("';' inside a string, quoted identifier, dollar quote or comment is just text", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, {
        where: [`Book: title <> 'a;b' AND "title" <> $x$;$x$ /* ; */ AND title <> E'\\';' -- ;`],
      });
      expect(subset?.table("Book").count).toBe(10);
    });
  });

  it("an unknown table or a missing prefix is E_BAD_WHERE listing the tables", async () => {
    const unknown = await whereError(db.url, `Shelf: true`);
    expect(unknown).toMatchObject({ code: "E_BAD_WHERE", exitCode: 2 });
    expect(unknown.hint).toContain("BookInReadingList");
    await expect(whereError(db.url, `"visibility" = 'PUBLIC'`)).resolves.toMatchObject({
      code: "E_BAD_WHERE",
    });
    await expect(whereError(db.url, `Book:   `)).resolves.toMatchObject({ code: "E_BAD_WHERE" });
  });

  it("a predicate that writes, or tries to leave read-only mode, is refused by the transaction", async () => {
    const writes = await whereError(db.url, `Book: nextval('"Book_id_seq"') > 0`);
    expect(writes).toMatchObject({ code: "E_BAD_WHERE", details: { sqlstate: "25006" } });
    const leaves = await whereError(db.url, `Book: set_config('transaction_read_only', 'off', true) = 'off'`);
    expect(leaves).toMatchObject({ code: "E_BAD_WHERE" });
  });

  it("after selecting, the transaction is still READ ONLY REPEATABLE READ and refuses writes", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, { owners: ["1"], where: [`Book: "visibility" = 'PUBLIC'`] });
      expect(subset?.table("User").count).toBeGreaterThan(0);
      const mode = await c.query(
        "SELECT current_setting('transaction_read_only') AS ro, current_setting('transaction_isolation') AS iso",
      );
      expect(mode.rows[0]).toEqual({ ro: "on", iso: "repeatable read" });
      await expect(c.query(`DELETE FROM "Book"`)).rejects.toMatchObject({ code: "25006" });
    });
  });
});
