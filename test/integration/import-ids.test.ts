import { describe, expect, it } from "vitest";
import { addBook, addUser, collect, importInto, makeSnapshot, useImportSetup } from "./import-support.js";

const setup = useImportSetup();

describe("ids of imported rows", () => {
  it("come from the target's sequences, in source id order, and the app's next inserts do not collide", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 25, seed: 41 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    const existing = await db.withClient(async (c) => {
      const dev = await addUser(c, "dev@example.com");
      const other = await addUser(c, "other@example.com");
      // Move the Book sequence on, and leave a gap: imported ids must come after it.
      for (let i = 0; i < 5; i++) await addBook(c, other, `999000000000${i}`);
      await c.query(`SELECT nextval(pg_get_serial_sequence('"Book"', 'id'))`);
      return { dev, other, maxBook: 5 + 1 };
    });
    const run = await importInto(paths.manifestPath, db.url, "--user", "dev@example.com", "--yes", "--json");
    expect(run.code, run.stderr).toBe(0);

    const sourceIdOf = new Map(
      records
        .filter((r) => r.model === "Book")
        .map((r) => [r.record.isbn13 as string, r.record.id as number]),
    );
    await db.withClient(async (c) => {
      const books = await c.query<{ id: number; isbn13: string }>(
        `SELECT id, isbn13 FROM "Book" WHERE "ownerId" = $1 ORDER BY id`,
        [existing.dev],
      );
      expect(books.rows).toHaveLength(sourceIdOf.size);
      expect(books.rows.map((b) => b.id)).toEqual(books.rows.map((_, i) => existing.maxBook + 1 + i));
      const sourceIds = books.rows.map((b) => sourceIdOf.get(b.isbn13));
      expect(sourceIds).toEqual([...sourceIds].sort((a, b) => (a as number) - (b as number)));

      // The app inserts without ids afterwards: its sequence-given ids are free.
      const next = await addBook(c, existing.other, "9990000000099");
      expect(next).toBe(existing.maxBook + sourceIdOf.size + 1);
      const list = await c.query<{ id: number }>(
        `INSERT INTO "ReadingList" ("ownerId", title, "updatedAt") VALUES ($1, 'after', now()) RETURNING id`,
        [existing.other],
      );
      await c.query(
        `INSERT INTO "BookInReadingList" ("bookId", "readingListId", position) VALUES ($1, $2, 1)`,
        [next, list.rows[0]?.id],
      );
    });
  });
});
