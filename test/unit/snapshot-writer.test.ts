import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { canonicalJson, ModelDigest } from "../../src/snapshot/canonical.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import { parseManifest } from "../../src/snapshot/manifest.js";
import { modelSpec } from "../../src/snapshot/models.js";
import { decodeRecordLine, encodeRecordLine, frameCanonicalLines } from "../../src/snapshot/record-line.js";
import { type OutgoingRecord, writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { validateRecord } from "../../src/snapshot/validate.js";
import { testDescription } from "../helpers/snapshot.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("snapshot writer and reader", () => {
  it("write a 0600 data file and a signed manifest whose counts and digests match the lines read back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "booksnap-w-"));
    dirs.push(dir);
    const { paths, manifest } = await writeSnapshot(
      dir,
      "lib",
      generateLibrary({ users: 3, books: 40 }),
      testDescription(),
    );
    expect((await stat(paths.dataPath)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.manifestPath)).mode & 0o777).toBe(0o600);
    const reread = parseManifest(await readFile(paths.manifestPath, "utf8"), paths.manifestPath);
    expect(reread).toEqual(manifest);

    const digests = new Map<string, ModelDigest>();
    let lines = 0;
    for await (const line of readDataLines(paths.dataPath)) {
      lines += 1;
      const decoded = decodeRecordLine(line.bytes);
      if (!decoded.ok) throw new Error(decoded.reason);
      const valid = validateRecord(decoded.model, decoded.record);
      if (!valid.ok) throw new Error(valid.reason);
      const digest = digests.get(decoded.model) ?? new ModelDigest();
      digests.set(decoded.model, digest);
      digest.addCanonical(canonicalJson(modelSpec(decoded.model), valid.record));
    }
    expect(lines).toBe(manifest.data.lines);
    expect(manifest.models.User.count).toBe(3);
    expect(manifest.models.Book.count).toBe(40);
    for (const [model, digest] of digests) {
      expect(digest.digest()).toBe(manifest.models[model as keyof typeof manifest.models].digest);
    }
  });
});

describe("framing records PostgreSQL rendered", () => {
  it("wraps each canonical line exactly as encodeRecordLine does, and writes the same snapshot either way", async () => {
    const records: OutgoingRecord[] = [];
    for await (const item of generateLibrary({ users: 2, books: 12 })) records.push(item);
    const books = records.filter((r) => r.model === "Book");
    const canonical = books.map((r) => canonicalJson(modelSpec("Book"), r.record));
    const rendered = Buffer.from(canonical.map((json) => `${json}\n`).join(""), "utf8");
    expect(frameCanonicalLines("Book", rendered, canonical.length).toString("utf8")).toBe(
      canonical.map((json) => `${encodeRecordLine("Book", json)}\n`).join(""),
    );
    expect(() => frameCanonicalLines("Book", rendered, canonical.length + 1)).toThrow();

    // The same records as objects and as rendered bytes (split mid-model) give identical files and manifests.
    const dir = await mkdtemp(join(tmpdir(), "booksnap-frame-"));
    dirs.push(dir);
    async function* asObjects() {
      yield* records;
    }
    const others = records.filter((r) => r.model !== "Book");
    async function* mixed() {
      for (const item of others.filter((r) => r.model === "User")) yield item;
      const half = Math.floor(canonical.length / 2);
      const part = (from: number, to: number) =>
        Buffer.from(
          canonical
            .slice(from, to)
            .map((json) => `${json}\n`)
            .join(""),
          "utf8",
        );
      yield { model: "Book" as const, canonical: part(0, half), count: half };
      yield {
        model: "Book" as const,
        canonical: part(half, canonical.length),
        count: canonical.length - half,
      };
      for (const item of others.filter((r) => r.model !== "User")) yield item;
    }
    const a = await writeSnapshot(dir, "objects", asObjects(), testDescription());
    const b = await writeSnapshot(dir, "mixed", mixed(), testDescription());
    expect(await readFile(b.paths.dataPath)).toEqual(await readFile(a.paths.dataPath));
    expect(b.manifest.models).toEqual(a.manifest.models);
    expect(b.manifest.data.sha256).toBe(a.manifest.data.sha256);
  });
});
