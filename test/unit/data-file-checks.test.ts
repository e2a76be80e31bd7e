import { createHash } from "node:crypto";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BooksnapError } from "../../src/errors.js";
import type { SnapshotManifest } from "../../src/snapshot/manifest.js";
import { snapshotPaths } from "../../src/snapshot/paths.js";
import { checkDataFile, loadManifest, sha256File } from "../../src/verify/data-file.js";

/**
 * The checks verify and import run on a snapshot's files before reading a record: the manifest
 * is there and describes this data file, and the data file has the declared size and SHA-256.
 * Written against mutants that survived the corpus (docs/security.md, "Mutation testing").
 */
const FIXTURES = new URL("../fixtures/", import.meta.url);
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "booksnap-datafile-"));
  dirs.push(dir);
  return dir;
}

async function refusal(check: Promise<unknown>): Promise<BooksnapError> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BooksnapError);
  return error as BooksnapError;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function dataOf(content: string): SnapshotManifest["data"] {
  return {
    file: "lib.ndjson.zst",
    encoding: "ndjson",
    compression: "zstd",
    bytes: Buffer.byteLength(content),
    uncompressedBytes: 0,
    lines: 0,
    sha256: sha256(content),
  };
}

describe("loadManifest", () => {
  it("loads the manifest of the snapshot it is given", async () => {
    const dir = await workDir();
    await copyFile(
      new URL("normal-library.manifest.json", FIXTURES),
      join(dir, "normal-library.manifest.json"),
    );
    const manifest = await loadManifest(snapshotPaths(dir, "normal-library"));
    expect(manifest.data.file).toBe("normal-library.ndjson.zst");
  });

  it("refuses a missing manifest with the path, the errno and how to name a snapshot", async () => {
    const dir = await workDir();
    const paths = snapshotPaths(dir, "absent");
    const error = await refusal(loadManifest(paths));
    expect(error.code).toBe("E_MANIFEST_MISSING");
    expect(error.message).toBe(`Cannot read the manifest ${paths.manifestPath}`);
    expect(error.details).toEqual({ errno: "ENOENT" });
    expect(error.hint).toContain("<name>.manifest.json");
  });

  it("refuses a manifest renamed away from its data file, naming both files", async () => {
    const dir = await workDir();
    await copyFile(new URL("normal-library.manifest.json", FIXTURES), join(dir, "renamed.manifest.json"));
    const error = await refusal(loadManifest(snapshotPaths(dir, "renamed")));
    expect(error.code).toBe("E_MANIFEST_INVALID");
    expect(error.message).toBe(
      `Manifest ${join(dir, "renamed.manifest.json")} describes data file 'normal-library.ndjson.zst', expected 'renamed.ndjson.zst'`,
    );
    expect(error.hint).toContain("keep <name>.manifest.json and <name>.ndjson.zst together");
  });
});

describe("checkDataFile", () => {
  const content = "the snapshot's bytes\n".repeat(100);

  it("accepts the data file the manifest describes", async () => {
    const path = join(await workDir(), "lib.ndjson.zst");
    await writeFile(path, content);
    await expect(checkDataFile(path, dataOf(content))).resolves.toBeUndefined();
  });

  it("refuses a missing data file", async () => {
    const path = join(await workDir(), "lib.ndjson.zst");
    const error = await refusal(checkDataFile(path, dataOf(content)));
    expect(error.code).toBe("E_DATA_MISSING");
    expect(error.message).toBe(`Data file ${path} is missing`);
    expect(error.hint).toContain("next to its manifest");
  });

  it("refuses a truncated data file, saying so", async () => {
    const path = join(await workDir(), "lib.ndjson.zst");
    await writeFile(path, content.slice(0, 100));
    const error = await refusal(checkDataFile(path, dataOf(content)));
    expect(error.code).toBe("E_DATA_SIZE");
    expect(error.message).toBe(
      `Data file ${path} has 100 bytes, the manifest says ${content.length} (truncated)`,
    );
    expect(error.details).toEqual({ expected: content.length, actual: 100 });
    expect(error.hint).toBe("The file is incomplete or altered; copy it again from its source.");
  });

  it("refuses a data file with bytes appended, without calling it truncated", async () => {
    const path = join(await workDir(), "lib.ndjson.zst");
    await writeFile(path, `${content}more`);
    const error = await refusal(checkDataFile(path, dataOf(content)));
    expect(error.code).toBe("E_DATA_SIZE");
    expect(error.message).toBe(
      `Data file ${path} has ${content.length + 4} bytes, the manifest says ${content.length}`,
    );
  });

  it("refuses a data file of the right size whose content changed, with both digests", async () => {
    const path = join(await workDir(), "lib.ndjson.zst");
    const altered = `X${content.slice(1)}`;
    await writeFile(path, altered);
    const error = await refusal(checkDataFile(path, dataOf(content)));
    expect(error.code).toBe("E_DATA_SHA256");
    expect(error.message).toBe(`Data file ${path} does not match the manifest's SHA-256`);
    expect(error.details).toEqual({ expected: sha256(content), actual: sha256(altered) });
    expect(error.hint).toBe("The file was corrupted or altered after export; copy it again from its source.");
  });

  it("hashes a file larger than one read chunk completely", async () => {
    const path = join(await workDir(), "big");
    const big = "0123456789".repeat(250_000);
    await writeFile(path, big);
    expect(await sha256File(path)).toBe(sha256(big));
  });
});
