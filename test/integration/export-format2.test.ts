import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compress, decompress } from "zstd-napi";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { exportSnapshot } from "../../src/export/export.js";
import type { SnapshotManifestV2 } from "../../src/snapshot/manifest.js";
import { verifySnapshot } from "../../src/verify/verify.js";
import { testConnection, useLoadedSource } from "../helpers/export.js";
import { readManifestV2, readRowsByTable } from "../helpers/format2.js";
import { manifestMatching } from "../helpers/rewrite-snapshot.js";

describe("export writes snapshot format 2, verify checks it", () => {
  const source = useLoadedSource({ users: 3, books: 25 }, "booksnap-f2-");
  let manifest: SnapshotManifestV2;
  let base: string;
  const warnings: string[] = [];

  beforeAll(async () => {
    const result = await exportSnapshot(
      {
        connection: testConnection(source.db.url),
        outDir: source.work,
        name: "f2",
        config: presetProjectConfig(),
        redactionKey: "k".repeat(32),
        // Small pages: keyset paging crosses several page boundaries per table.
        fetchRows: 7,
      },
      { now: () => new Date(), warn: (m) => warnings.push(m) },
    );
    manifest = await readManifestV2(result.paths.manifestPath);
    base = `${source.work}/f2`;
  });

  it("describes the schema, counts and digests every table, rows ascend by primary key", async () => {
    // Foreign-key order (AppSettings references nothing; ties by name).
    expect(manifest.schema.description.tables.map((t) => t.name)).toEqual([
      "AppSettings",
      "User",
      "Book",
      "ReadingList",
      "BookInReadingList",
    ]);
    expect(manifest.schema.fingerprint).toMatch(/^sha256:/);
    const rows = await readRowsByTable(`${base}.ndjson.zst`, manifest);
    expect(rows.User).toHaveLength(3);
    expect(rows.Book).toHaveLength(25);
    for (const [table, list] of Object.entries(rows)) expect(list.length).toBe(manifest.tables[table]?.count);
    const ids = (rows.Book ?? []).map((b) => b.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const entries = (rows.BookInReadingList ?? []).map(
      (e) => [e.bookId, e.readingListId] as [number, number],
    );
    expect(entries.length).toBeGreaterThan(7);
  });

  it("pseudonymises by the config's rules and records them", async () => {
    expect(manifest.redaction.mode).toBe("pseudonymised");
    expect(manifest.redaction.rules.map((r) => `${r.table}.${r.column}`)).toEqual(
      expect.arrayContaining(["User.email", "User.clerkId", "User.name"]),
    );
    expect(manifest.redaction.rules.every((r) => r.kind !== "keep")).toBe(true);
    const rows = await readRowsByTable(`${base}.ndjson.zst`, manifest);
    for (const user of rows.User ?? []) expect(String(user.email)).toMatch(/example\.invalid$/);
    expect(manifest.redaction.uncovered).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("verify passes, per table", async () => {
    const result = await verifySnapshot(base);
    expect(result.counts).toEqual(
      Object.fromEntries(Object.entries(manifest.tables).map(([t, s]) => [t, s.count])),
    );
  });

  /** Rewrites the data file's lines (and a manifest matching its bytes, so only content checks can refuse). */
  async function tampered(edit: (lines: string[]) => string[]): Promise<string> {
    const plain = decompress(await readFile(`${base}.ndjson.zst`)).toString("utf8");
    const lines = edit(plain.trimEnd().split("\n"));
    const text = Buffer.from(`${lines.join("\n")}\n`);
    const compressed = compress(text);
    const dir = await mkdtemp(join(source.work, "tampered-"));
    await writeFile(join(dir, "f2.ndjson.zst"), compressed);
    await writeFile(
      join(dir, "f2.manifest.json"),
      JSON.stringify(manifestMatching(manifest, text, compressed, lines.length)),
    );
    return join(dir, "f2");
  }

  async function refusal(copy: string): Promise<{ code: string; message: string }> {
    const error = await verifySnapshot(copy).then(
      () => undefined,
      (e: { code: string; message: string }) => e,
    );
    if (!error) throw new Error("verify accepted a tampered snapshot");
    return error;
  }

  it("refuses a changed value (digest), a swapped row order, a wrong type and a dangling reference", async () => {
    const bookLine = (lines: string[]) => lines.findIndex((l) => l.startsWith('["Book",'));
    const changed = await tampered((lines) => {
      const i = bookLine(lines);
      // The first string value after the framing (isbn10): still valid, so only the digest can tell.
      lines[i] = (lines[i] as string).replace(/^(\["Book",\[\d+, \d+, )"[^"]*"/, '$1"0000000000"');
      return lines;
    });
    expect((await refusal(changed)).code).toMatch(/E_DIGEST_MISMATCH|E_RECORD_INVALID/);

    const swapped = await tampered((lines) => {
      const i = bookLine(lines);
      const a = lines[i] as string;
      lines[i] = lines[i + 1] as string;
      lines[i + 1] = a;
      return lines;
    });
    expect((await refusal(swapped)).code).toBe("E_RECORD_ORDER");

    const wrongType = await tampered((lines) => {
      const i = bookLine(lines);
      lines[i] = (lines[i] as string).replace(/^\["Book",\[(\d+), (\d+),/, '["Book",[$1, "$2",');
      return lines;
    });
    const typeError = await refusal(wrongType);
    expect(typeError.code).toBe("E_RECORD_INVALID");
    expect(typeError.message).toContain("ownerId");

    const dangling = await tampered((lines) => {
      const i = bookLine(lines);
      lines[i] = (lines[i] as string).replace(/^\["Book",\[(\d+), (\d+),/, '["Book",[$1, 999999,');
      return lines;
    });
    expect((await refusal(dangling)).code).toBe("E_DANGLING_REFERENCE");

    const tableOrder = await tampered((lines) => {
      const i = bookLine(lines);
      const user = lines.findIndex((l) => l.startsWith('["User",'));
      const [book] = lines.splice(i, 1);
      lines.splice(user, 0, book as string);
      return lines;
    });
    expect((await refusal(tableOrder)).code).toMatch(/E_RECORD_ORDER|E_DANGLING_REFERENCE/);
  });
});
