import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_FOREIGN_KEY_INDEXES } from "../../src/dataset/app-indexes.js";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { inReadOnlySnapshot, subsetOf } from "../helpers/subset.js";

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Plans?: PlanNode[];
}

const scans = (node: PlanNode): string[] => [
  ...(node["Relation Name"] ? [`${node["Node Type"]} on ${node["Relation Name"]}`] : []),
  ...(node.Plans ?? []).flatMap(scans),
];

describe("one-owner subset queries are index lookups", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient(async (c) => {
      await loadLibrary(
        c,
        generateLibrary({ users: 2000, books: 20_000, listsPerUser: 3, entriesPerList: 5 }),
      );
      // Entries pointing at other owners' books, so the closure has work to do.
      await c.query(
        `INSERT INTO "BookInReadingList" ("bookId", "readingListId", "addedAt") VALUES (2, 1, now()), (3, 2, now())`,
      );
      await c.query(APP_FOREIGN_KEY_INDEXES);
      await c.query("ANALYZE");
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("every statement of a one-owner selection plans without a sequential scan", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const queries: Array<{ text: string; values: string[] }> = [];
      const { subset } = await subsetOf(c, {
        owners: ["reader1@example.com"],
        onQuery: (q) => queries.push(q),
      });
      expect(subset?.addedByReference).toEqual({ Book: 2, User: 2 });
      expect(queries.length).toBeGreaterThanOrEqual(6);
      const plans: string[][] = [];
      for (const q of queries) {
        const { rows } = await c.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>({
          text: `EXPLAIN (FORMAT JSON) ${q.text}`,
          values: q.values,
        });
        const plan = rows[0]?.["QUERY PLAN"][0]?.Plan;
        if (!plan) throw new Error("no plan");
        plans.push(scans(plan));
      }
      const all = plans.flat();
      expect(
        all.filter((s) => s.startsWith("Seq Scan")),
        JSON.stringify(plans, null, 1),
      ).toEqual([]);
      expect(all).toEqual(expect.arrayContaining([expect.stringMatching(/Index.* on Book$/)]));
      expect(all).toEqual(expect.arrayContaining([expect.stringMatching(/Index.* on BookInReadingList$/)]));
    });
  });

  it("a subset larger than one fetch and one batch is complete (read in chunks, looked up in batches)", async () => {
    await inReadOnlySnapshot(db.url, async (c) => {
      const { subset } = await subsetOf(c, {
        where: ["Book: id > 5", `"BookInReadingList": "position" >= 0`],
      });
      if (!subset) throw new Error("expected a subset");
      // Independent of the code under test: every entry, so every list and user; books > 5 plus referenced ones.
      const { rows } = await c.query<{ books: number; entries: number; lists: number; users: number }>(
        `SELECT (SELECT count(*)::int FROM "Book" WHERE id > 5 OR id IN (SELECT "bookId" FROM "BookInReadingList")) AS books,
                (SELECT count(*)::int FROM "BookInReadingList") AS entries,
                (SELECT count(*)::int FROM "ReadingList") AS lists, (SELECT count(*)::int FROM "User") AS users`,
      );
      const expected = rows[0];
      if (!expected) throw new Error("no counts");
      expect(expected.books).toBeGreaterThan(10_000);
      expect(subset.tables.map((t) => t.count)).toEqual([
        0, // AppSettings: not owned
        expected.users,
        expected.books,
        expected.lists,
        expected.entries,
      ]);
      expect(subset.addedByReference).toEqual({
        User: expected.users,
        ReadingList: expected.lists,
        Book: expected.books - 19_995,
      });
    });
  });
});
