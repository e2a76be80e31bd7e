import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/db/migrate.js";
import {
  describeLiveSchema,
  diffSchemas,
  expectedSchema,
  schemaFingerprint,
} from "../../src/db/schema-inspect.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

describe("bundled migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it("create the app's current schema: the frozen format-1 layout (0.1-0.2) with ReadingList.year as text", async () => {
    // Format 2 learns the schema from the catalog; the format-1 layout stays frozen for old
    // snapshots, so the one migration since (the app's year String?) is its only difference.
    const live = await db.withClient((c) => describeLiveSchema(c));
    expect(diffSchemas(expectedSchema(), live)).toEqual([
      {
        kind: "changed-field",
        model: "ReadingList",
        field: "year",
        expected: { name: "year", nullable: true, type: "int" },
        actual: { name: "year", nullable: true, type: "text" },
      },
    ]);
    expect(schemaFingerprint(live)).not.toBe(schemaFingerprint(expectedSchema()));
  });

  it("are recorded like prisma migrate deploy and applied only once", async () => {
    const again = await db.withClient((c) => applyMigrations(c));
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(["20261127000000_init", "20261201000000_app_schema_2025_11_25"]);
    const rows = await db.withClient((c) =>
      c.query(`SELECT migration_name, checksum FROM "_prisma_migrations"`),
    );
    expect(rows.rows).toHaveLength(2);
    for (const row of rows.rows) expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
  });
});
