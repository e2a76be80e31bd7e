import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import type { TestDatabase } from "../helpers/db.js";
import {
  booksnap,
  expectExit,
  fixSession,
  type TextRow,
  textRows,
  useDatabases,
  useWorkDir,
} from "./e2e-support.js";

/**
 * Issue 11, item 6 and "Done when" 2: a second app unrelated to books (test/fixtures/second-app:
 * uuid keys, a bigint identity key beyond 2^53, a self-referencing manager chain in which people
 * sort before their managers, numeric with 50 digits, json as written, jsonb, bytea, NULL vs
 * empty arrays) exports, verifies and imports with the same build and nothing but its config
 * file. The export is made with --no-redact so every field can be compared exactly (the config's
 * rules pseudonymise email and name and null the badge); the import gets only the connection and
 * --config. Compared by SQL in PostgreSQL's text output: Team by its uuid key (kept), Employee by
 * email (its bigint identity key may be renumbered by the target's sequence), manager through the
 * manager's email.
 */

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "second-app");
const CONFIG = join(FIXTURE, "booksnap.config.json");
const newDatabase = useDatabases();
const work = useWorkDir("booksnap-e2e-second-app-");

async function appDatabase(seed: boolean): Promise<TestDatabase> {
  const db = await newDatabase({ migrate: false });
  await db.withClient(async (c) => {
    await c.query(await readFile(join(FIXTURE, "schema.sql"), "utf8"));
    if (seed) await c.query(await readFile(join(FIXTURE, "seed.sql"), "utf8"));
  });
  return db;
}

async function comparable(client: pg.ClientBase): Promise<Record<string, TextRow[]>> {
  await fixSession(client);
  return {
    Team: await textRows(client, `SELECT * FROM "Team" ORDER BY id`),
    Employee: await textRows(
      client,
      `SELECT e."email", e."team", m."email" AS "managerEmail", e."fullName", e."salary", e."active",
              e."profile", e."settings", e."badge", e."startDate", e."tags", e."tags" IS NULL AS "tagsIsNull",
              e."level", pg_typeof(e."id")::text AS "idType"
         FROM "Employee" e LEFT JOIN "Employee" m ON m.id = e."manager"
        ORDER BY e."email"`,
    ),
  };
}

describe("a second app, unrelated to books, with only a config file", () => {
  it("exports, verifies and imports every field exactly", async () => {
    const source = await appDatabase(true);
    const target = await appDatabase(false);
    const snapshot = join(work.path, "staff");

    const exported = await booksnap([
      "export",
      "--from",
      source.url,
      "--config",
      CONFIG,
      "--no-redact",
      "--out",
      work.path,
      "--name",
      "staff",
    ]);
    expectExit(exported, 0, "export");
    expectExit(await booksnap(["verify", snapshot]), 0, "verify");
    const checked = await booksnap(["check", snapshot, "--to", target.url, "--config", CONFIG]);
    expectExit(checked, 0, "check");
    expect(checked.stdout).toMatch(/verdict\s+ok/);

    const imported = await booksnap(["import", snapshot, "--to", target.url, "--config", CONFIG]);
    expectExit(imported, 0, "import");
    // The summary names this app's tables, nothing of the book app's.
    expect(imported.stdout).toMatch(/replaced: /);
    expect(imported.stdout).not.toMatch(/undefined|Book|ReadingList/);

    const expected = await source.withClient(comparable);
    expect(expected.Team).toHaveLength(3);
    expect(expected.Employee).toHaveLength(6);
    const actual = await target.withClient(comparable);
    expect(actual.Team).toEqual(expected.Team);
    expect(actual.Employee).toEqual(expected.Employee);

    // The edge values, spelled out (so a fixture change cannot make the comparison vacuous).
    const employees: TextRow[] = actual.Employee ?? [];
    expect(employees.find((r) => r.email === "ada@example.com")?.settings).toBe(
      '{"theme": "dark",  "theme": "light"}',
    );
    expect(employees.filter((r) => r.tagsIsNull === "t")).toHaveLength(1);
    expect(employees.some((r) => r.tags === "{}" && r.tagsIsNull === "f")).toBe(true);
    expect(employees.some((r) => r.profile === "null")).toBe(true);
    expect(employees.some((r) => r.badge === "\\x")).toBe(true);
    expect(actual.Team?.some((t) => t.budget === "12345678901234567890.123456789012345678901234567890")).toBe(
      true,
    );

    // The manager chain is whole: every manager reference resolves to a row of the target.
    await target.withClient(async (c) => {
      const dangling = await textRows(
        c,
        `SELECT count(*)::text AS n FROM "Employee" e WHERE e.manager IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM "Employee" m WHERE m.id = e.manager)`,
      );
      expect(dangling[0]?.n).toBe("0");
      // The identity still hands out new ids after the import (past every imported one).
      const next = await textRows(
        c,
        `INSERT INTO "Employee" ("team", "email", "fullName") VALUES ('00000000-0000-4000-8000-000000000000', 'new@example.com', 'New')
         RETURNING (id > ALL (SELECT id FROM "Employee" WHERE email <> 'new@example.com'))::text AS fresh`,
      );
      expect(next[0]?.fresh).toBe("true");
    });
  }, 150_000); // six CLI runs (each a node start) on a loaded, shared server
});
