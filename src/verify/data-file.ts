import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { SnapshotIntegrityError } from "../errors.js";
import { parseManifest, type SnapshotManifest } from "../snapshot/manifest.js";
import type { SnapshotPaths } from "../snapshot/paths.js";

/** Reads and parses a snapshot's manifest (JSON, version, shape, checksum). */
export async function loadManifest(paths: SnapshotPaths): Promise<SnapshotManifest> {
  let text: string;
  try {
    text = await readFile(paths.manifestPath, "utf8");
  } catch (error) {
    throw new SnapshotIntegrityError("E_MANIFEST_MISSING", `Cannot read the manifest ${paths.manifestPath}`, {
      cause: error,
      hint: "Pass the snapshot's manifest (<name>.manifest.json), its data file, or the path without extensions.",
      details: { errno: (error as NodeJS.ErrnoException).code },
    });
  }
  const manifest = parseManifest(text, paths.manifestPath);
  const expectedFile = paths.dataPath.slice(paths.dir.length + 1);
  if (manifest.data.file !== expectedFile) {
    throw new SnapshotIntegrityError(
      "E_MANIFEST_INVALID",
      `Manifest ${paths.manifestPath} describes data file '${manifest.data.file}', expected '${expectedFile}'`,
      { hint: "Snapshot files were renamed; keep <name>.manifest.json and <name>.ndjson.zst together." },
    );
  }
  return manifest;
}

/** Hex SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Checks the data file's presence, byte size and SHA-256 against the manifest. */
export async function checkDataFile(dataPath: string, data: SnapshotManifest["data"]): Promise<void> {
  let size: number;
  try {
    size = (await stat(dataPath)).size;
  } catch (error) {
    throw new SnapshotIntegrityError("E_DATA_MISSING", `Data file ${dataPath} is missing`, {
      cause: error,
      hint: "Copy the .ndjson.zst file next to its manifest.",
    });
  }
  if (size !== data.bytes) {
    throw new SnapshotIntegrityError(
      "E_DATA_SIZE",
      `Data file ${dataPath} has ${size} bytes, the manifest says ${data.bytes}${size < data.bytes ? " (truncated)" : ""}`,
      {
        hint: "The file is incomplete or altered; copy it again from its source.",
        details: { expected: data.bytes, actual: size },
      },
    );
  }
  const actual = await sha256File(dataPath);
  if (actual !== data.sha256) {
    throw new SnapshotIntegrityError(
      "E_DATA_SHA256",
      `Data file ${dataPath} does not match the manifest's SHA-256`,
      {
        hint: "The file was corrupted or altered after export; copy it again from its source.",
        details: { expected: data.sha256, actual },
      },
    );
  }
}
