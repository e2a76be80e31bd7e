import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { isBooksnapError } from "../../src/errors.js";
import { exportSnapshot } from "../../src/export/export.js";
import { expectNothingLeft, filesIn, fullDiskAfter, useLoadedSource } from "../helpers/export.js";

/**
 * Export with a failing output disk (the data writer's wrapFileStream seam injects ENOSPC): a
 * clear output error (exit 9 class) and no file under the snapshot's final name, no manifest,
 * no temp file — nothing that could look like a complete snapshot.
 */

/** Sizes: ~200 books with long synopses ≈ 400 KB of rows, enough to cut well inside the Book stream. */
const LIBRARY = { users: 3, books: 200, seed: 7 };

const source = useLoadedSource(LIBRARY, "booksnap-export-faults-");

describe("export: failing output disk", () => {
  it("a failing disk (ENOSPC after 64 KiB) leaves no data file, no manifest and no temp file (exit 9 class error)", async () => {
    const out = join(source.work, "disk");
    const error = await exportSnapshot(
      {
        connection: {
          url: source.db.url,
          tls: "disable",
          connectTimeoutMs: 5000,
          statementTimeoutMs: 0,
          lockTimeoutMs: 0,
        },
        outDir: out,
        name: "full-disk",
        config: presetProjectConfig(),
        redactionKey: null,
      },
      {
        now: () => new Date(),
        writer: {
          compressionLevel: 1,
          wrapFileStream: fullDiskAfter(64 * 1024),
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
