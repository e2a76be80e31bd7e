import { stat } from "node:fs/promises";
import { manifestTableCounts, type SnapshotManifest } from "./snapshot/manifest.js";
import { resolveSnapshotPaths, type SnapshotPaths, snapshotFiles } from "./snapshot/paths.js";
import { loadManifest } from "./verify/data-file.js";

/** What `booksnap inspect` shows: the manifest's facts, without reading the data file. */
export interface SnapshotSummary {
  name: string;
  manifestPath: string;
  dataPath: string;
  /** Whether the data file is next to the manifest (content is checked by verify, not here). */
  dataFilePresent: boolean;
  formatVersion: number;
  tool: SnapshotManifest["tool"];
  createdAt: string;
  source: SnapshotManifest["source"];
  filters: SnapshotManifest["filters"];
  redaction: SnapshotManifest["redaction"];
  schemaFingerprint: string;
  /** Rows per table, in data-file order. */
  counts: Record<string, number>;
  records: number;
  bytes: number;
  uncompressedBytes: number;
  sha256: string;
  /** How the data file is encrypted (export --encrypt), or null. */
  encryption: SnapshotManifest["data"]["encryption"] | null;
}

/** Reads a snapshot's manifest (checksum verified) and summarises it. */
export async function inspectSnapshot(path: string): Promise<SnapshotSummary> {
  const paths: SnapshotPaths = resolveSnapshotPaths(path);
  const manifest = await loadManifest(paths);
  const dataFilePresent = await stat(paths.dataPath).then(
    (s) => s.isFile(),
    () => false,
  );
  return summariseManifest(manifest, snapshotFiles(paths), dataFilePresent);
}

/** The summary of a checked manifest, wherever its files are (a directory or a store). */
export function summariseManifest(
  manifest: SnapshotManifest,
  files: Pick<SnapshotSummary, "name" | "manifestPath" | "dataPath">,
  dataFilePresent: boolean,
): SnapshotSummary {
  const counts = manifestTableCounts(manifest);
  return {
    ...files,
    dataFilePresent,
    formatVersion: manifest.formatVersion,
    tool: manifest.tool,
    createdAt: manifest.createdAt,
    source: manifest.source,
    filters: manifest.filters,
    redaction: manifest.redaction,
    schemaFingerprint: manifest.schema.fingerprint,
    counts,
    records: Object.values(counts).reduce((a, b) => a + b, 0),
    bytes: manifest.data.bytes,
    uncompressedBytes: manifest.data.uncompressedBytes,
    sha256: manifest.data.sha256,
    encryption: manifest.data.encryption ?? null,
  };
}
