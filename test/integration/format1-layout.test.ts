import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareSchemas } from "../../src/schema/compatibility.js";
import { introspectSchema } from "../../src/schema/introspect.js";
import { FORMAT1_SCHEMA } from "../../src/snapshot/format1-layout.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/**
 * The frozen format-1 description is exactly what introspection reads from a database built by
 * the migration format-1 snapshots were written under (booksnap 0.1-0.2's init migration, kept
 * as test/fixtures/format1-init.sql): a format-1 snapshot checked against such a database is
 * identical, table for table.
 */
describe("format-1 layout", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    const sql = await readFile(join(import.meta.dirname, "..", "fixtures", "format1-init.sql"), "utf8");
    await db.withClient((c) => c.query(sql));
  });
  afterAll(() => db?.drop());

  it("equals the introspected description of the format-1 era schema, field for field", async () => {
    const { description, unsupported } = await db.withClient((c) => introspectSchema(c));
    expect(unsupported).toEqual([]);
    expect(description).toEqual(FORMAT1_SCHEMA);
    const report = compareSchemas(FORMAT1_SCHEMA, description);
    expect(report.verdict).toBe("ok");
    expect(report.entries.map((e) => e.code)).toEqual(Array(4).fill("TABLE_IDENTICAL"));
  });
});
