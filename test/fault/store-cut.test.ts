import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListMultipartUploadsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isBooksnapError } from "../../src/errors.js";
import { downloadSnapshot } from "../../src/store/download.js";
import { createStoreClient } from "../../src/store/s3-client.js";
import { resolveStoreSettings } from "../../src/store/settings.js";
import { MIN_PART_SIZE } from "../../src/store/upload.js";
import { type MotoStore, startMoto } from "../helpers/moto.js";
import { pushByteSnapshot } from "../helpers/store-snapshots.js";
import { FaultProxy } from "./proxy.js";

/**
 * Connection cuts between the SDK and the store (the loopback fault proxy in front of moto), in
 * the middle of a multipart part: retried when retries are allowed; otherwise a classified
 * failure after which the store shows no snapshot and holds no open multipart upload.
 */
let store: MotoStore;
let work: string;
const BUCKET = "cut-snaps";
const SIZE = MIN_PART_SIZE + 1_000_000;

beforeAll(async () => {
  store = await startMoto();
  await store.createBucket(BUCKET);
  work = await mkdtemp(join(tmpdir(), "booksnap-store-cut-"));
});
afterAll(async () => {
  await store?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The real client as the CLI builds it, pointed at the proxy, with `maxAttempts` attempts per request. */
async function clientThroughProxy(maxAttempts: number, idleTimeoutMs?: number) {
  const proxy = await FaultProxy.start({ targetHost: "127.0.0.1", targetPort: store.port });
  const settings = resolveStoreSettings(store.env, { endpoint: `http://127.0.0.1:${proxy.port}` });
  return {
    proxy,
    client: createStoreClient({ ...settings, maxAttempts, ...(idleTimeoutMs ? { idleTimeoutMs } : {}) }),
  };
}

async function storeState(prefix: string) {
  const objects = await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  const uploads = await store.client.send(
    new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix }),
  );
  return { objects: (objects.Contents ?? []).map((o) => o.Key), uploads: (uploads.Uploads ?? []).length };
}

describe("a connection cut mid-upload", () => {
  it("is retried: the snapshot arrives whole and verifies", async () => {
    const { proxy, client } = await clientThroughProxy(5);
    try {
      const cut = proxy.arm({ direction: "toServer", afterBytes: 2 * 1024 * 1024, action: "cut" });
      const pushed = await pushByteSnapshot(
        client,
        { bucket: BUCKET, prefix: "retried" },
        work,
        "snap",
        { bytes: SIZE, createdAt: "2026-11-01T00:00:00.000Z" },
        { partSize: MIN_PART_SIZE },
      );
      await cut;
      expect(proxy.cuts).toBe(1);
      const into = await mkdtemp(join(work, "down-"));
      const { paths } = await downloadSnapshot(
        store.client,
        { bucket: BUCKET, prefix: "retried", name: "snap" },
        into,
      );
      expect(
        createHash("sha256")
          .update(await readFile(paths.dataPath))
          .digest("hex"),
      ).toBe(pushed.sha256);
      expect((await storeState("retried/")).uploads).toBe(0);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it("without retries fails classified, leaving no visible snapshot and no open multipart upload", async () => {
    const { proxy, client } = await clientThroughProxy(1);
    try {
      void proxy.arm({ direction: "toServer", afterBytes: 2 * 1024 * 1024, action: "cut" });
      const error = await pushByteSnapshot(
        client,
        { bucket: BUCKET, prefix: "failed" },
        work,
        "snap",
        { bytes: SIZE, createdAt: "2026-11-01T00:00:00.000Z" },
        { partSize: MIN_PART_SIZE },
      ).catch((e: unknown) => e);
      expect(proxy.cuts).toBe(1);
      expect(isBooksnapError(error) && error.code, String(error)).toBe("E_STORE_UNREACHABLE");
      expect(isBooksnapError(error) && error.exitCode).toBe(10);
      expect(await storeState("failed/")).toEqual({ objects: [], uploads: 0 });
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it("a connection that goes silent mid-upload fails the attempt instead of hanging, and is retried", async () => {
    const { proxy, client } = await clientThroughProxy(3, 1_000);
    try {
      // The upload's bytes stop half way and the connection stays open: only an idle timeout ends it.
      // (A stalled response would not do: moto closes each connection after answering.)
      const stalled = proxy.arm({ direction: "toServer", afterBytes: 50_000, action: "stall" });
      const prefix = { bucket: BUCKET, prefix: "stalled" };
      const options = { bytes: 200_000, createdAt: "2026-11-01T00:00:00.000Z" };
      const pushed = await pushByteSnapshot(client, prefix, work, "snap", options);
      await stalled;
      expect(proxy.connections).toBeGreaterThan(1);
      const into = await mkdtemp(join(work, "stall-"));
      const { paths } = await downloadSnapshot(store.client, { ...prefix, name: "snap" }, into);
      expect(
        createHash("sha256")
          .update(await readFile(paths.dataPath))
          .digest("hex"),
      ).toBe(pushed.sha256);
    } finally {
      client.destroy();
      await proxy.close();
    }
  });
});
