import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SnapshotIntegrityError } from "../errors.js";
import type { DataSource, SnapshotSource } from "../snapshot/data-source.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import { shaMismatch, sizeMismatch } from "./data-integrity.js";
import { fetchManifest, resolveRef } from "./download.js";
import { classifyStoreError, isNotFound } from "./s3-client.js";
import { dataKey, formatStoreObject, manifestKey, type StoreSnapshotRef } from "./s3-url.js";

/**
 * A store snapshot to read without a local copy: the manifest is fetched and checked now (size
 * capped, checksum, data-file name); the data object is only requested when the reader opens it.
 */
export async function openStoreSnapshot(
  client: S3Client,
  ref: StoreSnapshotRef,
  signal?: AbortSignal,
): Promise<SnapshotSource> {
  const resolved = await resolveRef(client, ref, signal);
  const { manifest } = await fetchManifest(client, resolved, signal);
  return {
    name: resolved.name,
    manifestLocation: formatStoreObject(resolved, manifestKey(resolved)),
    manifest,
    data: storeDataObject(client, resolved, manifest.data, signal),
  };
}

/**
 * The data object as a stream (GetObject, with the client's retry and timeout settings), hashed
 * and counted as it passes: more bytes than the manifest declares stop it at once, and a wrong
 * size or SHA-256 fails it before its end is ever seen, so nothing read from it can be committed.
 */
export function storeDataObject(
  client: S3Client,
  ref: StoreSnapshotRef,
  expected: Pick<SnapshotManifest["data"], "bytes" | "sha256">,
  signal?: AbortSignal,
): DataSource {
  const key = dataKey(ref);
  const where = formatStoreObject(ref, key);
  const failed = (error: unknown) => {
    if (isNotFound(error)) {
      return new SnapshotIntegrityError("E_DATA_MISSING", `Data object ${where} is missing`, {
        hint: "The snapshot in the store is incomplete; export it again.",
      });
    }
    return classifyStoreError(error, { doing: `downloading ${where}`, bucket: ref.bucket, signal });
  };
  return {
    location: where,
    checkedBeforeReading: false,
    precheck: async () => {},
    open: async () => {
      let body: Readable;
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key }), {
          abortSignal: signal,
        });
        body = object.Body as Readable;
        if (object.ContentLength !== undefined && object.ContentLength !== expected.bytes) {
          body.destroy();
          throw sizeMismatch(where, object.ContentLength, expected.bytes);
        }
      } catch (error) {
        throw failed(error);
      }
      const verified = verifyingStream(where, expected);
      body.on("error", (error) => verified.destroy(failed(error)));
      // The reader destroys what it reads from: that must release the HTTP response too.
      verified.on("close", () => body.destroy());
      return body.pipe(verified);
    },
  };
}

/**
 * Passes bytes through while counting and hashing them: fails as soon as more than
 * `expected.bytes` arrive, and at the end (before 'end' is emitted) on a wrong size or SHA-256.
 */
export function verifyingStream(
  where: string,
  expected: Pick<SnapshotManifest["data"], "bytes" | "sha256">,
): Transform {
  const hash = createHash("sha256");
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      // A hostile store could stream forever: never pass on more than the manifest promises.
      if (bytes > expected.bytes) return callback(sizeMismatch(where, bytes, expected.bytes));
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      if (bytes !== expected.bytes) return callback(sizeMismatch(where, bytes, expected.bytes));
      const actual = hash.digest("hex");
      if (actual !== expected.sha256) return callback(shaMismatch(where, expected.sha256, actual));
      callback();
    },
  });
}
