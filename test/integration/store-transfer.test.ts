import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBooksnapError } from "../../src/errors.js";
import { downloadSnapshot, privateStoreCopy } from "../../src/store/download.js";
import { resolveLatest } from "../../src/store/listing.js";
import { createStoreSink, MIN_PART_SIZE, pushSnapshotFiles } from "../../src/store/upload.js";
import { verifySnapshot } from "../../src/verify/verify.js";
import { makeSnapshot } from "../fault/targets.js";
import { type MotoStore, startMoto } from "../helpers/moto.js";
import { byteSnapshot, pushByteSnapshot } from "../helpers/store-snapshots.js";

/**
 * The store's byte moving against a real S3 endpoint (moto on loopback): multipart upload and
 * download streamed with bounded buffers, `latest`, an interrupted upload, an existing name.
 */
let store: MotoStore;
let work: string;
const BUCKET = "transfer-snaps";

beforeAll(async () => {
  store = await startMoto();
  await store.createBucket(BUCKET);
  work = await mkdtemp(join(tmpdir(), "booksnap-store-transfer-"));
});
afterAll(async () => {
  await store?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key ?? "").sort();
}

async function openUploads(prefix: string): Promise<number> {
  const listed = await store.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Uploads ?? []).length;
}

async function readObject(key: string): Promise<Buffer> {
  const object = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
}

