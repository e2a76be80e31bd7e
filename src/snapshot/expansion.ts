import type { SnapshotManifest } from "./manifest.js";

/**
 * Uncompressed bytes per data file byte above which a snapshot is announced, and import asks
 * (or needs --allow-large-expansion). Real book data expands 3–6× at zstd level 3, the
 * empty-and-maximal-fields fixture 26×; a decompression bomb, thousands of times.
 */
export const EXPANSION_RATIO_LIMIT = 100;
/** Below this uncompressed size any ratio is harmless (a tiny, repetitive snapshot): 64 MiB. */
export const EXPANSION_MIN_BYTES = 64 * 1024 * 1024;

export interface LargeExpansion {
  /** Data file size on disk. */
  fileBytes: number;
  /** What the manifest declares it decompresses to (readers stop past it). */
  uncompressedBytes: number;
  ratio: number;
  /** One sentence for a person. */
  message: string;
}

/** The manifest's declared expansion, when it is far beyond what the file size suggests. */
export function largeExpansion(data: SnapshotManifest["data"]): LargeExpansion | undefined {
  if (data.uncompressedBytes < EXPANSION_MIN_BYTES) return undefined;
  const ratio = data.uncompressedBytes / Math.max(data.bytes, 1);
  if (ratio <= EXPANSION_RATIO_LIMIT) return undefined;
  const rounded = Math.round(ratio).toLocaleString("en-US");
  return {
    fileBytes: data.bytes,
    uncompressedBytes: data.uncompressedBytes,
    ratio,
    message: `the data file expands ${rounded}× (${data.bytes.toLocaleString("en-US")} bytes → ${data.uncompressedBytes.toLocaleString("en-US")} bytes uncompressed; booksnap snapshots usually expand less than ${EXPANSION_RATIO_LIMIT}×)`,
  };
}
