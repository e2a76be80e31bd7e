import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { compress, decompress } from "zstd-napi";
import { type SnapshotManifest, signManifest, type UnsignedManifest } from "../../src/snapshot/manifest.js";
import type { SnapshotPaths } from "../../src/snapshot/paths.js";

/** The decompressed data lines of a snapshot written by the real writer (without "\n"). */
export async function readDataLines(paths: Pick<SnapshotPaths, "dataPath">): Promise<Buffer[]> {
  const text = decompress(await readFile(paths.dataPath));
  const lines: Buffer[] = [];
  let start = 0;
  for (let at = text.indexOf(10); at !== -1; at = text.indexOf(10, start)) {
    lines.push(Buffer.from(text.subarray(start, at)));
    start = at + 1;
  }
  return lines;
}

/** The data file bytes for these lines: "\n"-terminated, zstd level 3 as the writer does. */
export function compressLines(lines: readonly Buffer[]): { plain: Buffer; compressed: Buffer } {
  const plain = Buffer.concat(lines.flatMap((line) => [line, Buffer.from("\n")]));
  return { plain, compressed: compress(plain, { compressionLevel: 3 }) };
}

/**
 * The manifest re-signed so its data section matches `compressed` byte for byte (size, SHA-256,
 * uncompressed size, lines): integrity checks pass and only deeper layers can refuse the file.
 * Counts and digests stay the base manifest's.
 */
export function manifestMatching<M extends SnapshotManifest>(
  base: M,
  plain: Buffer,
  compressed: Buffer,
  lines: number,
): M {
  const { manifestChecksum: _old, ...unsigned } = base;
  return signManifest({
    ...unsigned,
    data: {
      ...unsigned.data,
      bytes: compressed.length,
      uncompressedBytes: plain.length,
      lines,
      sha256: createHash("sha256").update(compressed).digest("hex"),
    },
  } as unknown as UnsignedManifest) as M;
}

/** Rewrites a snapshot's data file with these lines and a manifest that matches them. */
export async function rewriteSnapshot<M extends SnapshotManifest>(
  paths: Pick<SnapshotPaths, "dataPath" | "manifestPath">,
  base: M,
  lines: readonly Buffer[],
): Promise<M> {
  const { plain, compressed } = compressLines(lines);
  const manifest = manifestMatching(base, plain, compressed, lines.length);
  await writeFile(paths.dataPath, compressed);
  await writeFile(paths.manifestPath, JSON.stringify(manifest));
  return manifest;
}
