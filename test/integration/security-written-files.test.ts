import { execFile } from "node:child_process";
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { contentDump, createPreparedTarget } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/**
 * Files booksnap writes never follow a planted link and never replace a file it did not write:
 * the dead-letter file (default name or --rejects) and the audit log. A path it may not write is
 * refused before the import changes anything.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
/** Three invalid records (lines 2, 5 and 7): an import rejects them. */
const WITH_REJECTS = join(HERE, "..", "corpus", "cases", "several-bad-records");
const FIXTURES = join(HERE, "..", "fixtures");

let work: string;
let target: TestDatabase;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-written-"));
  target = await createPreparedTarget();
});
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

/** A directory holding `snap` with three rejected records, and a victim file a link may point at. */
async function setup(name: string) {
  const cwd = join(work, name);
  await cp(WITH_REJECTS, cwd, { recursive: true });
  const victim = join(cwd, "authorized_keys");
  await writeFile(victim, "ssh-ed25519 AAAA the-only-key\n");
  await chmod(victim, 0o644);
  return { cwd, victim };
}

/** The normal-library fixture (no rejects) in its own directory. */
async function cleanSnapshot(name: string) {
  const cwd = join(work, name);
  await mkdir(cwd);
  for (const suffix of [".manifest.json", ".ndjson.zst"]) {
    await cp(join(FIXTURES, `normal-library${suffix}`), join(cwd, `normal-library${suffix}`));
  }
  return cwd;
}

const importArgs = (extra: string[] = []) => ["import", "snap", "--to", target.url, "--yes", ...extra];

describe("the dead-letter file", () => {
  it("a planted link <name>.rejects.ndjson → a victim: refused before the import (exit 2), the victim untouched", async () => {
    const { cwd, victim } = await setup("link");
    await symlink(victim, join(cwd, "snap.rejects.ndjson"));
    const before = await contentDump(target);
    const run = await runBooksnap(importArgs(["--max-rejects", "100"]), { cwd });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_REJECTS_EXISTS]");
    expect(await readFile(victim, "utf8")).toBe("ssh-ed25519 AAAA the-only-key\n");
    expect(await mode(victim)).toBe(0o644);
    expect(await contentDump(target)).toEqual(before);
  });

  it("a dangling planted link is refused too, and nothing is created where it points", async () => {
    const { cwd } = await setup("dangling");
    const pointsAt = join(cwd, "created-through-the-link");
    await symlink(pointsAt, join(cwd, "snap.rejects.ndjson"));
    const run = await runBooksnap(importArgs(), { cwd });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_REJECTS_EXISTS]");
    await expect(stat(pointsAt)).rejects.toThrow();
  });

  it("--rejects naming someone's file: refused before the import, the file kept, even when nothing is rejected", async () => {
    const cwd = await cleanSnapshot("notes");
    await writeFile(join(cwd, "notes.md"), "# my notes\n");
    const before = await contentDump(target);
    const run = await runBooksnap(
      ["import", "normal-library", "--to", target.url, "--yes", "--rejects", "notes.md"],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_REJECTS_EXISTS]");
    expect(await readFile(join(cwd, "notes.md"), "utf8")).toBe("# my notes\n");
    expect(await contentDump(target)).toEqual(before);
  });

  it("--rejects naming a directory: refused before the import (exit 2), nothing committed", async () => {
    const cwd = await cleanSnapshot("dir");
    await mkdir(join(cwd, "a-directory"));
    const before = await contentDump(target);
    const run = await runBooksnap(
      ["import", "normal-library", "--to", target.url, "--yes", "--rejects", "a-directory"],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_REJECTS_EXISTS]");
    expect(await contentDump(target)).toEqual(before);
  });

  it("after a committed import that allowed rejects, the dead-letter file stays, 0600, replacing an earlier 0644 one", async () => {
    const { cwd } = await setup("committed");
    const rejectsPath = join(cwd, "snap.rejects.ndjson");
    // What an earlier import left (made readable by someone since): it is booksnap's own file.
    const earlier = `${JSON.stringify({ line: 9, model: "Book", reason: "earlier run", category: "validation" })}\n`;
    await writeFile(rejectsPath, earlier);
    await chmod(rejectsPath, 0o644);
    const run = await runBooksnap(importArgs(["--max-rejects", "100", "--json"]), { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ rejectsFile: rejectsPath, dryRun: false });
    expect(await mode(rejectsPath)).toBe(0o600);
    const lines = (await readFile(rejectsPath, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // The three invalid records (and the records pointing at them), none of the earlier run's.
    expect(lines.slice(0, 3).map((l) => l.line)).toEqual([2, 5, 7]);
    expect(lines.filter((l) => l.reason === "earlier run")).toEqual([]);
    // No temp file is left next to it.
    expect((await readdir(cwd)).filter((n) => n.includes(".tmp-"))).toEqual([]);

    // Its mode is 0600 whatever the umask (here one that would leave 0400).
    const strict = await runInUmask(0o277, importArgs(["--max-rejects", "100"]), cwd);
    expect(strict.code, strict.stderr).toBe(0);
    expect(await mode(rejectsPath)).toBe(0o600);
  });

  it("an import without rejects removes an earlier dead-letter file of the same snapshot", async () => {
    const cwd = await cleanSnapshot("outdated");
    const rejectsPath = join(cwd, "normal-library.rejects.ndjson");
    await writeFile(
      rejectsPath,
      `${JSON.stringify({ line: 3, model: "Book", reason: "earlier run", category: "constraint" })}\n`,
    );
    const run = await runBooksnap(["import", "normal-library", "--to", target.url, "--yes"], { cwd });
    expect(run.code, run.stderr).toBe(0);
    await expect(stat(rejectsPath)).rejects.toThrow();
  });
});

