import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/** A heap smaller than the exported rows: accumulating a table in memory runs out of it. */
const HEAP = ["--max-old-space-size=64"];

describe("export and verify memory stays flat", () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    // ≈25k books with long synopses: about 58 MB of NDJSON, more than the 64 MB heap holds as JS objects.
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 50, books: 25_000 })));
    dir = await mkdtemp(join(tmpdir(), "booksnap-mem-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("exports a database larger than a 64 MB heap, and verifies it within the same heap", async () => {
    const run = await runBooksnap(["export", "--name", "big", "--json"], {
      cwd: dir,
      nodeArgs: HEAP,
      env: { DEWEY_DB_DATABASE_URL_READONLY: db.url },
      timeoutMs: 60_000,
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.counts.Book).toBe(25_000);
    expect(summary.uncompressedBytes).toBeGreaterThan(50_000_000);

    const verify = await runBooksnap(["verify", join(dir, "snapshots", "big"), "--json"], {
      nodeArgs: HEAP,
      timeoutMs: 60_000,
    });
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout).counts.Book).toBe(25_000);
  });
});
