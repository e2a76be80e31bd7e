import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseOwnerRefs } from "../../src/export/selection.js";
import { selectSubset } from "../../src/export/subset.js";
import { parseWherePredicates } from "../../src/export/where-predicate.js";
import { introspectSchema } from "../../src/schema/introspect.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { inReadOnlySnapshot } from "../helpers/subset.js";

/**
 * A partitioned table without a primary key (usual: a partitioned table's key must include the
 * partition column) is keyed by row location. A ctid is unique only within one partition: two
 * owners' rows at (0,1) of two partitions must not select each other.
 */
describe("subset of a partitioned table without a primary key", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient((c) =>
      c.query(`
        CREATE TABLE "Person" (id int PRIMARY KEY, email text UNIQUE);
        INSERT INTO "Person" VALUES (1, 'ann@x'), (2, 'bob@x');
        CREATE TABLE "Event" ("personId" int NOT NULL REFERENCES "Person", at date NOT NULL, note text)
          PARTITION BY RANGE (at);
        CREATE TABLE "Event_jan" PARTITION OF "Event" FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
        CREATE TABLE "Event_feb" PARTITION OF "Event" FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
        INSERT INTO "Event" VALUES (1, '2024-01-05', 'ann in January'), (2, '2024-02-05', 'bob in February');`),
    );
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function selectedNotes(args: { owners?: string[]; where?: string[] }) {
    return inReadOnlySnapshot(db.url, async (c) => {
      const { description } = await introspectSchema(c);
      const subset = await selectSubset(c, description, {
        owners: { table: "Person", idColumn: "id", emailColumn: "email" },
        ownerRefs: parseOwnerRefs(args.owners ?? []),
        where: parseWherePredicates(args.where ?? [], description),
      });
      if (!subset) throw new Error("no subset");
      const { sql, values } = subset.table("Event").condition("e", 1);
      const byParams = await c.query(`SELECT note FROM "Event" e WHERE ${sql} ORDER BY 1`, values);
      const inlined = await c.query(
        `SELECT note FROM "Event" e WHERE ${subset.table("Event").inlineCondition("e")} ORDER BY 1`,
      );
      expect(inlined.rows).toEqual(byParams.rows);
      return { count: subset.table("Event").count, notes: byParams.rows.map((r) => r.note) };
    });
  }

  it("--owner selects only the owner's rows, not the other partition's row at the same ctid", async () => {
    expect(await selectedNotes({ owners: ["ann@x"] })).toEqual({ count: 1, notes: ["ann in January"] });
    expect(await selectedNotes({ owners: ["2"] })).toEqual({ count: 1, notes: ["bob in February"] });
  });

  it("--where selects only the matching row", async () => {
    expect(await selectedNotes({ where: [`Event: note LIKE 'bob%'`] })).toEqual({
      count: 1,
      notes: ["bob in February"],
    });
  });
});
