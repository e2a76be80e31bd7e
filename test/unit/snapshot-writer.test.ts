import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { canonicalJson, ModelDigest } from "../../src/snapshot/canonical.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import { parseManifest } from "../../src/snapshot/manifest.js";
import { modelSpec } from "../../src/snapshot/models.js";
import { decodeRecordLine } from "../../src/snapshot/record-line.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
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
