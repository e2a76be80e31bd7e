import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { S3Client } from "@aws-sdk/client-s3";
import { type SnapshotManifest, signManifest, type UnsignedManifest } from "../../src/snapshot/manifest.js";
import type { StorePrefix } from "../../src/store/s3-url.js";
import { pushSnapshotFiles, type UploadSettings } from "../../src/store/upload.js";

const FIXTURE_MANIFEST = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "fixtures",
  "normal-library.manifest.json",
);

/**
 * A snapshot whose data is `bytes` random bytes, under a correctly signed manifest (the fixture's,
 * renamed and re-described). The store is a byte mover: size and SHA-256 are all it checks, and
 * random bytes make a data object of any size without generating a library that large.
 */
export async function byteSnapshot(
  dir: string,
  name: string,
  options: { bytes: number; createdAt: string },
): Promise<{
  dataPath: string;
  manifestText: string;
  manifest: SnapshotManifest;
  bytes: number;
  sha256: string;
}> {
  const data = randomBytes(options.bytes);
  const sha256 = createHash("sha256").update(data).digest("hex");
  const dataPath = join(dir, `${name}.ndjson.zst`);
  await writeFile(dataPath, data);
  const { manifestChecksum: _old, ...fixture } = JSON.parse(
    await readFile(FIXTURE_MANIFEST, "utf8"),
  ) as SnapshotManifest;
  const unsigned: UnsignedManifest = {
    ...fixture,
    createdAt: options.createdAt,
    data: { ...fixture.data, file: `${name}.ndjson.zst`, bytes: options.bytes, sha256 },
  };
  const manifest = signManifest(unsigned);
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(join(dir, `${name}.manifest.json`), manifestText);
  return { dataPath, manifestText, manifest, bytes: options.bytes, sha256 };
}

/** byteSnapshot, pushed to the store with the real upload path. */
export async function pushByteSnapshot(
  client: S3Client,
  prefix: StorePrefix,
  dir: string,
  name: string,
  options: { bytes: number; createdAt: string },
  settings: UploadSettings = {},
) {
  const snapshot = await byteSnapshot(dir, name, options);
  await pushSnapshotFiles(client, { ...prefix, name }, snapshot, settings);
  return snapshot;
}
