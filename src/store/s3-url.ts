import { UsageError } from "../errors.js";
import { assertSnapshotName, DATA_SUFFIX, MANIFEST_SUFFIX } from "../snapshot/paths.js";

/** The scheme that marks a snapshot store location wherever a path is accepted. */
export const STORE_SCHEME = "s3://";

/** The name that resolves to the newest complete snapshot under a prefix. */
export const LATEST = "latest";

/** A folder of snapshots in a bucket: `s3://bucket/prefix`. */
export interface StorePrefix {
  bucket: string;
  /** Key prefix without leading or trailing slash; "" for the bucket's top level. */
  prefix: string;
}

/** One snapshot in a store: `s3://bucket/prefix/name` (name may be `latest`). */
export interface StoreSnapshotRef extends StorePrefix {
  name: string;
}

export function isStoreUrl(value: string | undefined): value is string {
  return typeof value === "string" && value.toLowerCase().startsWith(STORE_SCHEME);
}

/** Bucket names as S3 allows them (3–63 of lowercase letters, digits, '.', '-'); R2/MinIO accept the same. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket[/prefix…]` as a folder of snapshots. */
export function parseStorePrefix(url: string): StorePrefix {
  if (!isStoreUrl(url)) throw badUrl(url);
  const rest = url.slice(STORE_SCHEME.length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = (slash < 0 ? "" : rest.slice(slash + 1)).replace(/\/+$/, "");
  // Messages name the rule, not the text: a credential pasted by mistake must not be echoed in parts.
  if (!BUCKET_NAME.test(bucket))
    throw badUrl(url, "the bucket name is not 3-63 lowercase letters, digits, '.' or '-'");
  const segments = prefix === "" ? [] : prefix.split("/");
  for (const segment of segments) {
    // Each folder is a plain name: no empty segments, no '.', '..', no control characters.
    if (!/^[A-Za-z0-9][A-Za-z0-9._=-]{0,199}$/.test(segment) || segment.includes("..")) {
      throw badUrl(url, "a folder name holds characters other than letters, digits, '.', '_', '=', '-'");
    }
  }
  return { bucket, prefix };
}

/** Parses `s3://bucket/prefix/name` (name, or name.manifest.json / name.ndjson.zst, or `latest`). */
export function parseStoreSnapshotRef(url: string): StoreSnapshotRef {
  const whole = parseStorePrefix(url);
  const cut = whole.prefix.lastIndexOf("/");
  let name = whole.prefix.slice(cut + 1);
  if (name === "") {
    throw badUrl(url, "it names no snapshot", "Name the snapshot: s3://bucket/prefix/<name> or …/latest.");
  }
  for (const suffix of [MANIFEST_SUFFIX, DATA_SUFFIX]) {
    if (name.endsWith(suffix)) name = name.slice(0, -suffix.length);
  }
  assertSnapshotName(name);
  return { bucket: whole.bucket, prefix: cut < 0 ? "" : whole.prefix.slice(0, cut), name };
}

/** Object key of a file in a prefix. */
export function objectKey(prefix: StorePrefix, fileName: string): string {
  return prefix.prefix === "" ? fileName : `${prefix.prefix}/${fileName}`;
}

export function manifestKey(ref: StoreSnapshotRef): string {
  return objectKey(ref, `${ref.name}${MANIFEST_SUFFIX}`);
}

export function dataKey(ref: StoreSnapshotRef): string {
  return objectKey(ref, `${ref.name}${DATA_SUFFIX}`);
}

/** `s3://bucket/prefix` for messages: never carries credentials or a signature. */
export function formatStorePrefix(prefix: StorePrefix): string {
  return `${STORE_SCHEME}${prefix.bucket}${prefix.prefix === "" ? "" : `/${prefix.prefix}`}`;
}

export function formatStoreObject(prefix: StorePrefix, key: string): string {
  return `${STORE_SCHEME}${prefix.bucket}/${key}`;
}

function badUrl(url: string, why?: string, hint?: string): UsageError {
  return new UsageError(`Not a usable store URL: ${url.split("?")[0]}${why ? ` (${why})` : ""}`, {
    code: "E_STORE_URL",
    hint: hint ?? "Use s3://bucket/prefix (a folder of snapshots) or s3://bucket/prefix/<name>.",
  });
}

/** The URLs of a snapshot's two objects, for summaries. */
export function storeSnapshotUrls(ref: StoreSnapshotRef): { manifestPath: string; dataPath: string } {
  return {
    manifestPath: formatStoreObject(ref, manifestKey(ref)),
    dataPath: formatStoreObject(ref, dataKey(ref)),
  };
}
