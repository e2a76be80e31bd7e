import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { ExitCode } from "../../src/errors.js";
import { runInProcess } from "../fault/in-process-cli.js";
import { createTestDatabase, type TestDatabase, withAdmin, withClient } from "../helpers/db.js";

/** docs/readonly-role.md's recipe, run as written: the role reads everything and writes nothing. */

const DOC = join(import.meta.dirname, "..", "..", "docs", "readonly-role.md");

/** The first ```sql block of the doc: the recipe itself. */
async function recipe(): Promise<string> {
  const text = await readFile(DOC, "utf8");
  const block = /```sql\n([\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error("docs/readonly-role.md has no sql block");
  return block;
}

describe("the read-only role recipe (docs/readonly-role.md)", () => {
  let db: TestDatabase;
  let dir: string;
  let roleUrl: string;
  const role = `booksnap_ro_${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(8).toString("hex")}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "booksnap-ro-"));
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 5 })));
    // The recipe as written, with this test's role, password and database (roles are server-wide).
    const sql = (await recipe())
      .replaceAll("booksnap_readonly", role)
      .replace("change-me-to-a-long-random-password", password)
      .replace("ON DATABASE books", `ON DATABASE ${db.name}`);
    await db.withClient(async (c) => {
      await c.query(sql);
      // A table a later migration adds: the default privileges make it readable too.
      await c.query(`CREATE TABLE "AppSetting" (id int PRIMARY KEY)`);
    });
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    roleUrl = url.toString();
  });
  afterAll(async () => {
    await db?.drop();
    await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("export with the role succeeds", async () => {
    await writeFile(join(dir, ".env.production"), `DEWEY_DB_DATABASE_URL_READONLY=${roleUrl}\n`, {
      mode: 0o600,
    });
    const run = await runInProcess(
      ["export", "--env-file", join(dir, ".env.production"), "--name", "ro", "--json"],
      {
        cwd: dir,
      },
    );
    expect(run.code, run.stderr).toBe(ExitCode.ok);
    const result = JSON.parse(run.stdout);
    expect(result.counts.User).toBe(2);
    expect(result.counts.Book).toBe(5);
    expect(result.sourceUrlFrom).toBe("DEWEY_DB_DATABASE_URL_READONLY");
    expect(run.stderr).not.toContain(password);
  });

  it("the role reads every table, also those created later, and cannot write, even when it turns read-only off", async () => {
    await withClient(roleUrl, async (c) => {
      expect((await c.query(`SELECT count(*)::int AS n FROM "Book"`)).rows[0].n).toBe(5);
      expect((await c.query(`SELECT count(*)::int AS n FROM "AppSetting"`)).rows[0].n).toBe(0);
      const update = `UPDATE "Book" SET title = title WHERE id = 0`;
      await expect(c.query(update)).rejects.toMatchObject({ code: "25006" });
      await c.query("SET default_transaction_read_only = off");
      await expect(c.query(update)).rejects.toMatchObject({ code: "42501" });
      await expect(c.query(`INSERT INTO "AppSetting" VALUES (1)`)).rejects.toMatchObject({ code: "42501" });
      await expect(c.query(`TRUNCATE "Book" CASCADE`)).rejects.toMatchObject({ code: "42501" });
    });
    // Not a side door through a fresh client either.
    const fresh = new pg.Client({ connectionString: roleUrl });
    await fresh.connect();
    try {
      expect(
        (await fresh.query("SHOW default_transaction_read_only")).rows[0].default_transaction_read_only,
      ).toBe("on");
    } finally {
      await fresh.end();
    }
  });
});
