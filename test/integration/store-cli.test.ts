import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { contentDump, createPreparedTarget, extraSchemas } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type MotoStore, startMoto } from "../helpers/moto.js";

/**
 * The "done when", end to end with the built CLI: a snapshot exported on the bastion
 * straight into a bucket (no local copy) is listed, inspected, verified and imported straight
 * from the bucket on a laptop, and equals an import of the same snapshot pulled to disk. A data
 * object altered in the bucket is refused before the target is touched.
 */
const BUCKET = "team-snaps";
let store: MotoStore;
let source: TestDatabase;
const targets: TestDatabase[] = [];
let bastion: string;
let laptop: string;

const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  runBooksnap(args, { cwd, env: { ...store.env, ...env }, timeoutMs: 60_000 });

async function target(): Promise<TestDatabase> {
  const db = await createPreparedTarget();
  targets.push(db);
  return db;
}

beforeAll(async () => {
  store = await startMoto();
  await store.createBucket(BUCKET);
  source = await createTestDatabase();
  await source.withClient((c) => loadLibrary(c, generateLibrary({ users: 3, books: 150, seed: 91 })));
  bastion = await mkdtemp(join(tmpdir(), "booksnap-bastion-"));
  laptop = await mkdtemp(join(tmpdir(), "booksnap-laptop-"));
});
afterAll(async () => {
  await store?.stop();
  await source?.drop();
  for (const db of targets) await db.drop();
  for (const dir of [bastion, laptop]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("share through a bucket", () => {
  it("export --out s3:// streams into the bucket, leaving no snapshot file on the bastion", async () => {
    const exported = await run(
      ["export", "--out", `s3://${BUCKET}/prod`, "--name", "monday", "--json"],
      bastion,
      {
        DEWEY_DB_DATABASE_URL_READONLY: source.url,
      },
    );
    expect(exported.code, exported.stderr).toBe(0);
    const summary = JSON.parse(exported.stdout);
    expect(summary.snapshot.manifestPath).toBe(`s3://${BUCKET}/prod/monday.manifest.json`);
    expect(summary.counts.Book).toBe(150);
    const listed = await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "prod/" }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([
      "prod/monday.manifest.json",
      "prod/monday.ndjson.zst",
    ]);
    // Only the audit log is written locally.
    expect(await readdir(bastion)).toEqual(["logs"]);

    const again = await run(["export", "--out", `s3://${BUCKET}/prod`, "--name", "monday"], bastion, {
      DEWEY_DB_DATABASE_URL_READONLY: source.url,
    });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("E_SNAPSHOT_EXISTS");
  });

  it("list, inspect and verify read the bucket; `latest` names the newest snapshot", async () => {
    const list = await run(["list", `s3://${BUCKET}/prod`, "--verify", "--json"], laptop);
    expect(list.code, list.stderr).toBe(0);
    const listing = JSON.parse(list.stdout);
    expect(listing.snapshots).toHaveLength(1);
    expect(listing.snapshots[0]).toMatchObject({
      name: "monday",
      state: "verified",
      counts: { Book: 150 },
      redaction: "pseudonymised",
    });
    const human = await run(["list", `s3://${BUCKET}/prod`], laptop);
    expect(human.stdout).toMatch(/monday .* manifest ok/);

    const inspect = await run(["inspect", `s3://${BUCKET}/prod/latest`, "--json"], laptop);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ name: "monday", dataFilePresent: true });

    const verify = await run(["verify", `s3://${BUCKET}/prod/latest`], laptop);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain("monday: OK");
  });

  it("import s3://…/latest loads the same data as importing the pulled files", async () => {
    const fromBucket = await target();
    const imported = await run(
      ["import", `s3://${BUCKET}/prod/latest`, "--to", fromBucket.url, "--yes", "--json"],
      laptop,
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).models.Book.imported).toBe(150);

    const pulled = await run(["pull", `s3://${BUCKET}/prod/latest`, "downloads"], laptop);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect((await readdir(join(laptop, "downloads"))).sort()).toEqual([
      "monday.manifest.json",
      "monday.ndjson.zst",
    ]);
    const fromDisk = await target();
    const local = await run(["import", "downloads/monday", "--to", fromDisk.url, "--yes"], laptop);
    expect(local.code, local.stderr).toBe(0);
    expect(await contentDump(fromBucket)).toEqual(await contentDump(fromDisk));
  });

  it("a data object altered in the bucket is refused (exit 4) before the target is touched", async () => {
    const object = await store.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: "prod/monday.ndjson.zst" }),
    );
    const bytes = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0x01;
    await store.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "prod/monday.ndjson.zst", Body: bytes }),
    );

    const untouched = await target();
    const before = await contentDump(untouched);
    const refused = await run(
      ["import", `s3://${BUCKET}/prod/monday`, "--to", untouched.url, "--yes"],
      laptop,
    );
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr).toContain("E_DATA_SHA256");
    expect(await contentDump(untouched)).toEqual(before);
    expect(await extraSchemas(untouched)).toEqual([]);

    const list = await run(["list", `s3://${BUCKET}/prod`, "--verify"], laptop);
    expect(list.code).toBe(4);
    expect(list.stdout).toContain("VERIFY FAILED");
    const audit = await readFile(join(laptop, "logs", "audit.ndjson"), "utf8");
    expect(audit).toContain(`s3://${BUCKET}/prod/monday`);
  });

  it("store failures are classified with exit code 10", async () => {
    const noBucket = await run(["list", "s3://no-such-bucket/prod"], laptop);
    expect(noBucket.code).toBe(10);
    expect(noBucket.stderr).toContain("E_STORE_NO_BUCKET");
    const unreachable = await run(
      ["inspect", `s3://${BUCKET}/prod/latest`, "--endpoint", "http://127.0.0.1:1"],
      laptop,
    );
    expect(unreachable.code).toBe(10);
    expect(unreachable.stderr).toContain("E_STORE_UNREACHABLE");
    const missing = await run(["import", `s3://${BUCKET}/prod/tuesday`, "--to", source.url], laptop);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("E_MANIFEST_MISSING");
  });
});
