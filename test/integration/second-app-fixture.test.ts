import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../helpers/db.js";

/**
 * The second test schema (test/fixtures/second-app): it loads on the test server, and its seed
 * holds the values the round-trip tests rely on, as PostgreSQL itself reports them.
 */

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "second-app");

describe("second-app fixture", () => {
  it("loads, and holds the edge values it promises", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const rows = await db.withClient(async (c) => {
        await c.query(await readFile(join(FIXTURE, "schema.sql"), "utf8"));
        await c.query(await readFile(join(FIXTURE, "seed.sql"), "utf8"));
        const { rows } = await c.query<Record<string, string | boolean | null>>(
          `SELECT id::text, manager::text, salary::text, profile::text, settings::text, badge::text,
                  tags::text, tags IS NULL AS "tagsNull", level::text
             FROM "Employee" ORDER BY "Employee".id`,
        );
        return rows;
      });
      expect(rows.map((r) => r.id)).toEqual([
        "1",
        "42",
        "43",
        "9007199254740992",
        "9007199254740993",
        "4611686018427387904",
      ]);
      const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
      // Two employees sort before their managers.
      expect(byId["9007199254740992"]?.manager).toBe("4611686018427387904");
      expect(byId["42"]?.manager).toBe("9007199254740993");
      expect(byId["1"]?.settings).toBe('{"theme": "dark",  "theme": "light"}');
      expect(byId["4611686018427387904"]?.profile).toBe("null");
      expect(byId["9007199254740992"]?.profile).toBeNull();
      expect(byId["9007199254740993"]?.badge).toBe("\\x");
      expect(byId["4611686018427387904"]?.tags).toBe('{kernel,NULL,""}');
      expect(byId["9007199254740993"]).toMatchObject({ tags: "{}", tagsNull: false });
      expect(byId["9007199254740992"]).toMatchObject({ tags: null, tagsNull: true });
      expect(byId["43"]?.level).toBe("junior");
    } finally {
      await db.drop();
    }
  });

  it("has config files whose Employee rules name every column of the table, and only those", async () => {
    const db = await createTestDatabase({ migrate: false });
    try {
      const columns = await db.withClient(async (c) => {
        await c.query(await readFile(join(FIXTURE, "schema.sql"), "utf8"));
        const { rows } = await c.query<{ name: string }>(
          `SELECT column_name AS name FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = 'Employee'`,
        );
        return rows.map((row) => row.name).sort();
      });
      for (const name of ["booksnap.config.json", "booksnap.owners.config.json"]) {
        const config = JSON.parse(await readFile(join(FIXTURE, name), "utf8"));
        expect(Object.keys(config.redaction.Employee).sort(), name).toEqual(columns);
      }
    } finally {
      await db.drop();
    }
  });
});
