import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { SnapshotIntegrityError } from "../errors.js";
import { MAX_MANIFEST_BYTES, parseManifest, type SnapshotManifest } from "../snapshot/manifest.js";
import type { SnapshotPaths } from "../snapshot/paths.js";
import { openRegularFile, readBounded } from "../snapshot/regular-file.js";

/**
 * Reads and parses a snapshot's manifest (JSON, version, shape, checksum). Only a regular file
 * of at most MAX_MANIFEST_BYTES is read: its size is checked before any parsing.
 */
export async function loadManifest(paths: SnapshotPaths): Promise<SnapshotManifest> {
  let bytes: Buffer;
  try {
    const { handle } = await openRegularFile(paths.manifestPath, "manifest");
    try {
      bytes = await readBounded(handle, MAX_MANIFEST_BYTES);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof SnapshotIntegrityError) throw error;
    throw new SnapshotIntegrityError("E_MANIFEST_MISSING", `Cannot read the manifest ${paths.manifestPath}`, {
      cause: error,
      hint: "Pass the snapshot's manifest (<name>.manifest.json), its data file, or the path without extensions.",
      details: { errno: (error as NodeJS.ErrnoException).code },
    });
  }
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new SnapshotIntegrityError(
      "E_MANIFEST_TOO_LARGE",
      `Manifest ${paths.manifestPath} is larger than ${MAX_MANIFEST_BYTES} bytes; it was not parsed`,
      { hint: "booksnap manifests are a few KiB; this file was not written by booksnap or was altered." },
    );
  }
  const manifest = parseManifest(bytes.toString("utf8"), paths.manifestPath);
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

/** Hex SHA-256 of a regular file, streamed (anything else is refused: E_NOT_REGULAR_FILE). */
export async function sha256File(path: string): Promise<string> {
  const { handle, stats } = await openRegularFile(path, "file");
  try {
    return await sha256Of(handle, stats.size);
  } finally {
    await handle.close();
  }
}

/** Hashes the first `size` bytes (the size fstat reported): a file still growing cannot make this endless. */
async function sha256Of(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash("sha256");
  if (size === 0) return hash.digest("hex");
  const stream = handle.createReadStream({
    start: 0,
    end: size - 1,
    highWaterMark: 1024 * 1024,
    autoClose: false,
  });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Throws E_DATA_SIZE when the lines and uncompressed bytes a reader counted differ from the manifest's. */
export function checkDataSize(
  seen: { lines: number; uncompressedBytes: number },
  data: { lines: number; uncompressedBytes: number },
): void {
  if (seen.lines !== data.lines || seen.uncompressedBytes !== data.uncompressedBytes) {
    throw new SnapshotIntegrityError(
      "E_DATA_SIZE",
      `The data file has ${seen.lines} lines (${seen.uncompressedBytes} bytes uncompressed), the manifest says ${data.lines} (${data.uncompressedBytes})`,
    );
  }
}

/** Checks the data file's presence, kind (a regular file), byte size and SHA-256 against the manifest. */
export async function checkDataFile(dataPath: string, data: SnapshotManifest["data"]): Promise<void> {
  let opened: Awaited<ReturnType<typeof openRegularFile>>;
  try {
    opened = await openRegularFile(dataPath, "data file");
  } catch (error) {
    if (error instanceof SnapshotIntegrityError) throw error;
    throw new SnapshotIntegrityError("E_DATA_MISSING", `Data file ${dataPath} is missing`, {
      cause: error,
      hint: "Copy the .ndjson.zst file next to its manifest.",
    });
  }
  try {
    await checkOpenedDataFile(dataPath, opened.handle, opened.stats.size, data);
  } finally {
    await opened.handle.close();
  }
}

async function checkOpenedDataFile(
  dataPath: string,
  handle: FileHandle,
  size: number,
  data: SnapshotManifest["data"],
): Promise<void> {
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
  const actual = await sha256Of(handle, size);
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
