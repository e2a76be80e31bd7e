import { basename, dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.js";

export const DATA_SUFFIX = ".ndjson.zst";
export const MANIFEST_SUFFIX = ".manifest.json";
export const REJECTS_SUFFIX = ".rejects.ndjson";

export interface SnapshotPaths {
  dir: string;
  name: string;
  manifestPath: string;
  dataPath: string;
  rejectsPath: string;
}

/** The part of the paths a command reports: name, manifest and data file. */
export function snapshotFiles(
  paths: SnapshotPaths,
): Pick<SnapshotPaths, "name" | "manifestPath" | "dataPath"> {
  return { name: paths.name, manifestPath: paths.manifestPath, dataPath: paths.dataPath };
}

/** Accepts the manifest path, the data file path, or the shared path without extensions. */
export function resolveSnapshotPaths(input: string): SnapshotPaths {
  const absolute = resolve(input);
  let name = basename(absolute);
  for (const suffix of [MANIFEST_SUFFIX, DATA_SUFFIX]) {
    if (name.endsWith(suffix)) name = name.slice(0, -suffix.length);
  }
  return snapshotPaths(dirname(absolute), name);
}

export function snapshotPaths(dir: string, name: string): SnapshotPaths {
  assertSnapshotName(name);
  const absDir = resolve(dir);
  return {
    dir: absDir,
    name,
    manifestPath: join(absDir, `${name}${MANIFEST_SUFFIX}`),
    dataPath: join(absDir, `${name}${DATA_SUFFIX}`),
    rejectsPath: join(absDir, `${name}${REJECTS_SUFFIX}`),
  };
}

/** Snapshot names become file names: letters, digits, dot, dash and underscore only. */
export function assertSnapshotName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(name) || name.includes("..")) {
    throw new UsageError(`Invalid snapshot name '${name}'`, {
      code: "E_BAD_NAME",
      hint: "Use letters, digits, '.', '-' and '_' only (no path separators, no '..').",
    });
  }
}

/** Whether a file name is one booksnap writes into a snapshot directory (data, manifest, dead-letter file). */
export function isSnapshotFileName(fileName: string): boolean {
  return [DATA_SUFFIX, MANIFEST_SUFFIX, REJECTS_SUFFIX].some((suffix) => fileName.endsWith(suffix));
}

/** Default snapshot name: booksnap-<UTC timestamp>. */
export function defaultSnapshotName(now: Date): string {
  return `booksnap-${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z")}`;
}
