import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { FaultProxy } from "../fault/proxy.js";
import { createPreparedTarget } from "../fault/targets.js";
import { type CliRun, runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { type MotoStore, STORE_CREDENTIALS, startMoto } from "../helpers/moto.js";

/**
 * The store's share of the secret scan (security-secrets.test.ts does the database's): no AWS
 * secret key, session token or request signature reaches stdout, stderr (--verbose traces and
 * --json errors included), the audit log or the snapshot, in successful runs, in runs the store
 * refuses (unknown bucket, rejected credentials), and in runs whose connection is cut.
 */
const SECRET = STORE_CREDENTIALS.AWS_SECRET_ACCESS_KEY;
const TOKEN = STORE_CREDENTIALS.AWS_SESSION_TOKEN;
const SIGNATURE_MARKERS = ["X-Amz-Signature", "X-Amz-Credential", "Signature=", "x-amz-security-token"];

let store: MotoStore;
let strict: MotoStore;
let source: TestDatabase;
let target: TestDatabase;
let work: string;
const runs: { label: string; run: CliRun }[] = [];

async function record(label: string, args: string[], env: Record<string, string> = {}) {
  const run = await runBooksnap([...args, "--verbose"], {
    cwd: work,
    env: { ...store.env, ...env },
    timeoutMs: 60_000,
  });
  runs.push({ label, run });
  return run;
}

beforeAll(async () => {
  store = await startMoto();
  strict = await startMoto({ enforceAuth: true });
  await store.createBucket("secret-snaps");
  source = await createTestDatabase();
  await source.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 30, seed: 17 })));
  target = await createPreparedTarget();
  work = await mkdtemp(join(tmpdir(), "booksnap-store-secrets-"));

  await record("export to bucket", ["export", "--out", "s3://secret-snaps/prod", "--name", "one"], {
    DEWEY_DB_DATABASE_URL_READONLY: source.url,
  });
  await record("list --json", ["list", "s3://secret-snaps/prod", "--verify", "--json"]);
  await record("import latest", ["import", "s3://secret-snaps/prod/latest", "--to", target.url, "--yes"]);
  await record("pull", ["pull", "s3://secret-snaps/prod/one"]);
  await record("no bucket", ["list", "s3://no-such-bucket/x"]);
  await record("no bucket --json", ["inspect", "s3://no-such-bucket/x/latest", "--json"]);
  await record("rejected credentials", ["list", "s3://secret-snaps/prod"], {
    BOOKSNAP_S3_ENDPOINT: strict.endpoint,
  });
  await record(
    "rejected credentials --json",
    ["push", "snapshots/one", "s3://secret-snaps/other", "--json"],
    {
      BOOKSNAP_S3_ENDPOINT: strict.endpoint,
    },
  );
  // A secret pasted where a URL belongs is echoed by the usage error: redaction must catch it.
  await record("secret pasted as url", ["list", `s3://${TOKEN}`]);
  // Cut on every connection: retries run out, the upload fails, its multipart upload is aborted.
  const proxy = await FaultProxy.start({ targetHost: "127.0.0.1", targetPort: store.port });
  try {
    for (let i = 0; i < 12; i += 1) void proxy.arm({ direction: "toServer", afterBytes: 200, action: "cut" });
    await record("push cut", ["push", "snapshots/one", "s3://secret-snaps/cut"], {
      BOOKSNAP_S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`,
    });
  } finally {
    await proxy.close();
  }
});
afterAll(async () => {
  await store?.stop();
  await strict?.stop();
  await source?.drop();
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("no store credential leaks", () => {
  it("the runs did what they should, so the scan covers real successes and failures", () => {
    const codes = Object.fromEntries(runs.map(({ label, run }) => [label, run.code]));
    const stderr = (label: string) => runs.find((r) => r.label === label)?.run.stderr ?? "";
    expect(codes["export to bucket"], stderr("export to bucket")).toBe(0);
    expect(codes["list --json"], stderr("list --json")).toBe(0);
    expect(codes["import latest"], stderr("import latest")).toBe(0);
    expect(codes.pull, stderr("pull")).toBe(0);
    expect(codes["no bucket"]).toBe(10);
    expect(codes["no bucket --json"]).toBe(10);
    expect(codes["rejected credentials"]).toBe(10);
    expect(stderr("rejected credentials")).toContain("E_STORE_CREDENTIALS");
    expect(codes["rejected credentials --json"]).toBe(10);
    expect(codes["push cut"], stderr("push cut")).toBe(10);
    expect(codes["secret pasted as url"]).toBe(2);
    expect(stderr("secret pasted as url")).toContain("E_STORE_URL");
    // Verbose failures print stack traces (what a leak would ride on).
    expect(stderr("rejected credentials")).toContain("caused by:");
  });

  it("no output holds the secret key, the session token or a signature", () => {
    for (const { label, run } of runs) {
      for (const text of [run.stdout, run.stderr]) {
        expect(text, label).not.toContain(SECRET);
        expect(text, label).not.toContain(encodeURIComponent(SECRET));
        expect(text, label).not.toContain(TOKEN);
        expect(text, label).not.toContain(encodeURIComponent(TOKEN));
        // Not even in parts (a message quoting the bucket name of a pasted token).
        expect(text, label).not.toContain(TOKEN.slice(0, 24));
        expect(text, label).not.toContain(SECRET.slice(0, 24));
        for (const marker of SIGNATURE_MARKERS)
          expect(text.toLowerCase(), label).not.toContain(marker.toLowerCase());
      }
    }
  });

  it("no file the runs wrote holds them either", async () => {
    const files: string[] = [];
    for (const entry of await readdir(work, { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
    }
    expect(files.map((f) => f.slice(work.length + 1)).sort()).toEqual(
      expect.arrayContaining([
        "logs/audit.ndjson",
        "snapshots/one.manifest.json",
        "snapshots/one.ndjson.zst",
      ]),
    );
    for (const path of files) {
      const text = await readFile(path, "latin1");
      expect(text, path).not.toContain(SECRET);
      expect(text, path).not.toContain(TOKEN);
    }
  });
});
