import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { UsageError } from "../errors.js";
import type { ListedSnapshot } from "../list.js";
import { listStoreSnapshots } from "./listing.js";
import { storeRequest } from "./s3-client.js";
import { dataKey, manifestKey, type StorePrefix } from "./s3-url.js";

/** Retention rules; a snapshot is removed only when it breaks every rule given. */
export interface RetentionPolicy {
  /** Keep the newest N complete snapshots. */
  keep?: number | undefined;
  /** Keep snapshots younger than this (seconds). */
  olderThanSeconds?: number | undefined;
}

export interface PrunePlan {
  remove: ListedSnapshot[];
  keep: ListedSnapshot[];
  /** Broken or half-written snapshots: never touched by prune (an upload may be in progress). */
  ignored: ListedSnapshot[];
}

/**
 * Decides what prune removes (a plain function: listing in, plan out). Only complete snapshots
 * are candidates, and the newest complete snapshot always stays, whatever the rules say.
 */
export function planPrune(listed: readonly ListedSnapshot[], policy: RetentionPolicy): PrunePlan {
  if (policy.keep === undefined && policy.olderThanSeconds === undefined) {
    throw new UsageError("Say what to prune: --keep N and/or --older-than AGE", {
      code: "E_PRUNE_RULE",
      hint: "booksnap prune s3://bucket/prefix --keep 5 --dry-run",
    });
  }
  const complete = listed
    .filter((s) => s.state === "manifest-ok")
    .sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? "") || a.name.localeCompare(b.name));
  const keepCount = Math.max(policy.keep ?? 1, 1);
  const remove = complete.filter(
    (s, rank) =>
      rank >= keepCount &&
      (policy.olderThanSeconds === undefined || (s.ageSeconds ?? 0) > policy.olderThanSeconds),
  );
  return {
    remove,
    keep: complete.filter((s) => !remove.includes(s)),
    ignored: listed.filter((s) => s.state !== "manifest-ok"),
  };
}

/** "30d", "12h", "90m", "45s" → seconds. */
export function parseAge(text: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!match) {
    throw new UsageError(`--older-than '${text}' is not an age`, {
      code: "E_PRUNE_RULE",
      hint: "Use a number and a unit: 30d, 12h, 90m, 2w.",
    });
  }
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[match[2] as "s" | "m" | "h" | "d" | "w"];
  return Number(match[1]) * unit;
}

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
