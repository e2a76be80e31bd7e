import { createHash } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SnapshotIntegrityError } from "../errors.js";
import { createPrivateFile, publishReplacing } from "../fs/private-file.js";
import { tempPathFor } from "../fs/temp-files.js";
import { writeTempFile } from "../snapshot/data-writer.js";
import { parseManifest, type SnapshotManifest } from "../snapshot/manifest.js";
import { type SnapshotPaths, snapshotPaths } from "../snapshot/paths.js";
import { shaMismatch, sizeMismatch } from "./data-integrity.js";
import { resolveLatest } from "./listing.js";
import { classifyStoreError, isNotFound } from "./s3-client.js";
import { dataKey, formatStoreObject, LATEST, manifestKey, type StoreSnapshotRef } from "./s3-url.js";

/** Manifests are ~10 KB; anything far larger is not one (the store's content is untrusted). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

export interface StoreManifest {
  ref: StoreSnapshotRef;
  manifest: SnapshotManifest;
  /** The manifest's text exactly as stored (written unchanged by pull). */
  text: string;
}

/** `latest` becomes the newest complete snapshot's name; any other name is returned as is. */
export async function resolveRef(
  client: S3Client,
  ref: StoreSnapshotRef,
  signal?: AbortSignal,
): Promise<StoreSnapshotRef> {
  if (ref.name !== LATEST) return ref;
  return { ...ref, name: (await resolveLatest(client, ref, signal)).name };
}

/** Reads and checks a snapshot's manifest from the store (size-capped, checksum verified). */
export async function fetchManifest(
  client: S3Client,
  ref: StoreSnapshotRef,
  signal?: AbortSignal,
): Promise<StoreManifest> {
  const key = manifestKey(ref);
  const where = formatStoreObject(ref, key);
  let text: string;
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key }), {
      abortSignal: signal,
    });
    if ((object.ContentLength ?? 0) > MAX_MANIFEST_BYTES) throw manifestTooLarge(where);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of object.Body as Readable) {
      size += (chunk as Buffer).length;
      if (size > MAX_MANIFEST_BYTES) {
        (object.Body as Readable).destroy();
        throw manifestTooLarge(where);
      }
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString("utf8");
  } catch (error) {
    if (isNotFound(error)) {
      throw new SnapshotIntegrityError("E_MANIFEST_MISSING", `No snapshot manifest at ${where}`, {
        hint: "List the snapshots there with 'booksnap list s3://bucket/prefix'.",
      });
    }
    throw classifyStoreError(error, { doing: `reading ${where}`, bucket: ref.bucket, signal });
  }
  const manifest = parseManifest(text, where);
  if (manifest.data.file !== dataKey({ ...ref, prefix: "" })) {
    throw new SnapshotIntegrityError(
      "E_MANIFEST_INVALID",
      `Manifest ${where} describes data file '${manifest.data.file}', expected '${ref.name}.ndjson.zst'`,
      { hint: "Snapshot objects were renamed; keep <name>.manifest.json and <name>.ndjson.zst together." },
    );
  }
  return { ref, manifest, text };
}

function manifestTooLarge(where: string): SnapshotIntegrityError {
  return new SnapshotIntegrityError(
    "E_MANIFEST_INVALID",
    `${where} is larger than any manifest (over ${MAX_MANIFEST_BYTES} bytes)`,
    {
      hint: "The object is not a booksnap manifest.",
    },
  );
}

/**
 * Downloads a snapshot into `dir` as `<name>.manifest.json` + `<name>.ndjson.zst` (mode 0600),
 * streaming the data while hashing it: the files appear under their final names only when the
 * size and SHA-256 match the manifest, so a damaged or altered object never looks usable.
 */
export async function downloadSnapshot(
  client: S3Client,
  ref: StoreSnapshotRef,
  dir: string,
  signal?: AbortSignal,
): Promise<{ paths: SnapshotPaths; manifest: SnapshotManifest }> {
  const resolved = await resolveRef(client, ref, signal);
  const { manifest, text } = await fetchManifest(client, resolved, signal);
  const paths = snapshotPaths(dir, resolved.name);
  const key = dataKey(resolved);
  const where = formatStoreObject(resolved, key);
  const tempPath = tempPathFor(paths.dataPath);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: resolved.bucket, Key: key }), {
      abortSignal: signal,
    });
    if (object.ContentLength !== undefined && object.ContentLength !== manifest.data.bytes) {
      throw sizeMismatch(where, object.ContentLength, manifest.data.bytes);
    }
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        // Never store more than the manifest promises (a hostile store could stream forever).
        if (bytes > manifest.data.bytes) return callback(sizeMismatch(where, bytes, manifest.data.bytes));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    const file = await createPrivateFile(tempPath);
    await pipeline(object.Body as Readable, hashing, file.createWriteStream());
    if (bytes !== manifest.data.bytes) throw sizeMismatch(where, bytes, manifest.data.bytes);
    const actual = hash.digest("hex");
    if (actual !== manifest.data.sha256) {
      throw shaMismatch(where, manifest.data.sha256, actual);
    }
    // pull checks the names first and refuses without --force; a private copy's directory is new.
    await publishReplacing(tempPath, paths.dataPath);
  } catch (error) {
    await rm(tempPath, { force: true });
    if (isNotFound(error)) {
      throw new SnapshotIntegrityError("E_DATA_MISSING", `Data object ${where} is missing`, {
        hint: "The snapshot in the store is incomplete; export it again.",
      });
    }
    throw classifyStoreError(error, { doing: `downloading ${where}`, bucket: resolved.bucket, signal });
  }
  await publishReplacing(await writeTempFile(paths.manifestPath, text), paths.manifestPath);
  return { paths, manifest };
}

/** A verified private copy of a store snapshot; `dispose` removes it. */
export interface PrivateSnapshotCopy {
  paths: SnapshotPaths;
  manifest: SnapshotManifest;
  dispose(): Promise<void>;
}

/**
 * Downloads a store snapshot into a private (0700) temporary directory, checked against its
 * manifest (size and SHA-256) before it is returned. Removed on failure; the caller disposes it.
 */
export async function privateStoreCopy(
  client: S3Client,
  ref: StoreSnapshotRef,
  signal?: AbortSignal,
): Promise<PrivateSnapshotCopy> {
  const dir = await mkdtemp(join(tmpdir(), "booksnap-store-"));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o700);
    return { ...(await downloadSnapshot(client, ref, dir, signal)), dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
