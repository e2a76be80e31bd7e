import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase, withAdmin } from "../helpers/db.js";

/**
 * A server that refuses who you are is exit 3 E_AUTH, on any server: even with trust
 * authentication PostgreSQL refuses a role that may not log in or does not exist (SQLSTATE
 * 28000), which the one connect-error classifier must report as an authentication failure.
 */
const noLogin = `booksnap_nologin_${randomBytes(4).toString("hex")}`;
let db: TestDatabase;
let work: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await withAdmin((c) => c.query(`CREATE ROLE ${noLogin} NOLOGIN PASSWORD 'Pa55-of-nologin'`));
  work = await mkdtemp(join(tmpdir(), "booksnap-auth-"));
});
afterAll(async () => {
  await db?.drop();
  await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${noLogin}`));
  if (work) await rm(work, { recursive: true, force: true });
});

function as(user: string, password: string): string {
  const url = new URL(db.url);
  url.username = user;
  url.password = password;
  return url.toString();
}

describe("authentication failures are E_AUTH (exit 3), without the password", () => {
  it.each([
    ["a role that may not log in", () => as(noLogin, "Pa55-of-nologin")],
    [
      "a role that does not exist",
      () => as(`booksnap_ghost_${randomBytes(3).toString("hex")}`, "Pa55-of-ghost"),
    ],
  ])("%s: export, import and prepare", async (_label, url) => {
    for (const args of [
      ["export", "--from-env", "DB_URL"],
      ["import", "--abort", "--to-env", "DB_URL"],
      ["prepare", "--to-env", "DB_URL", "--no-create-database"],
    ]) {
      const run = await runBooksnap(args, { cwd: work, env: { DB_URL: url() } });
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain("[E_AUTH]");
      expect(run.stderr).not.toMatch(/Pa55-of/);
    }
  });
});
