import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compress, decompress } from "zstd-napi";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { InterruptedError } from "../../src/errors.js";
import { importSnapshot } from "../../src/import/import.js";
import { openStoreSnapshot } from "../../src/store/data-stream.js";
import { contentDump, createPreparedTarget, extraSchemas } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type MotoStore, startMoto } from "../helpers/moto.js";

/**
 * `import s3://…` streams the data object into the loader: no local copy of the data file, and
 * its size and SHA-256 are checked when the stream ends, after staging and before the final
 * transaction, so an altered object never reaches the target's tables.
 */
const BUCKET = "stream-snaps";
const DATA_KEY = "prod/monday.ndjson.zst";
let store: MotoStore;
let source: TestDatabase;
let original: Buffer;
const targets: TestDatabase[] = [];
const dirs: string[] = [];

const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  runBooksnap(args, { cwd, env: { ...store.env, ...env }, timeoutMs: 60_000 });

async function target(): Promise<TestDatabase> {
  const db = await createPreparedTarget();
  targets.push(db);
  return db;
}

async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "booksnap-stream-"));
  dirs.push(dir);
  return dir;
}

async function putData(bytes: Buffer): Promise<void> {
  await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: DATA_KEY, Body: bytes }));
}

beforeAll(async () => {
  store = await startMoto();
  await store.createBucket(BUCKET);
  source = await createTestDatabase();
  await source.withClient((c) => loadLibrary(c, generateLibrary({ users: 3, books: 120, seed: 17 })));
  const exported = await run(
    ["export", "--out", `s3://${BUCKET}/prod`, "--name", "monday"],
    await emptyDir(),
    {
      DEWEY_DB_DATABASE_URL_READONLY: source.url,
    },
  );
  expect(exported.code, exported.stderr).toBe(0);
  const object = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: DATA_KEY }));
  original = Buffer.from(
    await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
});
afterAll(async () => {
  await store?.stop();
  await source?.drop();
  for (const db of targets) await db.drop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * Other valid data of exactly the declared size: one book title changed (same length), compressed
 * harder than the writer does, and padded with a zstd skippable frame (which decoders ignore).
 * It decompresses cleanly to as many lines and bytes as the manifest says, so only the SHA-256
 * check at the end of the stream can tell.
 */
function sameSizeOtherData(data: Buffer): Buffer {
  const plain = Buffer.from(decompress(data));
  const at = plain.indexOf('"title":"') + '"title":"'.length;
  plain[at] = plain[at] === 0x51 ? 0x52 : 0x51; // 'Q' or 'R'
  for (const level of [19, 15, 12, 9]) {
    const packed = Buffer.from(compress(plain, { compressionLevel: level }));
    const pad = data.length - packed.length - 8;
    if (pad < 0) continue;
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0x184d2a50, 0); // skippable frame magic
    header.writeUInt32LE(pad, 4);
    return Buffer.concat([packed, header, Buffer.alloc(pad)]);
  }
  throw new Error("could not compress the altered data below the original size");
}

describe("import from a store streams the data object", () => {
  it("imports s3://…/latest with no local data file (no usable temp dir), equal to a local import", async () => {
    const laptop = await emptyDir();
    const fromBucket = await target();
    const imported = await run(
      ["import", `s3://${BUCKET}/prod/latest`, "--to", fromBucket.url, "--yes", "--json"],
      laptop,
      // A private temporary copy could not even be created here.
      { TMPDIR: join(laptop, "no-such-dir") },
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({
      snapshot: `s3://${BUCKET}/prod/monday.manifest.json`,
      models: { Book: { imported: 120 } },
    });
    // Only the audit log was written.
    expect(await readdir(laptop)).toEqual(["logs"]);

    const pulled = await run(["pull", `s3://${BUCKET}/prod/latest`, "downloads"], laptop);
    expect(pulled.code, pulled.stderr).toBe(0);
    const fromDisk = await target();
    const local = await run(["import", "downloads/monday", "--to", fromDisk.url, "--yes"], laptop);
    expect(local.code, local.stderr).toBe(0);
    expect(await contentDump(fromBucket)).toEqual(await contentDump(fromDisk));
  });

  it("the target guard judges the target before the data object is requested", async () => {
    await store.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: DATA_KEY }));
    try {
      // The snapshot's own source as target: refused (exit 2), not "data object missing" (exit 4).
      const refused = await run(
        ["import", `s3://${BUCKET}/prod/monday`, "--to", source.url, "--yes"],
        await emptyDir(),
      );
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain("E_TARGET_REFUSED");
      // A target the guard accepts gets as far as the data object.
      const missing = await run(
        ["import", `s3://${BUCKET}/prod/monday`, "--to", (await target()).url, "--yes"],
        await emptyDir(),
      );
      expect(missing.code, missing.stderr).toBe(4);
      expect(missing.stderr).toContain("E_DATA_MISSING");
    } finally {
      await putData(original);
    }
  });

  /** Stores `data` as the object, imports it, and checks the refusal left the target as it was. */
  async function expectRefusedObject(data: Buffer, code: "E_DATA_SHA256" | "E_DATA_SIZE"): Promise<void> {
    await putData(data);
    try {
      const untouched = await target();
      const before = await contentDump(untouched);
      const refused = await run(
        ["import", `s3://${BUCKET}/prod/monday`, "--to", untouched.url, "--yes"],
        await emptyDir(),
      );
      expect(refused.code, refused.stderr).toBe(4);
      expect(refused.stderr).toContain(code);
      expect(await contentDump(untouched)).toEqual(before);
      expect(await extraSchemas(untouched)).toEqual([]);
    } finally {
      await putData(original);
    }
  }

  it("refuses an object with the declared size but other bytes (exit 4) before anything is committed", async () => {
    const altered = sameSizeOtherData(original);
    expect(altered.length).toBe(original.length);
    await expectRefusedObject(altered, "E_DATA_SHA256");
  });

  it("a byte flipped inside the compressed data is reported as the object not matching (exit 4)", async () => {
    const flipped = Buffer.from(original);
    const middle = Math.floor(flipped.length / 2);
    flipped[middle] = (flipped[middle] ?? 0) ^ 0x01;
    await expectRefusedObject(flipped, "E_DATA_SHA256");
  });

  it("an object longer than its manifest declares is cut off (exit 4)", async () => {
    await expectRefusedObject(Buffer.concat([original, Buffer.alloc(4096, 0x20)]), "E_DATA_SIZE");
  });

  it("--resume re-opens the stream from the start and skips the staged lines", async () => {
    const resumed = await target();
    const ref = { bucket: BUCKET, prefix: "prod", name: "latest" };
    const rejectsPath = join(await emptyDir(), "monday.rejects.ndjson");
    const controller = new AbortController();
    const interrupted = await importSnapshot(
      {
        snapshot: await openStoreSnapshot(store.client, ref, controller.signal),
        targetUrl: resumed.url,
        batchSize: 40,
        yes: true,
        rejectsPath,
      },
      { now: () => new Date(), signal: controller.signal, onProgress: () => controller.abort() },
    ).catch((error: unknown) => error);
    expect(interrupted).toBeInstanceOf(InterruptedError);
    expect(await extraSchemas(resumed)).toEqual(["booksnap_staging"]);

    const summary = await importSnapshot(
      {
        snapshot: await openStoreSnapshot(store.client, ref),
        targetUrl: resumed.url,
        batchSize: 40,
        yes: true,
        resume: true,
        rejectsPath,
      },
      { now: () => new Date(), signal: new AbortController().signal },
    );
    expect(summary.resumedFromLine).toBeGreaterThan(0);
    expect(summary.models.Book?.imported).toBe(120);

    const whole = await target();
    const imported = await run(
      ["import", `s3://${BUCKET}/prod/monday`, "--to", whole.url, "--yes"],
      await emptyDir(),
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(await contentDump(resumed)).toEqual(await contentDump(whole));
    expect(await extraSchemas(resumed)).toEqual([]);
  });
});
