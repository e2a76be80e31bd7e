import { readdir, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { isBooksnapError, UsageError } from "./errors.js";
import { findTempFiles, type TempFile } from "./fs/temp-files.js";
import { manifestTableCounts, type SnapshotManifest } from "./snapshot/manifest.js";
import {
  DATA_SUFFIX,
  isSnapshotFileName,
  MANIFEST_SUFFIX,
  type SnapshotPaths,
  snapshotPaths,
} from "./snapshot/paths.js";
import { loadManifest } from "./verify/data-file.js";
import type { VerifyResult } from "./verify/verify.js";

/**
 * How far a snapshot was checked and what was found. The cheap states come from the manifest
 * and a stat of the data file; "verified" / "verify-failed" only from a full verification.
 */
export type SnapshotState =
  | "manifest-ok"
  | "manifest-invalid"
  | "manifest-missing"
  | "data-missing"
  | "size-mismatch"
  | "verified"
  | "verify-failed";

/** One row of `booksnap list`. */
export interface ListedSnapshot {
  name: string;
  manifestPath: string;
  dataPath: string;
  state: SnapshotState;
  /** Why the state is not ok (stable error code and message), when it is not. */
  problem?: { code: string; message: string };
  /** From the manifest; absent when the manifest cannot be read. */
  createdAt?: string;
  /** Seconds between createdAt and now. */
  ageSeconds?: number;
  /** Data file size on disk (absent when missing). */
  bytes?: number;
  /** Rows per table, in data-file order. */
  counts?: Record<string, number>;
  records?: number;
  source?: { host: string; port: number; database: string };
  redaction?: SnapshotManifest["redaction"]["mode"];
  /** Identifier of the pseudonymisation key: equal ids = pseudonyms that line up. */
  redactionKeyId?: string;
  encrypted?: boolean;
  owners?: string[];
}

export interface ListOptions {
  /** Run the full verification (every record) on each snapshot whose cheap checks pass. */
  verify: boolean;
}

export interface ListDeps {
  now: () => Date;
  /** The verify core (verifySnapshot), passed in so list stays a thin reader of the directory. */
  verify?: (path: string) => Promise<VerifyResult>;
}

export interface ListResult {
  dir: string;
  /** False when the directory does not exist (an empty listing, not an error). */
  exists: boolean;
  snapshots: ListedSnapshot[];
  /**
   * Temporary files of exports (or imports' dead-letter files) in the directory: abandoned ones
   * were left by a killed process and hold rows; the next export there removes them.
   */
  tempFiles: TempFile[];
}

/** Lists the snapshots in a directory, newest first, each with its verification state. */
export async function listSnapshots(dir: string, options: ListOptions, deps: ListDeps): Promise<ListResult> {
  const absolute = resolve(dir);
  let names: string[];
  try {
    names = await snapshotNames(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { dir: absolute, exists: false, snapshots: [], tempFiles: [] };
    throw new UsageError(`Cannot list ${absolute}: ${code ?? String(error)}`, {
      code: "E_LIST_DIR",
      cause: error,
      hint: "Name a directory of snapshots (default: snapshots/).",
    });
  }
  const snapshots: ListedSnapshot[] = [];
  for (const name of names) snapshots.push(await describe(snapshotPaths(absolute, name), options, deps));
  snapshots.sort(
    (a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? "") || a.name.localeCompare(b.name),
  );
  const tempFiles = await findTempFiles(absolute, isSnapshotFileName);
  return { dir: absolute, exists: true, snapshots, tempFiles };
}

async function snapshotNames(dir: string): Promise<string[]> {
  const names = new Set<string>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    for (const suffix of [MANIFEST_SUFFIX, DATA_SUFFIX]) {
      const base = entry.name.slice(0, -suffix.length);
      if (entry.name.endsWith(suffix) && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(base) && !base.includes("..")) {
        names.add(base);
      }
    }
  }
  return [...names].sort();
}

const problemOf = (error: unknown) => ({
  code: isBooksnapError(error) ? error.code : "E_UNEXPECTED",
  message: error instanceof Error ? error.message : String(error),
});

async function describe(paths: SnapshotPaths, options: ListOptions, deps: ListDeps): Promise<ListedSnapshot> {
  const base = { name: paths.name, manifestPath: paths.manifestPath, dataPath: paths.dataPath };
  const bytes = await stat(paths.dataPath).then(
    (s) => s.size,
    () => undefined,
  );
  const manifestExists = await stat(paths.manifestPath).then(
    () => true,
    () => false,
  );
  if (!manifestExists) {
    return {
      ...base,
      bytes,
      state: "manifest-missing",
      problem: { code: "E_MANIFEST_MISSING", message: `No manifest next to ${paths.name}${DATA_SUFFIX}` },
    };
  }
  let manifest: SnapshotManifest;
  try {
    manifest = await loadManifest(paths);
  } catch (error) {
    return { ...base, bytes, state: "manifest-invalid", problem: problemOf(error) };
  }
  const counts = manifestTableCounts(manifest);
  const facts = {
    ...base,
    createdAt: manifest.createdAt,
    ageSeconds: Math.max(0, Math.round((deps.now().getTime() - Date.parse(manifest.createdAt)) / 1000)),
    bytes,
    counts,
    records: Object.values(counts).reduce((sum, n) => sum + n, 0),
    source: { host: manifest.source.host, port: manifest.source.port, database: manifest.source.database },
    redaction: manifest.redaction.mode,
    ...(manifest.redaction.keyId ? { redactionKeyId: manifest.redaction.keyId } : {}),
    encrypted: manifest.data.encryption !== undefined,
    owners: manifest.filters.owners,
  };
  if (bytes === undefined) {
    return {
      ...facts,
      state: "data-missing",
      problem: { code: "E_DATA_MISSING", message: `Data file ${paths.dataPath} is missing` },
    };
  }
  if (bytes !== manifest.data.bytes) {
    return {
      ...facts,
      state: "size-mismatch",
      problem: {
        code: "E_DATA_SIZE",
        message: `Data file has ${bytes} bytes, the manifest says ${manifest.data.bytes}`,
      },
    };
  }
  if (!options.verify || !deps.verify) return { ...facts, state: "manifest-ok" };
  try {
    await deps.verify(paths.manifestPath);
    return { ...facts, state: "verified" };
  } catch (error) {
    return { ...facts, state: "verify-failed", problem: problemOf(error) };
  }
}
