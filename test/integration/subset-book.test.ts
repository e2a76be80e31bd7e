import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { BOOK_OWNERS, inReadOnlySnapshot, selectedValues, subsetOf } from "../helpers/subset.js";

/** Book n belongs to user ((n-1) % 4) + 1; user u has lists 2u-1 and 2u. */
const booksOf = (user: number) => Array.from({ length: 10 }, (_, i) => user + 4 * i);

describe("subset selection on the book schema", () => {
  let db: TestDatabase;
  /** Entry ids of each list, read independently of the code under test. */
  let entriesOfList: Map<number, number[]>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient(async (c) => {
      await loadLibrary(c, generateLibrary({ users: 4, books: 40, listsPerUser: 2, entriesPerList: 5 }));
      // User 1's list 1 holds book 3 (user 3's); user 3's list 5 holds book 1 (user 1's).
      await c.query(
        `INSERT INTO "BookInReadingList" (id, "bookId", "readingListId", "addedAt") VALUES (1000, 3, 1, now()), (1001, 1, 5, now())`,
      );
      const { rows } = await c.query<{ id: number; list: number }>(
        `SELECT id, "readingListId" AS list FROM "BookInReadingList" ORDER BY id`,
      );
      entriesOfList = new Map();
      for (const r of rows) entriesOfList.set(r.list, [...(entriesOfList.get(r.list) ?? []), r.id]);
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const entries = (...lists: number[]) =>
    lists.flatMap((l) => entriesOfList.get(l) ?? []).sort((a, b) => a - b);

  it("--owner: the owner's rows, entries of their lists, referenced books and their owners (today's selection)", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, { owners: ["Reader1@Example.com"] });
      if (!subset) throw new Error("expected a subset");
      expect(subset.owners).toEqual([{ id: "1", email: "reader1@example.com" }]);
      expect(await selectedValues(c, subset, "User")).toEqual([1, 3]);
      expect(await selectedValues(c, subset, "Book")).toEqual([...booksOf(1), 3].sort((a, b) => a - b));
      expect(await selectedValues(c, subset, "ReadingList")).toEqual([1, 2]);
      // Entry 1001 (user 3's list holding user 1's book) is user 3's, not exported.
      expect(await selectedValues(c, subset, "BookInReadingList")).toEqual(entries(1, 2));
      expect(entries(1, 2)).toContain(1000);
      expect(subset.addedByReference).toEqual({ User: 1, Book: 1 });
      expect(subset.tables.map((t) => [t.table, t.count])).toEqual([
        ["AppSettings", 0], // no foreign key to an owner: a subset takes none of its rows
        ["User", 2],
        ["Book", 11],
        ["ReadingList", 2],
        ["BookInReadingList", 11],
      ]);
    });
  });

  it("without belongsThrough a child row belongs through every foreign key (a superset, still closed)", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, {
        owners: ["1"],
        scope: { table: "User", idColumn: "id", emailColumn: "email" },
      });
      if (!subset) throw new Error("expected a subset");
      expect(await selectedValues(c, subset, "BookInReadingList")).toEqual([...entries(1, 2), 1001]);
      expect(await selectedValues(c, subset, "ReadingList")).toEqual([1, 2, 5]);
      expect(subset.addedByReference).toEqual({ User: 1, Book: 1, ReadingList: 1 });
    });
  });

  it("--where: matching rows closed under references, without their children", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, {
        where: ["BookInReadingList: id = 1001", '"ReadingList": "id" = 4 AND title IS NOT NULL'],
      });
      if (!subset) throw new Error("expected a subset");
      expect(await selectedValues(c, subset, "BookInReadingList")).toEqual([1001]);
      expect(await selectedValues(c, subset, "ReadingList")).toEqual([4, 5]);
      expect(await selectedValues(c, subset, "Book")).toEqual([1]);
      expect(await selectedValues(c, subset, "User")).toEqual([1, 2, 3]);
      expect(subset.addedByReference).toEqual({ User: 3, Book: 1, ReadingList: 1 });
      expect(subset.where).toEqual([
        { table: "BookInReadingList", predicate: "id = 1001" },
        { table: "ReadingList", predicate: '"id" = 4 AND title IS NOT NULL' },
      ]);
    });
  });

  it("several predicates on one table OR together; --owner and --where add up", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, {
        owners: ["reader2@example.com"],
        where: ["Book: id = 1", "Book: id = 3", "book: id = 6"],
      });
      if (!subset) throw new Error("expected a subset");
      expect(await selectedValues(c, subset, "Book")).toEqual([1, 3, ...booksOf(2)].sort((a, b) => a - b));
      expect(await selectedValues(c, subset, "User")).toEqual([1, 2, 3]);
      expect(await selectedValues(c, subset, "ReadingList")).toEqual([3, 4]);
      expect(await selectedValues(c, subset, "BookInReadingList")).toEqual(entries(3, 4));
      // Book 6 is user 2's own (owned, not added); users 1 and 3 come with books 1 and 3.
      expect(subset.addedByReference).toEqual({ User: 2 });
    });
  });

  it("conditions read the same rows with parameters and inlined (COPY), and no filter means null", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, { owners: ["1"] });
      if (!subset) throw new Error("expected a subset");
      const inline = subset.table("Book").inlineCondition(null);
      const { rows } = await c.query<{ id: number }>(`SELECT id FROM "Book" WHERE ${inline} ORDER BY id`);
      expect(rows.map((r) => r.id)).toEqual(await selectedValues(c, subset, "Book"));
      expect(subset.table("Book").condition("b", 3).sql).toBe('"b"."id" = ANY($3::integer[])');
      expect((await subsetOf(c, {})).subset).toBeNull();
    });
  });

  it("unknown owners are a usage error naming them", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      await expect(subsetOf(c, { owners: ["1", "nobody@example.com", "99"] })).rejects.toMatchObject({
        code: "E_UNKNOWN_OWNER",
        exitCode: 2,
        details: { unknown: ["nobody@example.com", "99"] },
      });
    });
  });

  it("an owners configuration that does not fit the schema is refused before any query", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      await expect(
        subsetOf(c, {
          owners: ["1"],
          scope: { ...BOOK_OWNERS, idColumn: "uid", belongsThrough: { BookInReadingList: ["listId"] } },
        }),
      ).rejects.toMatchObject({ code: "E_OWNERS_CONFIG", exitCode: 2 });
      await expect(subsetOf(c, { owners: ["1"], scope: null })).rejects.toMatchObject({
        code: "E_BAD_OWNER",
      });
    });
  });
});
