import { cp, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { runInProcess } from "../fault/in-process-cli.js";
import { createPreparedTarget } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/**
 * Files the tool creates hold production data or say who touched which database: they are
 * private to their owner (0600, log directory 0700) even under a permissive umask, and names
 * given on the command line can never place a file outside the chosen directory.
 */

let db: TestDatabase;
let work: string;
let savedUmask: number;
beforeAll(async () => {
  // The children inherit this: the modes below must not depend on a careful umask.
  savedUmask = process.umask(0o000);
  db = await createTestDatabase();
  await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 12, seed: 3 })));
  work = await mkdtemp(join(tmpdir(), "booksnap-files-"));
});
afterAll(async () => {
  process.umask(savedUmask);
  await db?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;
const exportEnv = () => ({ DEWEY_DB_DATABASE_URL_READONLY: db.url });

describe("file permissions", () => {
  it("snapshot data, manifest and audit log are 0600 and the log directory 0700, even with umask 000", async () => {
    const cwd = join(work, "modes");
    await mkdir(cwd);
    const run = await runBooksnap(["export", "--name", "private"], { cwd, env: exportEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect(await mode(join(cwd, "snapshots", "private.ndjson.zst"))).toBe(0o600);
    expect(await mode(join(cwd, "snapshots", "private.manifest.json"))).toBe(0o600);
    expect(await mode(join(cwd, "logs", "audit.ndjson"))).toBe(0o600);
    expect(await mode(join(cwd, "logs"))).toBe(0o700);
    // Replacing a snapshot with --force keeps it private too.
    const again = await runBooksnap(["export", "--name", "private", "--force"], { cwd, env: exportEnv() });
    expect(again.code, again.stderr).toBe(0);
    expect(await mode(join(cwd, "snapshots", "private.ndjson.zst"))).toBe(0o600);
    expect(await mode(join(cwd, "snapshots", "private.manifest.json"))).toBe(0o600);
  });
});

describe("file permissions of import's outputs", () => {
  it("the dead-letter file and the audit log are 0600 (log directory 0700), even with umask 000", async () => {
    const cwd = join(work, "rejects");
    const corpus = join(
      dirname(fileURLToPath(import.meta.url)),
      "..",
      "corpus",
      "cases",
      "several-bad-records",
    );
    await cp(corpus, cwd, { recursive: true });
    const target = await createPreparedTarget();
    try {
      const run = await runBooksnap(["import", "snap", "--to", target.url, "--yes"], { cwd });
      expect(run.code, run.stderr).toBe(6);
      expect(await mode(join(cwd, "snap.rejects.ndjson"))).toBe(0o600);
      expect(await mode(join(cwd, "logs", "audit.ndjson"))).toBe(0o600);
      expect(await mode(join(cwd, "logs"))).toBe(0o700);
    } finally {
      await target.drop();
    }
  });
});

describe("path traversal in names", () => {
  it.each([
    ["../escaped"],
    ["sub/dir"],
    ["/tmp/absolute"],
    [".."],
    ["."],
    ["..hidden"],
    ["a\\b"],
    ["with space"],
    ["x".repeat(300)],
  ])("export --name %j is refused (exit 2, E_BAD_NAME) and writes nothing", async (name) => {
    const cwd = await mkdtemp(join(work, "name-"));
    const out = join(cwd, "out", "deeper");
    // In-process (the CLI's own entry point): argument checking needs no node start per case.
    const run = await runInProcess(["export", "--name", name, "--out", out], { cwd, env: exportEnv() });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_BAD_NAME]");
    // Nothing anywhere under the working directory except (at most) the empty --out directory and logs.
    const files = (await readdir(cwd, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.parentPath !== join(cwd, "logs"))
      .map((e) => join(e.parentPath, e.name));
    expect(files).toEqual([]);
    await expect(stat("/tmp/absolute.ndjson.zst")).rejects.toThrow();
  });

  it("--out is taken as the directory it resolves to, and the snapshot lands exactly there", async () => {
    const cwd = await mkdtemp(join(work, "out-"));
    await mkdir(join(cwd, "a"));
    const run = await runBooksnap(["export", "--name", "here", "--out", "a/../b"], { cwd, env: exportEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(join(cwd, "b"))).sort()).toEqual(["here.manifest.json", "here.ndjson.zst"]);
    expect(await readdir(join(cwd, "a"))).toEqual([]);
  });
});
