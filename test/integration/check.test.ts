import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompatibilityEntry, CompatibilityReport } from "../../src/schema/compatibility.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { useLoadedSource } from "../helpers/export.js";

/**
 * `booksnap check` against real databases: a snapshot exported from the bundled schema, and
 * targets built from the same migrations, then changed the way an app's migration would.
 */

interface CheckJson {
  ok: boolean;
  exitCode: number;
  snapshot: { formatVersion: number; records: Record<string, number> };
  target: { database: string; schema: string };
  report: CompatibilityReport;
}

/** What a target holds that check must not change: every table's content, the schemas, the relations. */
async function targetState(db: TestDatabase) {
  return db.withClient(async (c: pg.Client) => {
    const schemas = (await c.query("SELECT nspname FROM pg_namespace ORDER BY nspname")).rows.map(
      (r) => r.nspname,
    );
    const relations = (
      await c.query(
        `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1`,
      )
    ).rows.map((r) => r.name);
    const tables = (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))
      .rows;
    const contents: Record<string, string> = {};
    for (const { tablename } of tables) {
      const { rows } = await c.query(
        `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS digest FROM public."${tablename}" t`,
      );
      contents[tablename] = rows[0].digest;
    }
    return { schemas, relations, contents };
  });
}

describe("booksnap check", () => {
  const source = useLoadedSource(
    { users: 3, books: 20, listsPerUser: 2, entriesPerList: 4 },
    "booksnap-check-",
  );
  let snapshot: string;
  const targets: TestDatabase[] = [];

  beforeAll(async () => {
    // Through the CLI, as a user would: whatever snapshot format this build writes.
    const exported = await runBooksnap(
      ["export", "--from", source.db.url, "--out", source.work, "--name", "snap", "--no-redact"],
      { cwd: source.work },
    );
    expect(exported.code, exported.stderr).toBe(0);
    snapshot = join(source.work, "snap.manifest.json");
  });
  afterAll(async () => {
    await Promise.all(targets.map((t) => t.drop()));
  });

  /** A target with the bundled schema and one user of its own (so "unchanged" means something), then `sql`. */
  async function target(sql: string, migrate = true): Promise<TestDatabase> {
    const db = await createTestDatabase({ migrate });
    targets.push(db);
    if (migrate) {
      await db.withClient((c) =>
        c.query(
          `INSERT INTO "User" ("clerkId", email, "updatedAt") VALUES ('dev', 'dev@example.com', now())`,
        ),
      );
    }
    if (sql) await db.withClient((c) => c.query(sql));
    return db;
  }

  /** Runs check in both output modes; asserts the target is unchanged by either. */
  async function check(db: TestDatabase, ...flags: string[]) {
    const before = await targetState(db);
    const human = await runBooksnap(["check", snapshot, "--to", db.url, ...flags]);
    const json = await runBooksnap(["check", snapshot, "--to", db.url, "--json", ...flags]);
    expect(await targetState(db)).toEqual(before);
    expect(before.schemas).not.toContain("booksnap_staging");
    expect(json.code, json.stderr).toBe(human.code);
    const parsed = JSON.parse(json.stdout) as CheckJson;
    expect(parsed.exitCode).toBe(json.code);
    expect(parsed.ok).toBe(json.code === 0);
    return { human, json: parsed };
  }

  /** The entries other than the tables found identical or only in the target. */
  const changes = (report: CompatibilityReport) =>
    report.entries
      .filter((e) => e.code !== "TABLE_IDENTICAL" && e.code !== "TABLE_ONLY_IN_TARGET")
      .map((e: CompatibilityEntry) => [e.code, e.verdict, e.table ?? null, e.column ?? null]);

  it("(a) identical schema: loads as is, exit 0, every table identical", async () => {
    const { human, json } = await check(await target(""));
    expect(human.code).toBe(0);
    expect(json.report.verdict).toBe("ok");
    expect(changes(json.report)).toEqual([]);
    for (const table of ["User", "Book", "ReadingList", "BookInReadingList"]) {
      expect(json.report.entries).toContainEqual(expect.objectContaining({ code: "TABLE_IDENTICAL", table }));
      expect(
        json.report.tables.find((t) => t.table === table)?.columns.every((c) => c.action === "copy"),
      ).toBe(true);
    }
    expect(human.stdout).toMatch(/^verdict {3}ok: loads as is$/m);
    expect(human.stdout).toMatch(/^ok +Book \(20 records\): identical \(\d+ columns\) \[TABLE_IDENTICAL\]$/m);
    expect(json.snapshot.records.Book).toBe(20);
  });

  it("(b) a new nullable column: adapt (filled with NULL), exit 0", async () => {
    const { human, json } = await check(await target(`ALTER TABLE "Book" ADD COLUMN subtitle text`));
    expect(human.code).toBe(0);
    expect(json.report.verdict).toBe("adapt");
    expect(changes(json.report)).toEqual([["COLUMN_FILLED_WITH_NULL", "adapt", "Book", "subtitle"]]);
    expect(json.report.tables.find((t) => t.table === "Book")?.columns.at(-1)).toEqual({
      action: "fill-default",
      column: "subtitle",
      default: null,
      identity: false,
    });
    expect(human.stdout).toContain(
      'adapt            "subtitle": only in the target: filled with NULL [COLUMN_FILLED_WITH_NULL]',
    );
  });

  it("(c) a new NOT NULL column without a default: refused, exit 5", async () => {
    const { human, json } = await check(await target(`ALTER TABLE "Book" ADD COLUMN shelf integer NOT NULL`));
    expect(human.code).toBe(5);
    expect(json.report.verdict).toBe("refuse");
    expect(changes(json.report)).toEqual([["COLUMN_REQUIRED_IN_TARGET", "refuse", "Book", "shelf"]]);
    expect(human.stdout).toMatch(/^verdict {3}refuse: does not load/m);
    expect(human.stdout).toMatch(/^refuse +Book \(20 records\)$/m);
  });

  it("(d) integer → bigint: a lossless widening, cast, exit 0", async () => {
    const { human, json } = await check(
      await target(`ALTER TABLE "Book" ALTER COLUMN "pageCount" TYPE bigint`),
    );
    expect(human.code).toBe(0);
    expect(changes(json.report)).toEqual([["TYPE_WIDENED", "adapt", "Book", "pageCount"]]);
    expect(json.report.tables.find((t) => t.table === "Book")?.columns).toContainEqual(
      expect.objectContaining({ action: "cast", column: "pageCount", from: "integer", to: "bigint" }),
    );
    expect(human.stdout).toContain('"pageCount": integer → bigint is a lossless widening [TYPE_WIDENED]');
  });

  it("(e) varchar(13) → varchar(5): could truncate, refused, exit 5", async () => {
    const { human, json } = await check(
      await target(`ALTER TABLE "Book" ALTER COLUMN isbn13 TYPE varchar(5)`),
    );
    expect(human.code).toBe(5);
    expect(changes(json.report)).toEqual([["TYPE_NARROWED", "refuse", "Book", "isbn13"]]);
    expect(human.stdout).toContain(
      '"isbn13": character varying(13) → character varying(5): values longer than 5 characters would not fit: refused [TYPE_NARROWED]',
    );
  });

  describe("(f) an enum value missing in the target", () => {
    const dropUnlisted = `
      ALTER TABLE "Book" ALTER COLUMN visibility DROP DEFAULT;
      ALTER TYPE "BookVisibility" RENAME TO "BookVisibility_old";
      CREATE TYPE "BookVisibility" AS ENUM ('PRIVATE', 'PUBLIC', 'FRIENDS');
      ALTER TABLE "Book" ALTER COLUMN visibility TYPE "BookVisibility" USING visibility::text::"BookVisibility";
      ALTER TABLE "Book" ALTER COLUMN visibility SET DEFAULT 'PUBLIC';
      DROP TYPE "BookVisibility_old";`;

    it("by default its records go to the dead-letter file: records-rejected, exit 6", async () => {
      const { human, json } = await check(await target(dropUnlisted));
      expect(human.code).toBe(6);
      expect(json.report.verdict).toBe("records-rejected");
      expect(changes(json.report)).toEqual([
        ["ENUM_VALUES_MISSING", "records-rejected", "Book", "visibility"],
      ]);
      expect(json.report.tables.find((t) => t.table === "Book")?.recordRules).toEqual([
        { rule: "enum-value-missing", column: "visibility", values: ["UNLISTED"] },
      ]);
      expect(human.stdout).toContain("lacks 'UNLISTED': records holding them go to the dead-letter file");
    });

    it("--on-missing-enum refuse: refused, exit 5", async () => {
      const { human, json } = await check(await target(dropUnlisted), "--on-missing-enum", "refuse");
      expect(human.code).toBe(5);
      expect(changes(json.report)).toEqual([["ENUM_VALUES_MISSING", "refuse", "Book", "visibility"]]);
      expect(json.report.options.onMissingEnum).toBe("refuse");
    });
  });

  it("(g) a dropped column: its values are dropped (adapt), exit 0", async () => {
    const { human, json } = await check(await target(`ALTER TABLE "Book" DROP COLUMN binding`));
    expect(human.code).toBe(0);
    expect(changes(json.report)).toEqual([["COLUMN_ONLY_IN_SNAPSHOT", "adapt", "Book", "binding"]]);
    expect(json.report.tables.find((t) => t.table === "Book")?.columns).toContainEqual(
      expect.objectContaining({ action: "drop", column: "binding" }),
    );
  });

  it("(h) an extra table: untouched (ok), exit 0", async () => {
    const { human, json } = await check(
      await target(
        `CREATE TABLE "Tag" (id serial PRIMARY KEY, "bookId" integer NOT NULL REFERENCES "Book"(id), name text NOT NULL)`,
      ),
    );
    expect(human.code).toBe(0);
    expect(json.report.verdict).toBe("ok");
    expect(json.report.untouchedTables).toContain("Tag");
    expect(human.stdout).toMatch(/^ok +Tag: only in the target: untouched \[TABLE_ONLY_IN_TARGET\]$/m);
  });

  it("an empty database: no table of the snapshot there, refused, exit 5", async () => {
    const { human, json } = await check(await target("", false));
    expect(human.code).toBe(5);
    expect(json.report.entries.map((e) => e.code)).toContain("NO_TABLE_IN_TARGET");
    expect(human.stdout).toMatch(/^refuse +\(schema\): none of the snapshot's tables/m);
  });

  it("writes nothing: the target's row statistics do not move (pg_stat_user_tables)", async () => {
    const db = await target(`ALTER TABLE "Book" ADD COLUMN subtitle text`);
    const writes = () =>
      db.withClient(async (c) => {
        const { rows } = await c.query(
          "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::int AS n FROM pg_stat_user_tables",
        );
        return rows[0].n as number;
      });
    // The setup's own insert is counted once its backend has reported (asynchronously).
    for (let i = 0; i < 50 && (await writes()) < 1; i++) await sleep(100);
    const before = await writes();
    expect(before).toBeGreaterThanOrEqual(1);
    const run = await runBooksnap(["check", snapshot, "--to", db.url]);
    expect(run.code).toBe(0);
    await sleep(1_500); // longer than PostgreSQL's stats flush interval (1 s)
    expect(await writes()).toBe(before);
  });
});