describe("the audit log", () => {
  let source: TestDatabase;
  beforeAll(async () => {
    source = await createTestDatabase();
    await source.withClient((c) => loadLibrary(c, generateLibrary({ users: 1, books: 3, seed: 5 })));
  });
  afterAll(async () => {
    await source?.drop();
  });

  it("a planted link logs/audit.ndjson → a victim: the victim is untouched and the run says why (E_UNSAFE_FILE)", async () => {
    const { cwd, victim } = await setup("audit-link");
    await mkdir(join(cwd, "logs"), { mode: 0o700 });
    await symlink(victim, join(cwd, "logs", "audit.ndjson"));
    const run = await runBooksnap(["export", "--name", "x"], {
      cwd,
      env: { DEWEY_DB_DATABASE_URL_READONLY: source.url },
    });
    expect(run.stderr).toContain("E_UNSAFE_FILE");
    expect(await readFile(victim, "utf8")).toBe("ssh-ed25519 AAAA the-only-key\n");
    expect(await mode(victim)).toBe(0o644);
  });

  it("a FIFO as logs/audit.ndjson: the import does not hang waiting for a reader and writes nothing into it", async () => {
    const { cwd } = await setup("audit-fifo");
    await mkdir(join(cwd, "logs"), { mode: 0o700 });
    await promisify(execFile)("mkfifo", [join(cwd, "logs", "audit.ndjson")]);
    const run = await runBooksnap(importArgs(["--dry-run", "--max-rejects", "100"]), {
      cwd,
      timeoutMs: 20_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("could not write the audit log");
    expect((await stat(join(cwd, "logs", "audit.ndjson"))).isFIFO()).toBe(true);
  });
});

/** Runs the CLI with the given umask (children inherit it), restoring the test process's own. */
async function runInUmask(umask: number, args: string[], cwd: string) {
  const saved = process.umask(umask);
  try {
    return await runBooksnap(args, { cwd });
  } finally {
    process.umask(saved);
  }
}
