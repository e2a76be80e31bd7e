import { execFileSync } from "node:child_process";
import { mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { sha256Hex } from "../../src/snapshot/canonical.js";
import { type SnapshotManifestV1 as SnapshotManifest, signManifest } from "../../src/snapshot/manifest.js";
import { MODEL_NAMES } from "../../src/snapshot/models.js";
import { type WrittenSnapshot, writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { contentDump, createPreparedTarget, makeSnapshot } from "../fault/targets.js";
import { peakRssMb, REPORT_PEAK_RSS, runBooksnap } from "../helpers/cli.js";
import type { TestDatabase } from "../helpers/db.js";
import { testDescription } from "../helpers/snapshot.js";

/**
 * Untrusted snapshots cannot exhaust memory or hang the tool: a small file whose records all
 * hold one 600 KB string (an honest manifest, ~90 MB uncompressed), a manifest far larger than
 * any booksnap writes, and "files" that are a FIFO or /dev/zero.
 */

/** The usual memory budget of a booksnap run. */
const RSS_BUDGET_MB = 200;
/**
 * Import's ceiling here: flat whatever the snapshot holds (it completes in a 64 MB heap), but V8
 * collects 600 KB strings lazily and how lazily depends on the machine's load: measured 270 MB on
 * an idle machine and 347 MB with two test suites beside it (CI). This is above the usual 200 MB
 * budget, a miss reported in docs/security.md; the ceiling catches the regression that matters
 * (before the fix: 1.7 GB). A normal 100k-book import peaks at 221–232 MB (docs/benchmarks.md).
 */
const IMPORT_RSS_BUDGET_MB = 450;
const SHARED_BOOKS = 150;

let work: string;
let target: TestDatabase;
let shared: WrittenSnapshot;

/** Every book's synopsis is the same 600 KB: zstd stores it once, the reader sees it 150 times. */
async function* sharedStringLibrary(badBookId?: number) {
  const synopsis = "x".repeat(600 * 1024);
  for await (const item of generateLibrary({ users: 1, books: SHARED_BOOKS, seed: 5 })) {
    if (item.model !== "Book") yield item;
    else {
      const bad = item.record.id === badBookId ? { isbn10: "12345678901" } : {};
      yield { ...item, record: { ...item.record, synopsis, ...bad } };
    }
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-size-"));
  shared = await writeSnapshot(work, "shared", sharedStringLibrary(), testDescription());
  target = await createPreparedTarget();
}, 60_000);
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a small file that expands to ~90 MB of 600 KB records", () => {
  it("is what the test means: small on disk, far larger uncompressed", () => {
    expect(shared.manifest.data.bytes).toBeLessThan(200_000);
    expect(shared.manifest.data.uncompressedBytes).toBeGreaterThan(90_000_000);
  });

  it("verify stays within the memory budget and announces the expansion", async () => {
    const run = await runBooksnap(["verify", join(work, "shared")], {
      nodeArgs: REPORT_PEAK_RSS,
      timeoutMs: 120_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: shared: the data file expands [\d,]+×/);
    expect(peakRssMb(run)).toBeLessThan(RSS_BUDGET_MB);
  });

  it("import refuses it in a script without --allow-large-expansion (exit 2), nothing changed", async () => {
    const before = await contentDump(target);
    const run = await runBooksnap(["import", join(work, "shared"), "--to", target.url, "--yes"], {
      cwd: work,
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_LARGE_EXPANSION]");
    expect(run.stderr).toContain("--allow-large-expansion");
    expect(await contentDump(target)).toEqual(before);
  });

  it("import with --allow-large-expansion stays within the budget, also reading rows back field by field", async () => {
    // One rejected book makes the final verification read every imported row back and compare
    // it with staging: rows of 600 KB fetched 2,000 at a time once took 1.7 GB.
    const dir = await mkdtemp(join(work, "bad-"));
    const withReject = await writeSnapshot(dir, "shared", sharedStringLibrary(7), testDescription());
    const db = await createPreparedTarget();
    try {
      const run = await runBooksnap(
        [
          "import",
          join(dir, "shared"),
          "--to",
          db.url,
          "--yes",
          "--allow-large-expansion",
          "--max-rejects",
          "100",
          "--json",
        ],
        { cwd: dir, nodeArgs: REPORT_PEAK_RSS, timeoutMs: 180_000 },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/warning: the data file expands/);
      const summary = JSON.parse(run.stdout) as { models: { Book: { imported: number; rejected: number } } };
      expect(summary.models.Book).toMatchObject({ imported: SHARED_BOOKS - 1, rejected: 1 });
      expect(withReject.manifest.data.uncompressedBytes).toBeGreaterThan(90_000_000);
      expect(peakRssMb(run)).toBeLessThan(IMPORT_RSS_BUDGET_MB);
    } finally {
      await db.drop();
    }
  });
});

/** A manifest that matches an empty data file byte for byte (size 0, SHA-256 of nothing), re-signed. */
async function emptyDataManifest(dir: string, name: string): Promise<void> {
  const snap = await makeSnapshot(dir, name, { users: 1, books: 1, seed: 9 });
  const { manifestChecksum: _old, ...unsigned } = snap.manifest as SnapshotManifest;
  const models = Object.fromEntries(
    MODEL_NAMES.map((m) => [m, { count: 0, digest: `sha256:${sha256Hex("")}` }]),
  ) as SnapshotManifest["models"];
  const forged = signManifest({
    ...unsigned,
    models,
    data: { ...unsigned.data, bytes: 0, uncompressedBytes: 0, lines: 0, sha256: sha256Hex("") },
  });
  await writeFile(snap.paths.manifestPath, JSON.stringify(forged));
  await unlink(snap.paths.dataPath);
}

describe("snapshot files that are not regular files are refused before a byte is read", () => {
  const cases = [
    {
      name: "fifo",
      make: async (dataPath: string) => {
        execFileSync("mkfifo", [dataPath]);
      },
    },
    { name: "devzero", make: (dataPath: string) => symlink("/dev/zero", dataPath) },
  ];
  for (const { name, make } of cases) {
    it(`a data file that is a ${name}: verify, import and list --verify exit 4 (E_NOT_REGULAR_FILE)`, async () => {
      const dir = await mkdtemp(join(work, `${name}-`));
      await emptyDataManifest(dir, name);
      await make(join(dir, `${name}.ndjson.zst`));
      const before = await contentDump(target);
      const runs = [
        await runBooksnap(["verify", join(dir, name)], { timeoutMs: 20_000 }),
        await runBooksnap(["import", join(dir, name), "--to", target.url, "--yes"], {
          cwd: dir,
          timeoutMs: 20_000,
        }),
        await runBooksnap(["list", dir, "--verify"], { timeoutMs: 20_000 }),
      ];
      for (const run of runs) {
        expect(run.code, run.stderr).toBe(4);
        expect(`${run.stdout}${run.stderr}`).toContain("E_NOT_REGULAR_FILE");
      }
      expect(await contentDump(target)).toEqual(before);
    });
  }

  it("a manifest that is a FIFO: verify exits 4 (E_NOT_REGULAR_FILE) instead of waiting for a writer", async () => {
    const dir = await mkdtemp(join(work, "fifo-manifest-"));
    const snap = await makeSnapshot(dir, "m", { users: 1, books: 1, seed: 4 });
    await unlink(snap.paths.manifestPath);
    execFileSync("mkfifo", [snap.paths.manifestPath]);
    const run = await runBooksnap(["verify", join(dir, "m")], { timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain("[E_NOT_REGULAR_FILE]");
  });
});

describe("a manifest larger than any booksnap writes", () => {
  it("is refused by size before parsing (exit 4, E_MANIFEST_TOO_LARGE): verify, import and list", async () => {
    const dir = await mkdtemp(join(work, "big-manifest-"));
    const snap = await makeSnapshot(dir, "big", { users: 1, books: 2, seed: 8 });
    // Valid, correctly signed, 30 MB: 1.5 million --owner values.
    const { manifestChecksum: _old, ...unsigned } = snap.manifest as SnapshotManifest;
    const owners = Array.from({ length: 1_500_000 }, (_, i) => `o${i}@example.com`);
    const forged = signManifest({ ...unsigned, filters: { ...unsigned.filters, owners } });
    await writeFile(snap.paths.manifestPath, JSON.stringify(forged));
    const before = await contentDump(target);
    const verify = await runBooksnap(["verify", join(dir, "big")], { nodeArgs: REPORT_PEAK_RSS });
    expect(verify.code, verify.stderr).toBe(4);
    expect(verify.stderr).toContain("[E_MANIFEST_TOO_LARGE]");
    expect(peakRssMb(verify)).toBeLessThan(RSS_BUDGET_MB);
    const imported = await runBooksnap(["import", join(dir, "big"), "--to", target.url, "--yes"], {
      cwd: dir,
    });
    expect(imported.code, imported.stderr).toBe(4);
    expect(imported.stderr).toContain("[E_MANIFEST_TOO_LARGE]");
    expect(await contentDump(target)).toEqual(before);
    const listed = await runBooksnap(["list", dir, "--json"]);
    expect(listed.stdout).toContain("E_MANIFEST_TOO_LARGE");
  });
});
