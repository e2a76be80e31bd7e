import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { exportSnapshot } from "../../src/export/export.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { testConnection } from "../helpers/export.js";

/**
 * statement_timeout must bound each fetch, not the whole read of a table: a large export is a
 * long walk over one cursor, and production settings (SYNC_TIMEOUT_MS) are far shorter than that.
 */
describe("export statement timeout", () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 400, listsPerUser: 1 })));
    dir = await mkdtemp(join(tmpdir(), "booksnap-timeout-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("applies per fetch, so a table read that takes longer than the timeout in total still succeeds", async () => {
    const started = Date.now();
    const result = await exportSnapshot(
      {
        connection: { ...testConnection(db.url), statementTimeoutMs: 500 },
        outDir: dir,
        name: "slow-reader",
        config: presetProjectConfig(),
        redactionKey: null,
        fetchRows: 40,
      },
      {
        now: () => new Date(),
        // A slow consumer: ten Book fetches at 150 ms each keep one cursor open well past 500 ms.
        onProgress: async () => {
          await sleep(150);
        },
      },
    );
    expect(Date.now() - started).toBeGreaterThan(1_500);
    expect(result.manifest.tables.Book?.count).toBe(400);
  });
});
