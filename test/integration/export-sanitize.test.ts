import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { type CliRun, runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase, withAdmin } from "../helpers/db.js";

const PASSWORD = "Kn0wn-Pa55word-xyz";

/** Every file under a directory, recursively, as text. */
async function readTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(await readFile(join(entry.parentPath, entry.name), "latin1"));
  }
  return out;
}

describe("connection strings never leak", () => {
  let db: TestDatabase;
  let dir: string;
  const role = `booksnap_exporter_${randomBytes(4).toString("hex")}`;
  const runs: CliRun[] = [];

  /** The test database's URL, logged in as the role, with the password also in an api_key parameter. */
  function urlWith(overrides: { port?: string; database?: string } = {}): string {
    const url = new URL(db.url);
    url.username = role;
    url.password = PASSWORD;
    if (overrides.port) url.port = overrides.port;
    url.pathname = `/${overrides.database ?? db.name}`;
    url.search = `?api_key=${PASSWORD}&application_name=leaky`;
    return url.toString();
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient(async (c) => {
      await loadLibrary(c, generateLibrary({ users: 2, books: 10 }));
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
      await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    });
    dir = await mkdtemp(join(tmpdir(), "booksnap-leak-"));
    const env = { SRC: urlWith() };
    // Successful runs: from an env var (JSON and human), and with the URL on the command line.
    runs.push(await runBooksnap(["export", "--from-env", "SRC", "--name", "a", "--json"], { cwd: dir, env }));
    runs.push(await runBooksnap(["export", "--from-env", "SRC", "--name", "b"], { cwd: dir, env }));
    runs.push(await runBooksnap(["export", "--from", urlWith(), "--name", "c", "--verbose"], { cwd: dir }));
    // Failing runs: nothing listening, nonexistent database; human, JSON and verbose.
    for (const flags of [[], ["--json"], ["--verbose"]]) {
      runs.push(await runBooksnap(["export", "--from", urlWith({ port: "1" }), ...flags], { cwd: dir }));
      runs.push(
        await runBooksnap(["export", "--from", urlWith({ database: "booksnap_no_such_db" }), ...flags], {
          cwd: dir,
        }),
      );
    }
    // An env file holding the URL.
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(join(dir, ".env.production"), `SRC=${urlWith()}\n`),
    );
    runs.push(
      await runBooksnap(["export", "--env-file", ".env.production", "--from-env", "SRC", "--name", "d"], {
        cwd: dir,
      }),
    );
  });
  afterAll(async () => {
    await db?.drop();
    await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the runs did what they should (so the scan below is meaningful)", () => {
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 3, 3, 3, 3, 3, 3, 0]);
    expect(runs[3]?.stderr).toContain("[E_CONNECT]");
    expect(runs[4]?.stderr).toContain("[E_NO_DATABASE]");
    expect(runs[6]?.stdout).toContain('"code": "E_NO_DATABASE"');
    // The sanitized location is shown: the user can tell which database was meant.
    expect(runs[4]?.stderr).toContain(`${role}:***@`);
  });

  it("no stdout, stderr, audit log, manifest or snapshot holds the password", async () => {
    for (const run of runs) {
      expect(run.stdout).not.toContain(PASSWORD);
      expect(run.stderr).not.toContain(PASSWORD);
    }
    const files = await readTree(dir);
    const logs = await readFile(join(dir, "logs", "audit.ndjson"), "utf8");
    expect(logs.trim().split("\n")).toHaveLength(runs.length);
    const records = logs
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(records[0]).toMatchObject({
      command: "export",
      status: "ok",
      snapshot: "a",
      counts: { User: 2, Book: 10 },
      database: expect.stringMatching(new RegExp(`:\\d+/${db.name}$`)),
    });
    expect(records[0].user).toBeTruthy();
    expect(records[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(records[3]).toMatchObject({ status: "failed", error: { code: "E_CONNECT" } });
    expect(files.length).toBeGreaterThanOrEqual(10); // 4 snapshots × 2 files, env file, audit log
    for (const text of files.filter((t) => !t.startsWith("SRC="))) expect(text).not.toContain(PASSWORD);
  });
});
