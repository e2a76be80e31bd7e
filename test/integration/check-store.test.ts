import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type MotoStore, startMoto } from "../helpers/moto.js";

/** `booksnap check s3://…`: the manifest is read from the bucket; nothing is downloaded or written. */
const BUCKET = "check-snaps";
let store: MotoStore;
let source: TestDatabase;
let target: TestDatabase;
let work: string;

beforeAll(async () => {
  store = await startMoto();
  await store.createBucket(BUCKET);
  source = await createTestDatabase();
  await source.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 10, seed: 7 })));
  target = await createTestDatabase();
  work = await mkdtemp(join(tmpdir(), "booksnap-check-store-"));
  const exported = await runBooksnap(
    ["export", "--from", source.url, "--out", `s3://${BUCKET}/prod`, "--name", "monday", "--no-redact"],
    {
      cwd: work,
      env: store.env,
      timeoutMs: 60_000,
    },
  );
  expect(exported.code, exported.stderr).toBe(0);
  await rm(join(work, "logs"), { recursive: true, force: true });
});
afterAll(async () => {
  await store?.stop();
  await source?.drop();
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("booksnap check with a snapshot in a bucket", () => {
  it("reads the manifest of s3://…/latest and reports, writing no file", async () => {
    const run = await runBooksnap(["check", `s3://${BUCKET}/prod/latest`, "--to", target.url, "--json"], {
      cwd: work,
      env: store.env,
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.ok).toBe(true);
    expect(result.report.verdict).toBe("ok");
    expect(result.snapshot.records.Book).toBe(10);
    expect(await readdir(work)).toEqual([]);
  });
});
