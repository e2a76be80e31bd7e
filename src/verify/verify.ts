import type { ProgressCallback } from "../cli/progress.js";
import { InterruptedError } from "../errors.js";
import { readDataLines } from "../snapshot/data-reader.js";
import { assertKeysFor, type DecryptionKeys } from "../snapshot/encryption.js";
import { largeExpansion } from "../snapshot/expansion.js";
import { format1Row } from "../snapshot/format1.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import { modelSpec } from "../snapshot/models.js";
import { resolveSnapshotPaths, type SnapshotPaths } from "../snapshot/paths.js";
import { type CheckedRecord, SnapshotContentChecker } from "./content-checker.js";
import { checkDataFile, loadManifest } from "./data-file.js";
import { type CheckedRow, RowContentChecker } from "./row-checker.js";

export interface VerifyDeps {
  /** Called every PROGRESS_EVERY lines. */
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Keys for an encrypted snapshot (identities and/or passphrase); used only when the manifest says it is encrypted. */
  keys?: DecryptionKeys;
  /** Told when the manifest declares an unusually large expansion (largeExpansion). */
  warn?: (message: string) => void;
  /** Shown the snapshot as it is verified (inspect --owners reads the owners this way). */
  observer?: VerifyObserver;
}

/**
 * Sees a snapshot while verify reads it. What a row says can be trusted only once verifySnapshot
 * returns: counts, digests and sizes are compared at the end of the file.
 */
export interface VerifyObserver {
  /** The checked manifest, before the data file is read; throwing stops verification. */
  manifest?(manifest: SnapshotManifest): void;
  /** Each row once its line passed the checks, in file order. */
  row?(row: VerifiedRow): void;
}

/** A checked row: format 2 as the file holds it, a format-1 record laid out as a row of FORMAT1_DESCRIPTION. */
export interface VerifiedRow {
  lineNumber: number;
  table: string;
  /** The table's carried columns' values, in the manifest's column order. */
  row: readonly unknown[];
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
  deps.observer?.manifest?.(manifest);
  await checkDataFile(paths.dataPath, manifest.data);
  const encryption = manifest.data.encryption;
  if (encryption) assertKeysFor(encryption, deps.keys);
  const expansion = largeExpansion(manifest.data);
  if (expansion) deps.warn?.(`${paths.name}: ${expansion.message}`);
  const checker =
    manifest.formatVersion === 1 ? new SnapshotContentChecker(manifest) : new RowContentChecker(manifest);
  const observeRow = deps.observer?.row;
  let lines = 0;
  for await (const line of readDataLines(paths.dataPath, {
    maxUncompressedBytes: manifest.data.uncompressedBytes,
    ...(encryption && deps.keys ? { decryption: { encryption, keys: deps.keys } } : {}),
  })) {
    const checked = checker.acceptLine(line);
    if (observeRow) observeRow(verifiedRow(checked));
    lines += 1;
    if (lines % PROGRESS_EVERY === 0) {
      if (deps.signal?.aborted) throw new InterruptedError("Verification interrupted.");
      await deps.onProgress?.({ label: "verify", done: lines, total: manifest.data.lines });
    }
  }
  const counts = checker.finish();
  return { paths, manifest, counts, lines };
}

/** A checker's result as a VerifiedRow: format-1 records laid out by format1Row. */
function verifiedRow(checked: CheckedRow | CheckedRecord): VerifiedRow {
  if (!("model" in checked)) return checked;
  const { lineNumber, model, record } = checked;
  return { lineNumber, table: modelSpec(model).table, row: format1Row(model, record) };
}
