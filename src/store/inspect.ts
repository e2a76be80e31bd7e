import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type SnapshotSummary, summariseManifest } from "../inspect.js";
import { fetchManifest, resolveRef } from "./download.js";
import { classifyStoreError, isNotFound } from "./s3-client.js";
import { dataKey, type StoreSnapshotRef, storeSnapshotUrls } from "./s3-url.js";

/** `booksnap inspect s3://…`: the manifest's facts, and whether the data object is there. */
export async function inspectStoreSnapshot(
  client: S3Client,
  ref: StoreSnapshotRef,
  signal?: AbortSignal,
): Promise<SnapshotSummary> {
  const resolved = await resolveRef(client, ref, signal);
  const { manifest } = await fetchManifest(client, resolved, signal);
  const dataPresent = await client
    .send(new HeadObjectCommand({ Bucket: resolved.bucket, Key: dataKey(resolved) }), { abortSignal: signal })
    .then(
      () => true,
      (error: unknown) => {
        if (isNotFound(error)) return false;
        throw classifyStoreError(error, {
          doing: "looking for the data object",
          bucket: resolved.bucket,
          signal,
        });
      },
    );
  return summariseManifest(manifest, { name: resolved.name, ...storeSnapshotUrls(resolved) }, dataPresent);
}
