import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDump, createPreparedTarget, extraSchemas, makeSnapshot } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import type { TestDatabase } from "../helpers/db.js";

/**
 * The import writes; a mistyped target must not be production. It refuses the snapshot's own
 * source database, and any host that is neither loopback nor private unless the user says
 * --allow-remote-target — before connecting, so nothing is ever written there.
 */
let work: string;
let target: TestDatabase;
let snapshotPath: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-target-"));
  target = await createPreparedTarget();
  const snap = await makeSnapshot(work, "lib", { users: 1, books: 5, seed: 41 });
  snapshotPath = join(snap.paths.dir, snap.paths.name);
});
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The target URL with another host (credentials and database kept). */
function withHost(host: string): string {
  const url = new URL(target.url);
  url.hostname = host;
  url.port = "5432";
  return url.toString();
}

describe("import target guard", () => {
  it.each([["prod-db.example.com"], ["203.0.113.10"], ["db.internal.example.org"]])(
    "refuses the non-local host %s without --allow-remote-target (exit 2, before connecting)",
    async (host) => {
      const run = await runBooksnap(["import", snapshotPath, "--to", withHost(host), "--yes"], { cwd: work });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain("[E_TARGET_REFUSED]");
      expect(run.stderr).toContain(host);
      expect(run.stderr).toContain("--allow-remote-target");
    },
  );

  it("--allow-remote-target lifts only that check: the import then tries to connect (and fails here, exit 3)", async () => {
    const run = await runBooksnap(
      [
        "import",
        snapshotPath,
        "--to",
        withHost("203.0.113.10"),
        "--yes",
        "--allow-remote-target",
        "--connect-timeout",
        "500",
      ],
      { cwd: work },
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).not.toContain("E_TARGET_REFUSED");
  });

  it("refuses the snapshot's own source database, even with --allow-remote-target, and writes nothing", async () => {
    const url = new URL(target.url);
    const own = await makeSnapshot(
      work,
      "own",
      { users: 1, books: 5, seed: 42 },
      {
        host: url.hostname,
        port: Number(url.port || 5432),
        database: target.name,
      },
    );
    const before = await contentDump(target);
    for (const extra of [[], ["--allow-remote-target"]]) {
      const run = await runBooksnap(
        ["import", join(own.paths.dir, "own"), "--to", target.url, "--yes", ...extra],
        {
          cwd: work,
        },
      );
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain("[E_TARGET_REFUSED]");
      expect(run.stderr).toMatch(/source/);
    }
    expect(await contentDump(target)).toEqual(before);
    expect(await extraSchemas(target)).toEqual([]);
  });

  it("compares the source host case-insensitively (DNS names are)", async () => {
    const shouting = await makeSnapshot(
      work,
      "shouting",
      { users: 1, books: 5, seed: 43 },
      {
        host: "PROD-DB.Example.COM",
        port: 5432,
        database: target.name,
      },
    );
    const run = await runBooksnap(
      [
        "import",
        join(shouting.paths.dir, "shouting"),
        "--to",
        withHost("prod-db.example.com"),
        "--yes",
        "--allow-remote-target",
      ],
      { cwd: work },
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_TARGET_REFUSED]");
  });

  it("a loopback target that is not the source is accepted (the guard does not block normal use)", async () => {
    const run = await runBooksnap(["import", snapshotPath, "--to", target.url, "--yes"], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    expect((await contentDump(target)).Book).toHaveLength(5);
  });
});