describe("store transfer", () => {
  it("the snapshot writer streams into the store: an encrypted snapshot arrives as is and verifies", async () => {
    const ref = { bucket: BUCKET, prefix: "written", name: "enc" };
    const sink = createStoreSink(store.client, ref);
    const written = await makeSnapshot(work, "enc", { users: 2, books: 30, seed: 5 }, undefined, {
      sink,
      encryption: { passphrase: "store passphrase" },
    });
    expect(written.manifest.data.encryption).toBeDefined();
    // Nothing was written locally: the sink took the place of the files.
    expect((await readdir(work)).filter((f) => f.startsWith("enc."))).toEqual([]);
    const copy = await privateStoreCopy(store.client, ref);
    try {
      const verified = await verifySnapshot(copy.paths.manifestPath, {
        keys: { identities: [], passphrase: "store passphrase" },
      });
      expect(verified.counts.Book).toBe(30);
    } finally {
      await copy.dispose();
    }
  });

  it("streams a snapshot larger than one part up as a multipart upload and back, SHA-256 checked", async () => {
    const prefix = { bucket: BUCKET, prefix: "big" };
    const bytes = 2 * MIN_PART_SIZE + 123_456;
    const pushed = await pushByteSnapshot(
      store.client,
      prefix,
      work,
      "big",
      { bytes, createdAt: "2026-11-01T00:00:00.000Z" },
      { partSize: MIN_PART_SIZE },
    );
    // A multipart object's ETag ends in -<parts>: three 5 MiB parts (the last one shorter).
    const head = await store.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: "big/big.ndjson.zst" }),
    );
    expect(head.ETag).toMatch(/-3"?$/);
    expect(head.ContentLength).toBe(bytes);
    expect(await keysUnder("big/")).toEqual(["big/big.manifest.json", "big/big.ndjson.zst"]);

    const into = await mkdtemp(join(work, "down-"));
    const { paths, manifest } = await downloadSnapshot(store.client, { ...prefix, name: "big" }, into);
    const downloaded = await readFile(paths.dataPath);
    expect(createHash("sha256").update(downloaded).digest("hex")).toBe(pushed.sha256);
    expect(manifest.data.sha256).toBe(pushed.sha256);
    expect(await readFile(paths.manifestPath, "utf8")).toBe(pushed.manifestText);
    expect(await openUploads("big/")).toBe(0);
  });

  it("`latest` is the newest complete snapshot: not a newer one without data, nor a damaged manifest", async () => {
    const prefix = { bucket: BUCKET, prefix: "team/prod" };
    await pushByteSnapshot(store.client, prefix, work, "older", {
      bytes: 1000,
      createdAt: "2026-10-01T00:00:00.000Z",
    });
    await pushByteSnapshot(store.client, prefix, work, "newer", {
      bytes: 1000,
      createdAt: "2026-10-02T00:00:00.000Z",
    });
    // Newest, but its data object never arrived: only its manifest is in the store.
    const orphan = await byteSnapshot(work, "nodata", { bytes: 1000, createdAt: "2026-10-03T00:00:00.000Z" });
    await store.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "team/prod/nodata.manifest.json",
        Body: orphan.manifestText,
      }),
    );
    // Newest by name, and its manifest is edited: the checksum no longer matches.
    const edited = await byteSnapshot(work, "zedited", {
      bytes: 1000,
      createdAt: "2026-10-04T00:00:00.000Z",
    });
    await pushSnapshotFiles(
      store.client,
      { ...prefix, name: "zedited" },
      {
        ...edited,
        manifestText: edited.manifestText.replace('"2026-10-04T00:00:00.000Z"', '"2026-12-04T00:00:00.000Z"'),
      },
    );
    // A snapshot in a sub-folder is not under this prefix.
    await pushByteSnapshot(store.client, { bucket: BUCKET, prefix: "team/prod/sub" }, work, "deeper", {
      bytes: 10,
      createdAt: "2026-10-05T00:00:00.000Z",
    });
    expect((await resolveLatest(store.client, prefix)).name).toBe("newer");

    const into = await mkdtemp(join(work, "latest-"));
    const { paths } = await downloadSnapshot(store.client, { ...prefix, name: "latest" }, into);
    expect(paths.name).toBe("newer");
  });

  it("an interrupted upload leaves no object and no open multipart upload", async () => {
    const ref = { bucket: BUCKET, prefix: "cut", name: "halfway" };
    const sink = createStoreSink(store.client, ref, { partSize: MIN_PART_SIZE });
    const chunk = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 7; i += 1) {
      if (!sink.data.write(chunk)) await new Promise((resolve) => sink.data.once("drain", resolve));
    }
    // The first part is on its way: the store has an open multipart upload now.
    const deadline = Date.now() + 20_000;
    while ((await openUploads("cut/")) === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await openUploads("cut/")).toBe(1);
    await sink.abort(new Error("interrupted"));
    expect(await openUploads("cut/")).toBe(0);
    expect(await keysUnder("cut/")).toEqual([]);
  });

  it("refuses to replace a snapshot of the same name, and leaves the stored one intact", async () => {
    const prefix = { bucket: BUCKET, prefix: "same" };
    const first = await pushByteSnapshot(store.client, prefix, work, "twice", {
      bytes: 500,
      createdAt: "2026-10-01T00:00:00.000Z",
    });
    const error = await pushByteSnapshot(store.client, prefix, work, "twice", {
      bytes: 600,
      createdAt: "2026-10-02T00:00:00.000Z",
    }).catch((e: unknown) => e);
    expect(isBooksnapError(error) && error.code).toBe("E_SNAPSHOT_EXISTS");
    const head = await store.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: "same/twice.ndjson.zst" }),
    );
    expect(head.ContentLength).toBe(first.bytes);
  });

  it("of two uploads of one name racing past the existence check, the later cannot replace the first", async () => {
    const ref = { bucket: BUCKET, prefix: "race", name: "same" };
    const first = createStoreSink(store.client, ref);
    const second = createStoreSink(store.client, ref);
    const bytes = (fill: number) => Buffer.alloc(2048, fill);
    const finish = async (sink: typeof first, data: Buffer) => {
      await new Promise<void>((resolve) => sink.data.end(data, resolve));
      await sink.completeData({
        bytes: data.length,
        sha256: createHash("sha256").update(data).digest("hex"),
      });
      await sink.putManifest("{}");
    };
    await finish(first, bytes(1));
    const error = await finish(second, bytes(2)).catch(async (e: unknown) => {
      await second.abort(e);
      return e;
    });
    expect(isBooksnapError(error) && error.code).toBe("E_SNAPSHOT_EXISTS");
    expect(await keysUnder("race/")).toEqual(["race/same.manifest.json", "race/same.ndjson.zst"]);
    const into = await readObject("race/same.ndjson.zst");
    expect(into.equals(bytes(1))).toBe(true);
  });

  it("a data object altered in the store is refused on download, and nothing is left behind", async () => {
    const prefix = { bucket: BUCKET, prefix: "tamper" };
    const pushed = await pushByteSnapshot(store.client, prefix, work, "victim", {
      bytes: 4096,
      createdAt: "2026-10-01T00:00:00.000Z",
    });
    const altered = await readFile(pushed.dataPath);
    altered[100] = (altered[100] ?? 0) ^ 0xff;
    await store.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "tamper/victim.ndjson.zst", Body: altered }),
    );
    const into = await mkdtemp(join(work, "tamper-"));
    const error = await downloadSnapshot(store.client, { ...prefix, name: "victim" }, into).catch(
      (e: unknown) => e,
    );
    expect(isBooksnapError(error) && error.code).toBe("E_DATA_SHA256");
    expect(await readdir(into)).toEqual([]);
  });
});
