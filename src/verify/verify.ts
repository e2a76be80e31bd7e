import type { ProgressCallback } from "../cli/progress.js";
import { InterruptedError } from "../errors.js";
import { readDataLines } from "../snapshot/data-reader.js";
import { assertKeysFor, type DecryptionKeys } from "../snapshot/encryption.js";
import { largeExpansion } from "../snapshot/expansion.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import { resolveSnapshotPaths, type SnapshotPaths } from "../snapshot/paths.js";
import { SnapshotContentChecker } from "./content-checker.js";
import { checkDataFile, loadManifest } from "./data-file.js";
import { RowContentChecker } from "./row-checker.js";

export interface VerifyDeps {
  /** Called every PROGRESS_EVERY lines. */
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Keys for an encrypted snapshot (identities and/or passphrase); used only when the manifest says it is encrypted. */
  keys?: DecryptionKeys;
  /** Told when the manifest declares an unusually large expansion (largeExpansion). */
  warn?: (message: string) => void;
}

export interface VerifyResult {
  paths: SnapshotPaths;
  manifest: SnapshotManifest;
  /** Rows per table (format 1: per model), in data-file order. */
  counts: Record<string, number>;
  lines: number;
}

/** Lines between progress reports. */
const PROGRESS_EVERY = 5000;

/**
 * Verifies a snapshot offline: manifest checksum and version, data file size and SHA-256, then
 * every line decoded and validated, order, keys and references checked, counts and digests
 * recomputed (format 2: per the manifest's schema description; format 1: the frozen book layout). Accepts the manifest path, the data path or the path without extensions.
 * Throws a SnapshotIntegrityError (exit 4) at the first problem.
 */
export async function verifySnapshot(path: string, deps: VerifyDeps = {}): Promise<VerifyResult> {
  const paths = resolveSnapshotPaths(path);
  const manifest = await loadManifest(paths);
  await checkDataFile(paths.dataPath, manifest.data);
  const encryption = manifest.data.encryption;
  if (encryption) assertKeysFor(encryption, deps.keys);
  const expansion = largeExpansion(manifest.data);
  if (expansion) deps.warn?.(`${paths.name}: ${expansion.message}`);
  const checker =
    manifest.formatVersion === 1 ? new SnapshotContentChecker(manifest) : new RowContentChecker(manifest);
  let lines = 0;
  for await (const line of readDataLines(paths.dataPath, {
    maxUncompressedBytes: manifest.data.uncompressedBytes,
    ...(encryption && deps.keys ? { decryption: { encryption, keys: deps.keys } } : {}),
  })) {
    checker.acceptLine(line);
    lines += 1;
    if (lines % PROGRESS_EVERY === 0) {
      if (deps.signal?.aborted) throw new InterruptedError("Verification interrupted.");
      await deps.onProgress?.({ label: "verify", done: lines, total: manifest.data.lines });
    }
  }
  const counts = checker.finish();
  return { paths, manifest, counts, lines };
}
