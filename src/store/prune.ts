import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listStoreSnapshots } from "./listing.js";
import { type PrunePlan, planPrune, type RetentionPolicy } from "./retention.js";
import { storeRequest } from "./s3-client.js";
import { dataKey, manifestKey, type StorePrefix } from "./s3-url.js";

/**
 * Lists, plans and (unless dryRun) removes. The manifest goes first, so a snapshot disappears from
 * listings at once and a half-finished prune never leaves something that looks complete.
 */
export async function pruneStore(
  client: S3Client,
  prefix: StorePrefix,
  policy: RetentionPolicy,
  options: { dryRun: boolean; now: () => Date; signal?: AbortSignal },
): Promise<PrunePlan> {
  const plan = planPrune(await listStoreSnapshots(client, prefix, options.now, options.signal), policy);
  if (options.dryRun) return plan;
  for (const snapshot of plan.remove) {
    const ref = { ...prefix, name: snapshot.name };
    for (const key of [manifestKey(ref), dataKey(ref)]) {
      await storeRequest(
        { doing: `removing ${snapshot.name}`, bucket: prefix.bucket, signal: options.signal },
        () =>
          client.send(new DeleteObjectCommand({ Bucket: prefix.bucket, Key: key }), {
            abortSignal: options.signal,
          }),
      );
    }
  }
  return plan;
}
