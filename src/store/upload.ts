import { createReadStream } from "node:fs";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { StoreError, UsageError } from "../errors.js";
import type { SnapshotSink } from "../snapshot/sink.js";
import { classifyStoreError, isNotFound, storeRequest } from "./s3-client.js";
import { dataKey, formatStoreObject, manifestKey, type StoreSnapshotRef } from "./s3-url.js";

/** S3's minimum part size (5 MiB, except the last part): the smallest memory a multipart upload needs. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Parts in flight at once: 2 × 8 MiB buffered at most, well inside the 200 MB budget. */
const QUEUE_SIZE = 2;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

export interface UploadSettings {
  /** Bytes per multipart part (≥ 5 MiB; a test seam, the CLI uses the default). */
  partSize?: number;
  signal?: AbortSignal | undefined;
}

/** Refuses to start when a snapshot of that name already exists in the store. */
export async function refuseExistingSnapshot(client: S3Client, ref: StoreSnapshotRef): Promise<void> {
  for (const key of [manifestKey(ref), dataKey(ref)]) {
    const exists = await client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: key })).then(
      () => true,
      (error: unknown) => {
        if (isNotFound(error)) return false;
        throw classifyStoreError(error, { doing: "checking for an existing snapshot", bucket: ref.bucket });
      },
    );
    if (exists) {
      throw new UsageError(
        `A snapshot named '${ref.name}' already exists at ${formatStoreObject(ref, key)}`,
        {
          code: "E_SNAPSHOT_EXISTS",
          hint: "Choose another --name (snapshots in a store are never replaced; prune old ones with 'booksnap prune').",
        },
      );
    }
  }
}

/**
 * A sink that streams the data object as a multipart upload while it is produced, then stores
 * the manifest with If-None-Match: * (never replacing one). On failure the multipart upload is
 * aborted and a completed data object removed, so the store shows nothing.
 */
export function createStoreSink(
  client: S3Client,
  ref: StoreSnapshotRef,
  settings: UploadSettings = {},
): SnapshotSink {
  const bucket = ref.bucket;
  const key = dataKey(ref);
  const body = new PassThrough();
  const partSize = Math.max(settings.partSize ?? DEFAULT_PART_SIZE, MIN_PART_SIZE);
  const upload = new Upload({
    client,
    // If-None-Match on the completing request: a concurrent export of the same name cannot
    // replace data another snapshot's manifest already describes (the HEAD check above can race).
    params: { Bucket: bucket, Key: key, Body: body, ContentType: "application/zstd", IfNoneMatch: "*" },
    partSize,
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
  });
  const uploaded = upload.done().then(
    () => undefined,
    (error: unknown) => error,
  );
  let aborted = false;
  /** Set once the data object is ours and complete: only then may abort delete it. */
  let dataStored = false;
  return {
    data: body,
    location: {
      dataUrl: formatStoreObject(ref, key),
      manifestUrl: formatStoreObject(ref, manifestKey(ref)),
    },
    async completeData(written) {
      const failure = await uploaded;
      if (failure !== undefined) {
        throw classifyStoreError(failure, { doing: "uploading the data", bucket, signal: settings.signal });
      }
      dataStored = true;
      const head = await storeRequest({ doing: "checking the uploaded data", bucket }, () =>
        client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
      );
      if (head.ContentLength !== written.bytes) {
        throw new StoreError(
          "E_STORE_UPLOAD_SIZE",
          `The store holds ${head.ContentLength} bytes of the data, ${written.bytes} were sent`,
          { hint: "The upload was damaged on the way; export again.", details: { expected: written.bytes } },
        );
      }
    },
    async putManifest(text) {
      await storeRequest({ doing: "storing the manifest", bucket }, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: manifestKey(ref),
            Body: text,
            ContentType: "application/json",
            IfNoneMatch: "*",
          }),
        ),
      );
    },
    async abort(reason) {
      if (aborted) return;
      aborted = true;
      body.destroy(reason instanceof Error ? reason : new Error("export failed"));
      await uploaded;
      await removeUnfinished(client, ref, dataStored);
    },
  };
}

/**
 * Leaves no trace of a failed upload: aborts any multipart upload of the data key (lib-storage
 * aborts its own, but cannot when its abort request itself fails) and deletes the data object this
 * upload completed when the manifest then failed. Failures here are swallowed: the real error is reported.
 */
async function removeUnfinished(client: S3Client, ref: StoreSnapshotRef, dataStored: boolean): Promise<void> {
  const key = dataKey(ref);
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: ref.bucket, Prefix: key }));
    for (const u of listed.Uploads ?? []) {
      if (u.Key !== key || !u.UploadId) continue;
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: ref.bucket, Key: key, UploadId: u.UploadId }),
      );
    }
  } catch {
    // The store is unreachable: an upload may stay until the bucket's lifecycle rule removes it.
  }
  if (dataStored)
    await client.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: key })).catch(() => {});
}

/** Uploads an existing snapshot's files (data first, manifest last) without a local copy in memory. */
export async function pushSnapshotFiles(
  client: S3Client,
  ref: StoreSnapshotRef,
  files: { dataPath: string; manifestText: string; bytes: number; sha256: string },
  settings: UploadSettings = {},
): Promise<SnapshotSink["location"]> {
  await refuseExistingSnapshot(client, ref);
  const sink = createStoreSink(client, ref, settings);
  try {
    await pipeline(createReadStream(files.dataPath, { highWaterMark: 1024 * 1024 }), sink.data);
    await sink.completeData({ bytes: files.bytes, sha256: files.sha256 });
    await sink.putManifest(files.manifestText);
  } catch (error) {
    await sink.abort(error);
    throw classifyStoreError(error, {
      doing: "pushing the snapshot",
      bucket: ref.bucket,
      signal: settings.signal,
    });
  }
  return sink.location;
}
