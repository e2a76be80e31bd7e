import { copyFile, mkdtemp, open, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { runBooksnap } from "../helpers/cli.js";
import { testDescription } from "../helpers/snapshot.js";

/**
 * `booksnap list`: one row per snapshot with its facts and a cheap integrity state; --verify
 * reads every record. Snapshots are written with the same writer export uses.
 */
let dir: string;

async function snapshot(target: string, name: string, books: number, createdAt: string) {
  return writeSnapshot(
    target,
    name,
    generateLibrary({ users: 2, books }),
    testDescription({
      createdAt,
      source: { host: "db.internal", database: "books" },
      redaction: { mode: "pseudonymised", fields: ["email"] },
    }),
  );
}

/** Copies a snapshot under another directory, keeping its name (the manifest names its data file). */
async function copyTo(target: string, from: string, name: string, parts: Array<"manifest" | "data">) {
  for (const part of parts) {
    const file = part === "manifest" ? `${name}.manifest.json` : `${name}.ndjson.zst`;
    await copyFile(join(from, file), join(target, file));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "booksnap-list-"));
  await snapshot(dir, "older", 30, "2026-01-01T00:00:00.000Z");
  await snapshot(dir, "newer", 60, "2026-01-03T00:00:00.000Z");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("booksnap list", () => {
  it("lists snapshots newest first with age, size, counts, source, redaction and 'manifest ok'", async () => {
    const run = await runBooksnap(["list", dir]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^NAME\s+AGE\s+SIZE\s+USERS\s+BOOKS\s+LISTS\s+ENTRIES\s+SOURCE\s+PII\s+STATE$/);
    expect(lines[1]).toMatch(
      /^newer\s+\d+[smhd]\s+[\d.]+ (B|KiB)\s+2\s+60\s+6\s+\d+\s+db\.internal\/books\s+pseudonymised\s+manifest ok$/,
    );
    expect(lines[2]).toMatch(/^older\s.*\s30\s.*manifest ok$/);
    expect(run.stdout).toContain("2 snapshot(s)");
  });

  it("reports counts, sizes and states as JSON", async () => {
    const run = await runBooksnap(["list", dir, "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.snapshots.map((s: { name: string }) => s.name)).toEqual(["newer", "older"]);
    expect(result.snapshots[0]).toMatchObject({
      name: "newer",
      state: "manifest-ok",
      createdAt: "2026-01-03T00:00:00.000Z",
      counts: { User: 2, Book: 60, ReadingList: 6 },
      source: { host: "db.internal", port: 5432, database: "books" },
      redaction: "pseudonymised",
      encrypted: false,
    });
    expect(result.snapshots[0].bytes).toBeGreaterThan(0);
    expect(result.snapshots[0].ageSeconds).toBeGreaterThan(0);
  });

  it("flags a missing data file, a size mismatch, an edited manifest and a manifest-less data file", async () => {
    const broken = await mkdtemp(join(tmpdir(), "booksnap-list-broken-"));
    try {
      await copyTo(broken, dir, "older", ["manifest"]);
      await snapshot(broken, "short", 20, "2026-01-02T00:00:00.000Z");
      const shortData = join(broken, "short.ndjson.zst");
      await truncate(shortData, 100);
      await snapshot(broken, "edited", 20, "2026-01-02T00:00:00.000Z");
      const manifestPath = join(broken, "edited.manifest.json");
      await writeFile(manifestPath, (await readFile(manifestPath, "utf8")).replace('"books"', '"other"'));
      await writeFile(join(broken, "stray.ndjson.zst"), "not a snapshot");
      const run = await runBooksnap(["list", broken, "--json"]);
      expect(run.code).toBe(0);
      const states = Object.fromEntries(
        JSON.parse(run.stdout).snapshots.map(
          (s: { name: string; state: string; problem?: { code: string } }) => [
            s.name,
            `${s.state} ${s.problem?.code ?? ""}`.trim(),
          ],
        ),
      );
      expect(states).toEqual({
        older: "data-missing E_DATA_MISSING",
        short: "size-mismatch E_DATA_SIZE",
        edited: "manifest-invalid E_MANIFEST_CHECKSUM",
        stray: "manifest-missing E_MANIFEST_MISSING",
      });
      const human = await runBooksnap(["list", broken]);
      expect(human.stdout).toMatch(/^older\s.*DATA FILE MISSING$/m);
      expect(human.stdout).toMatch(/^short\s.*SIZE MISMATCH$/m);
      expect(human.stdout).toMatch(/^edited\s.*MANIFEST INVALID$/m);
      expect(human.stdout).toContain("short: E_DATA_SIZE");
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it("--verify reads every record: a flipped byte of the same size fails with exit 4", async () => {
    const flipped = await mkdtemp(join(tmpdir(), "booksnap-list-verify-"));
    try {
      await copyTo(flipped, dir, "newer", ["manifest", "data"]);
      await copyTo(flipped, dir, "older", ["manifest", "data"]);
      const good = await runBooksnap(["list", flipped, "--verify"]);
      expect(good.code).toBe(0);
      expect(good.stdout).toMatch(/^newer\s.*verified$/m);
      const file = await open(join(flipped, "newer.ndjson.zst"), "r+");
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, 200);
      await file.write(Buffer.from([(byte[0] ?? 0) ^ 0xff]), 0, 1, 200);
      await file.close();
      const cheap = await runBooksnap(["list", flipped]);
      expect(cheap.code).toBe(0);
      expect(cheap.stdout).toMatch(/^newer\s.*manifest ok$/m);
      const full = await runBooksnap(["list", flipped, "--verify", "--json"]);
      expect(full.code).toBe(4);
      const result = JSON.parse(full.stdout);
      expect(result.ok).toBe(false);
      const byName = Object.fromEntries(result.snapshots.map((s: { name: string }) => [s.name, s]));
      expect(byName.newer).toMatchObject({ state: "verify-failed", problem: { code: "E_DATA_SHA256" } });
      expect(byName.older).toMatchObject({ state: "verified" });
    } finally {
      await rm(flipped, { recursive: true, force: true });
    }
  });

  it("treats a missing directory as empty (exit 0) and defaults to ./snapshots", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "booksnap-list-cwd-"));
    try {
      const run = await runBooksnap(["list"], { cwd });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("No snapshots in snapshots (the directory does not exist)");
      const json = await runBooksnap(["list", "--json"], { cwd });
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, exists: false, snapshots: [] });
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
