import { UsageError } from "../errors.js";
import type { ListedSnapshot } from "../list.js";

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
