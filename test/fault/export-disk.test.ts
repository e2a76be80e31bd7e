import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { isBooksnapError } from "../../src/errors.js";
import { exportSnapshot } from "../../src/export/export.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/**
 * Export with a failing output disk (the data writer's wrapFileStream seam injects ENOSPC): a
 * clear output error (exit 9 class) and no file under the snapshot's final name, no manifest,
 * no temp file — nothing that could look like a complete snapshot.
 */

/** Sizes: ~200 books with long synopses ≈ 400 KB of rows, enough to cut well inside the Book stream. */
const LIBRARY = { users: 3, books: 200, seed: 7 };

let db: TestDatabase;
let work: string;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.withClient((c) => loadLibrary(c, generateLibrary(LIBRARY)));
  work = await mkdtemp(join(tmpdir(), "booksnap-export-faults-"));
});
afterAll(async () => {
  await db?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function filesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** A failed export leaves nothing that looks like a snapshot: no data file, no manifest, no temp file. */
function expectNothingLeft(files: string[]) {
  expect(files).toEqual([]);
}

describe("export: failing output disk", () => {
  it("a failing disk (ENOSPC after 64 KiB) leaves no data file, no manifest and no temp file (exit 9 class error)", async () => {
    const out = join(work, "disk");
    let written = 0;
    const error = await exportSnapshot(
      {
        connection: {
          url: db.url,
          tls: "disable",
          connectTimeoutMs: 5000,
          statementTimeoutMs: 0,
          lockTimeoutMs: 0,
        },
        outDir: out,
        name: "full-disk",
        redactionKey: null,
      },
      {
        now: () => new Date(),
        writer: {
          compressionLevel: 1,
          wrapFileStream: (file) =>
            new Writable({
              write(chunk: Buffer, _encoding, callback) {
                written += chunk.length;
                if (written > 64 * 1024) {
                  callback(
                    Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }),
                  );
                  return;
                }
                file.write(chunk, callback);
              },
              final(callback) {
                file.end(callback);
              },
            }),
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isBooksnapError(error)).toBe(true);
    expect(error).toMatchObject({ code: "E_WRITE", category: "io", exitCode: 9 });
    expect((error as Error).message).toContain("full-disk");
    expect((error as { hint?: string }).hint).toMatch(/disk is full/);
    expectNothingLeft(await filesIn(out));
  });
});
