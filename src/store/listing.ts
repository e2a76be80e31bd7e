import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { isBooksnapError, SnapshotIntegrityError } from "../errors.js";
import type { ListedSnapshot } from "../list.js";
import { manifestTableCounts } from "../snapshot/manifest.js";
import { DATA_SUFFIX, MANIFEST_SUFFIX } from "../snapshot/paths.js";
import { fetchManifest, privateStoreCopy } from "./download.js";
import { storeRequest } from "./s3-client.js";
import { formatStoreObject, formatStorePrefix, objectKey, type StorePrefix } from "./s3-url.js";

/** A listing never reads more manifests than this in one go (each is a request; the store is untrusted). */
const MAX_LISTED_SNAPSHOTS = 10_000;

/** Snapshot names directly under a prefix, with the stored size of each data object. */
async function scanPrefix(client: S3Client, prefix: StorePrefix, signal?: AbortSignal) {
  const manifests = new Set<string>();
  const dataBytes = new Map<string, number>();
  const base = prefix.prefix === "" ? "" : `${prefix.prefix}/`;
  let token: string | undefined;
  do {
    const page = await storeRequest(
      { doing: `listing ${formatStorePrefix(prefix)}`, bucket: prefix.bucket, signal },
      () =>
        client.send(
          new ListObjectsV2Command({
            Bucket: prefix.bucket,
            Prefix: base,
            Delimiter: "/",
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        ),
    );
    for (const object of page.Contents ?? []) {
      const file = (object.Key ?? "").slice(base.length);
      if (file.endsWith(MANIFEST_SUFFIX)) manifests.add(file.slice(0, -MANIFEST_SUFFIX.length));
      if (file.endsWith(DATA_SUFFIX)) dataBytes.set(file.slice(0, -DATA_SUFFIX.length), object.Size ?? 0);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token && manifests.size < MAX_LISTED_SNAPSHOTS);
  const names = [...manifests].filter(
    (n) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(n) && !n.includes(".."),
  );
  return { names: names.sort(), dataBytes };
}

/**
 * The complete snapshots under a prefix and the broken ones, newest first. Only names with a
 * manifest are listed: a data object alone is an upload in progress (or an abandoned one), never
 * a snapshot. The cheap check is the manifest's checksum and the data object's size.
 */
export async function listStoreSnapshots(
  client: S3Client,
  prefix: StorePrefix,
  now: () => Date,
  signal?: AbortSignal,
): Promise<ListedSnapshot[]> {
  const { names, dataBytes } = await scanPrefix(client, prefix, signal);
  const listed: ListedSnapshot[] = [];
  for (const name of names) {
    const ref = { ...prefix, name };
    const base = {
      name,
      manifestPath: formatStoreObject(prefix, objectKey(prefix, `${name}${MANIFEST_SUFFIX}`)),
      dataPath: formatStoreObject(prefix, objectKey(prefix, `${name}${DATA_SUFFIX}`)),
    };
    const bytes = dataBytes.get(name);
    let manifest: Awaited<ReturnType<typeof fetchManifest>>["manifest"];
    try {
      manifest = (await fetchManifest(client, ref, signal)).manifest;
    } catch (error) {
      if (!isBooksnapError(error) || error.category !== "integrity") throw error;
      listed.push({
        ...base,
        bytes,
        state: "manifest-invalid",
        problem: { code: error.code, message: error.message },
      });
      continue;
    }
    const counts = manifestTableCounts(manifest);
    const facts = {
      ...base,
      createdAt: manifest.createdAt,
      ageSeconds: Math.max(0, Math.round((now().getTime() - Date.parse(manifest.createdAt)) / 1000)),
      bytes,
      counts,
      records: Object.values(counts).reduce((sum, n) => sum + n, 0),
      source: { host: manifest.source.host, port: manifest.source.port, database: manifest.source.database },
      redaction: manifest.redaction.mode,
      encrypted: manifest.data.encryption !== undefined,
      owners: manifest.filters.owners,
    };
    if (bytes === undefined) {
      listed.push({
        ...facts,
        state: "data-missing",
        problem: { code: "E_DATA_MISSING", message: `Data object ${base.dataPath} is missing` },
      });
    } else if (bytes !== manifest.data.bytes) {
      listed.push({
        ...facts,
        state: "size-mismatch",
        problem: {
          code: "E_DATA_SIZE",
          message: `Data object has ${bytes} bytes, the manifest says ${manifest.data.bytes}`,
        },
      });
    } else {
      listed.push({ ...facts, state: "manifest-ok" });
    }
  }
  return listed.sort(
    (a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? "") || a.name.localeCompare(b.name),
  );
}

/** The newest complete snapshot under a prefix (`…/latest`): valid manifest, data object of the declared size. */
export async function resolveLatest(
  client: S3Client,
  prefix: StorePrefix,
  signal?: AbortSignal,
): Promise<ListedSnapshot> {
  const newest = (await listStoreSnapshots(client, prefix, () => new Date(), signal)).find(
    (s) => s.state === "manifest-ok",
  );
  if (!newest) {
    throw new SnapshotIntegrityError(
      "E_STORE_NO_SNAPSHOT",
      `No complete snapshot under ${formatStorePrefix(prefix)}`,
      {
        hint: "Export one there first: booksnap export --out s3://bucket/prefix",
      },
    );
  }
  return newest;
}

/**
 * `list --verify` on a store: each complete snapshot is downloaded to a private copy (size and
 * SHA-256 checked on the way), fully verified by `verify`, and removed again. A damaged snapshot
 * becomes "verify-failed"; a store failure (access, network) stops the listing.
 */
export async function verifyStoreSnapshots(
  client: S3Client,
  prefix: StorePrefix,
  listed: readonly ListedSnapshot[],
  verify: (manifestPath: string) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<ListedSnapshot[]> {
  const out: ListedSnapshot[] = [];
  for (const snapshot of listed) {
    if (snapshot.state !== "manifest-ok") {
      out.push(snapshot);
      continue;
    }
    try {
      const copy = await privateStoreCopy(client, { ...prefix, name: snapshot.name }, signal);
      try {
        await verify(copy.paths.manifestPath);
      } finally {
        await copy.dispose();
      }
      out.push({ ...snapshot, state: "verified" });
    } catch (error) {
      if (!isBooksnapError(error) || (error.category !== "integrity" && error.category !== "verification"))
        throw error;
      out.push({
        ...snapshot,
        state: "verify-failed",
        problem: { code: error.code, message: error.message },
      });
    }
  }
  return out;
}
