import { createHash } from "node:crypto";
import { mkdir, open, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compress, decompress } from "zstd-napi";
import { type SnapshotManifestV2 as SnapshotManifest, signManifest } from "../../src/snapshot/manifest.js";
import { runBooksnap } from "../helpers/cli.js";
import { useLoadedSource } from "../helpers/export.js";

describe("export then verify (CLI)", () => {
  const source = useLoadedSource({ users: 4, books: 80 }, "booksnap-ev-");
  let base: string;

  beforeAll(async () => {
    const run = await runBooksnap(["export", "--name", "lib", "--json"], {
      cwd: source.work,
      env: { DEWEY_DB_DATABASE_URL_READONLY: source.db.url },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.counts).toEqual({ AppSettings: 0, User: 4, Book: 80, ReadingList: 12, BookInReadingList: 120 });
    base = join(source.work, "snapshots", "lib");
    expect(summary.snapshot.manifestPath).toBe(`${base}.manifest.json`);
  });

  /** A private copy of the snapshot (same name, own directory) to damage. */
  async function copySnapshot(label: string): Promise<string> {
    const sub = join(source.work, label);
    await mkdir(sub);
    for (const suffix of [".ndjson.zst", ".manifest.json"]) {
      await writeFile(join(sub, `lib${suffix}`), await readFile(`${base}${suffix}`), { mode: 0o600 });
    }
    return join(sub, "lib");
  }

  /** Re-signs an edited manifest, as a forger (or a buggy tool) would. */
  async function rewriteManifest(copy: string, edit: (m: SnapshotManifest) => void): Promise<void> {
    const manifest = JSON.parse(await readFile(`${copy}.manifest.json`, "utf8")) as SnapshotManifest;
    edit(manifest);
    const { manifestChecksum: _old, ...unsigned } = manifest;
    await writeFile(`${copy}.manifest.json`, JSON.stringify(signManifest(unsigned)));
  }

  it("verify passes on the fresh snapshot, by manifest, data or base path, and --json reports counts", async () => {
    for (const path of [`${base}.manifest.json`, `${base}.ndjson.zst`, base]) {
      const run = await runBooksnap(["verify", path]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("OK");
    }
    const json = await runBooksnap(["verify", base, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, lines: 216, counts: { Book: 80 } });
  });

  it("the snapshot files are 0600 and inspect summarises the manifest", async () => {
    expect((await stat(`${base}.ndjson.zst`)).mode & 0o777).toBe(0o600);
    expect((await stat(`${base}.manifest.json`)).mode & 0o777).toBe(0o600);
    const run = await runBooksnap(["inspect", base, "--json"]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      ok: true,
      name: "lib",
      formatVersion: 2,
      dataFilePresent: true,
      records: 216,
      counts: { AppSettings: 0, User: 4, Book: 80, ReadingList: 12, BookInReadingList: 120 },
      source: { database: source.db.name, tls: "disable", isolation: "repeatable read, read only" },
      redaction: { mode: "pseudonymised" },
      filters: { owners: [], where: [], addedByReference: {} },
    });
    const human = await runBooksnap(["inspect", `${base}.manifest.json`]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Book\s+80/);
  });

  it("--compression-level trades size for time: the same records, a smaller file at 19 than at 1; out of range is exit 2", async () => {
    const exportAt = async (level: string) => {
      const run = await runBooksnap(
        ["export", "--name", `level-${level}`, "--compression-level", level, "--json"],
        { cwd: source.work, env: { DEWEY_DB_DATABASE_URL_READONLY: source.db.url } },
      );
      return run;
    };
    const fast = await exportAt("1");
    const small = await exportAt("19");
    expect([fast.code, small.code]).toEqual([0, 0]);
    const [fastSummary, smallSummary] = [JSON.parse(fast.stdout), JSON.parse(small.stdout)];
    expect(smallSummary.bytes).toBeLessThan(fastSummary.bytes);
    expect(smallSummary.uncompressedBytes).toBe(fastSummary.uncompressedBytes);
    for (const summary of [fastSummary, smallSummary]) {
      expect((await runBooksnap(["verify", summary.snapshot.manifestPath])).code).toBe(0);
    }
    const bad = await exportAt("20");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--compression-level");
  });

  it("a flipped byte in the data file fails with exit 4 and names the SHA-256 mismatch", async () => {
    const copy = await copySnapshot("flip");
    const handle = await open(`${copy}.ndjson.zst`, "r+");
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 5000);
    byte[0] = (byte[0] as number) ^ 0x01;
    await handle.write(byte, 0, 1, 5000);
    await handle.close();
    const run = await runBooksnap(["verify", copy]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("[E_DATA_SHA256]");
    expect(run.stderr).toContain("does not match the manifest's SHA-256");
  });

  it("a truncated data file fails with exit 4 and says it is truncated", async () => {
    const copy = await copySnapshot("truncated");
    const size = (await stat(`${copy}.ndjson.zst`)).size;
    await truncate(`${copy}.ndjson.zst`, size - 100);
    const run = await runBooksnap(["verify", copy, "--json"]);
    expect(run.code).toBe(4);
    const result = JSON.parse(run.stdout);
    expect(result.error.code).toBe("E_DATA_SIZE");
    expect(result.error.message).toContain("truncated");
  });

  it("an edited manifest fails with exit 4: its checksum no longer matches", async () => {
    const copy = await copySnapshot("edited");
    const text = await readFile(`${copy}.manifest.json`, "utf8");
    await writeFile(`${copy}.manifest.json`, text.replace(/"count": 80/, '"count": 81'));
    const run = await runBooksnap(["verify", copy]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("[E_MANIFEST_CHECKSUM]");
    expect(run.stderr).toContain("was modified");
    // inspect trusts only a manifest whose checksum holds, too.
    const inspect = await runBooksnap(["inspect", copy, "--json"]);
    expect(inspect.code).toBe(4);
    expect(JSON.parse(inspect.stdout).error.code).toBe("E_MANIFEST_CHECKSUM");
  });

  it("a re-signed manifest with a wrong count is caught by recounting the records", async () => {
    const copy = await copySnapshot("recount");
    await rewriteManifest(copy, (m) => {
      // Moved between tables: the total still matches the line count, only recounting tells.
      (m.tables.Book as { count: number }).count = 79;
      (m.tables.User as { count: number }).count = 5;
    });
    const run = await runBooksnap(["verify", copy]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("[E_COUNT_MISMATCH]");
    expect(run.stderr).toContain("User: the data file holds 4 rows, the manifest says 5");
  });

  it("a re-signed snapshot with an invalid record names the line, model and field", async () => {
    const copy = await copySnapshot("record");
    const text = decompress(await readFile(`${copy}.ndjson.zst`)).toString("utf8");
    const lines = text.split("\n");
    const index = lines.findIndex((l) => l.startsWith('["Book",'));
    const manifest = JSON.parse(await readFile(`${copy}.manifest.json`, "utf8")) as SnapshotManifest;
    const book = manifest.schema.description.tables.find((t) => t.name === "Book");
    const position = book?.columns.findIndex((c) => c.name === "pageCount") ?? -1;
    const row = (JSON.parse(lines[index] as string) as [string, unknown[]])[1];
    row[position] = "many";
    lines[index] = `["Book",${JSON.stringify(row)}]`;
    const damaged = compress(Buffer.from(lines.join("\n"), "utf8"));
    await writeFile(`${copy}.ndjson.zst`, damaged);
    await rewriteManifest(copy, (m) => {
      m.data.bytes = damaged.length;
      m.data.uncompressedBytes = Buffer.byteLength(lines.join("\n"));
      m.data.sha256 = createHash("sha256").update(damaged).digest("hex");
    });
    const run = await runBooksnap(["verify", copy, "--json"]);
    expect(run.code).toBe(4);
    const { error } = JSON.parse(run.stdout);
    expect(error.code).toBe("E_RECORD_INVALID");
    expect(error.details).toMatchObject({ line: index + 1, table: "Book", field: "pageCount" });
    expect(error.message).toContain(`Line ${index + 1} (Book): pageCount`);
  });
});
