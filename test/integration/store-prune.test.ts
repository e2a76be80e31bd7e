import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { type MotoStore, startMoto } from "../helpers/moto.js";
import { byteSnapshot, pushByteSnapshot } from "../helpers/store-snapshots.js";

/** `booksnap prune` on a real S3 endpoint: dry run, --keep, --older-than, the last complete one stays. */
const BUCKET = "prune-snaps";
const PREFIX = { bucket: BUCKET, prefix: "prod" };
let store: MotoStore;
let work: string;

const prune = (...flags: string[]) =>
  runBooksnap(["prune", `s3://${BUCKET}/prod`, ...flags], { cwd: work, env: store.env, timeoutMs: 60_000 });

async function objects(): Promise<string[]> {
  const listed = await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "prod/" }));
  return (listed.Contents ?? []).map((o) => (o.Key ?? "").slice("prod/".length)).sort();
}

beforeAll(async () => {
  store = await startMoto();
  await store.createBucket(BUCKET);
  work = await mkdtemp(join(tmpdir(), "booksnap-prune-"));
  for (const [name, month] of [
    ["jan", "01"],
    ["feb", "02"],
    ["mar", "03"],
  ] as const) {
    await pushByteSnapshot(store.client, PREFIX, work, name, {
      bytes: 100,
      createdAt: `2026-${month}-01T00:00:00.000Z`,
    });
  }
  // The newest manifest, but its data never arrived: incomplete, so prune neither counts nor removes it.
  const broken = await byteSnapshot(work, "apr", { bytes: 100, createdAt: "2026-04-01T00:00:00.000Z" });
  await store.client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: "prod/apr.manifest.json", Body: broken.manifestText }),
  );
});
afterAll(async () => {
  await store?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("booksnap prune", () => {
  it("--dry-run shows what --keep would remove and removes nothing", async () => {
    const before = await objects();
    const dry = await prune("--keep", "1", "--dry-run", "--json");
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      removed: ["feb", "jan"],
      kept: ["mar"],
      ignored: ["apr"],
    });
    expect(await objects()).toEqual(before);
  });

  it("--keep 2 removes the oldest complete snapshot, both its objects", async () => {
    const run = await prune("--keep", "2");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("removed jan");
    expect(await objects()).toEqual([
      "apr.manifest.json",
      "feb.manifest.json",
      "feb.ndjson.zst",
      "mar.manifest.json",
      "mar.ndjson.zst",
    ]);
  });

  it("--older-than never removes the only complete snapshot left", async () => {
    const first = await prune("--older-than", "1d");
    expect(first.code, first.stderr).toBe(0);
    expect(await objects()).toEqual(["apr.manifest.json", "mar.manifest.json", "mar.ndjson.zst"]);
    const again = await prune("--older-than", "1d", "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ removed: [], kept: ["mar"] });
    expect(await objects()).toEqual(["apr.manifest.json", "mar.manifest.json", "mar.ndjson.zst"]);
  });

  it("refuses to run without a rule (exit 2)", async () => {
    const run = await prune();
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("E_PRUNE_RULE");
  });
});
