import { describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { runBooksnap } from "../helpers/cli.js";
import { addUser, makeSnapshot, tableCounts, useImportSetup } from "./import-support.js";

/** A heap smaller than the snapshot's records: holding a table (or a huge fetch) in memory runs out of it. */
const HEAP = ["--max-old-space-size=96"];

describe("import memory stays flat", () => {
  const setup = useImportSetup();

  it("imports and verifies a snapshot larger than a 96 MB heap", async () => {
    const { db, dir } = await setup();
    // 40k books with synopses of 300–3,000 characters: about 90 MB of NDJSON.
    const { paths, manifest } = await makeSnapshot(dir, "big", generateLibrary({ users: 40, books: 40_000 }));
    expect(manifest.data.uncompressedBytes).toBeGreaterThan(80_000_000);
    await db.withClient((c) => addUser(c, "dev@example.com"));

    const run = await runBooksnap(["import", paths.manifestPath, "--to", db.url, "--yes", "--json"], {
      nodeArgs: HEAP,
      timeoutMs: 120_000,
    });
    expect(run.stderr).not.toMatch(/heap out of memory/);
    expect(run.code).toBe(0);
    const counts = await db.withClient((c) => tableCounts(c));
    expect(counts.Book).toBe(40_000);
    expect(counts.BookInReadingList).toBe(manifest.models.BookInReadingList.count);
  });
});
