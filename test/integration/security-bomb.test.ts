import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compress, decompress } from "zstd-napi";
import { sha256Hex } from "../../src/snapshot/canonical.js";
import { type SnapshotManifest, signManifest } from "../../src/snapshot/manifest.js";
import { contentDump, createPreparedTarget, makeSnapshot } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import type { TestDatabase } from "../helpers/db.js";

/**
 * A decompression bomb: a data file of a few KiB that inflates to 256 MiB, with a manifest that
 * matches the file byte for byte (size, SHA-256, re-signed) and declares the real, small size.
 * Readers must stop as soon as the output passes the declared size, instead of inflating it.
 */
let work: string;
let bomb: string;
let target: TestDatabase;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-bomb-"));
  const snap = await makeSnapshot(work, "bomb", { users: 1, books: 3, seed: 61 });
  const plain = decompress(await readFile(snap.paths.dataPath));
  const inflated = compress(Buffer.concat([plain, Buffer.alloc(256 * 1024 * 1024, 0x20)]));
  expect(inflated.length).toBeLessThan(64 * 1024);
  await writeFile(snap.paths.dataPath, inflated);
  const { manifestChecksum: _old, ...unsigned } = snap.manifest as SnapshotManifest;
  const forged = signManifest({
    ...unsigned,
    data: { ...unsigned.data, bytes: inflated.length, sha256: sha256Hex(inflated) },
  });
  await writeFile(snap.paths.manifestPath, JSON.stringify(forged));
  bomb = join(work, "bomb");
  target = await createPreparedTarget();
});
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("decompression bomb", () => {
  it("verify stops at the declared size (exit 4, E_DATA_TOO_LARGE) with a small heap", async () => {
    const run = await runBooksnap(["verify", bomb], { nodeArgs: ["--max-old-space-size=48"] });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain("[E_DATA_TOO_LARGE]");
    expect(run.stderr).toMatch(/decompression bomb/);
  });

  it("import refuses it (exit 4, E_DATA_TOO_LARGE) and the application data is unchanged", async () => {
    const before = await contentDump(target);
    const run = await runBooksnap(["import", bomb, "--to", target.url, "--yes"], {
      cwd: work,
      nodeArgs: ["--max-old-space-size=48"],
    });
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toContain("[E_DATA_TOO_LARGE]");
    expect(await contentDump(target)).toEqual(before);
  });
});
