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

  it("create exactly the schema booksnap expects", async () => {
    const live = await db.withClient((c) => describeLiveSchema(c));
    expect(diffSchemas(expectedSchema(), live)).toEqual([]);
    expect(schemaFingerprint(live)).toBe(schemaFingerprint(expectedSchema()));
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
