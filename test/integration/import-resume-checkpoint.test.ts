import pg from "pg";
import { describe, expect, it } from "vitest";
import { ConflictError, InterruptedError } from "../../src/errors.js";
import { importSnapshot } from "../../src/import/import.js";
import {
  actualLibrary,
  addUser,
  collect,
  expectedLibrary,
  importDeps,
  importInto,
  makeSnapshot,
  stagingExists,
  useImportSetup,
} from "./import-support.js";

/**
 * --resume continues after the checkpoint: the lines staged before are neither staged again nor
 * lost. It refuses another snapshot (E_RESUME_MISMATCH), and a staging run whose checkpoint
 * someone else moved stops (E_CHECKPOINT_MOVED) instead of staging on top of it.
 */
const setup = useImportSetup();

/** Runs an import that Ctrl-C stops after `batches` committed batches of `batchSize` lines. */
async function interruptAfter(snapshot: string, url: string, batchSize: number, batches: number) {
  const controller = new AbortController();
  let committed = 0;
  const error = await importSnapshot(
    { snapshot, targetUrl: url, batchSize },
    {
      now: () => new Date(),
      signal: controller.signal,
      onProgress: () => {
        committed += 1;
        if (committed === batches) controller.abort();
      },
    },
  ).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InterruptedError);
}

/** Staged rows of the earlier run: line and the transaction that wrote it (xmin). */
async function stagedBefore(
  client: pg.Client,
  lastLine: number,
): Promise<Array<{ line: number; xmin: string }>> {
  const { rows } = await client.query<{ line: number; xmin: string }>(
    `SELECT line, xmin::text AS xmin FROM booksnap_staging."Book" WHERE line <= $1 ORDER BY line`,
    [lastLine],
  );
  return rows;
}

describe("import --resume and the staging checkpoint", () => {
  it("continues after the checkpoint: earlier lines are not staged again, every later line once", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 200, seed: 31 });
    const { paths, manifest } = await makeSnapshot(dir, "lib", records);
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    await interruptAfter(paths.manifestPath, db.url, 30, 2);
    const earlier = await db.withClient((c) => stagedBefore(c, 60));
    expect(earlier.length).toBe(59); // lines 2-60: line 1 is the User record, validated but not staged

    const progress: number[] = [];
    let stagedAtFirstBatch: Array<{ line: number; xmin: string }> = [];
    const watcher = new pg.Client({ connectionString: db.url });
    await watcher.connect();
    try {
      const summary = await importSnapshot(
        { snapshot: paths.manifestPath, targetUrl: db.url, batchSize: 30, resume: true },
        {
          ...importDeps(),
          onProgress: async (update) => {
            if (progress.length === 0) stagedAtFirstBatch = await stagedBefore(watcher, 60);
            progress.push(update.done);
          },
        },
      );
      expect(summary.resumedFromLine).toBe(60);
      // The first batch of this run ends at line 90, and the run stages lines 61 to the end only.
      const lines = manifest.data.lines;
      expect(lines).toBe(234);
      expect(progress).toEqual([90, 120, 150, 180, 210, 234]);
      expect(summary.batches).toBe(8);
      // The rows staged before the interruption are the very same rows, not restaged copies.
      expect(stagedAtFirstBatch).toEqual(earlier);
    } finally {
      await watcher.end();
    }
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
    expect(await stagingExists(db)).toBe(false);
  });

  it("refuses to resume with another snapshot or mode (exit 8 E_RESUME_MISMATCH) and keeps the staged import", async () => {
    const { db, dir } = await setup();
    const first = await makeSnapshot(dir, "first", await collect({ users: 1, books: 90, seed: 32 }));
    const other = await makeSnapshot(dir, "other", await collect({ users: 1, books: 90, seed: 33 }));
    await db.withClient((c) => addUser(c, "dev@example.com"));
    await interruptAfter(first.paths.manifestPath, db.url, 30, 1);
    const checkpoint = async () =>
      db.withClient(
        async (c) => (await c.query("SELECT last_line, batches FROM booksnap_staging.checkpoint")).rows,
      );
    const before = await checkpoint();
    expect(before).toEqual([{ last_line: 30, batches: 1 }]);

    const otherSnapshot = await importInto(other.paths.manifestPath, db.url, "--resume", "--json");
    expect(otherSnapshot.code).toBe(8);
    expect(otherSnapshot.json().error).toMatchObject({ code: "E_RESUME_MISMATCH", category: "conflict" });
    expect((otherSnapshot.json().error as { message: string }).message).toContain("snapshot first");

    const otherMode = await importInto(
      first.paths.manifestPath,
      db.url,
      "--resume",
      "--mode",
      "merge",
      "--json",
    );
    expect(otherMode.code).toBe(8);
    expect(otherMode.json().error).toMatchObject({ code: "E_RESUME_MISMATCH" });
    expect((otherMode.json().error as { message: string }).message).toContain("--mode replace");

    // Nothing was staged on top of the first import's checkpoint; resuming it still works.
    expect(await checkpoint()).toEqual(before);
    const resumed = await importInto(first.paths.manifestPath, db.url, "--resume", "--json");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json().resumedFromLine).toBe(30);
  });

  it("stops with E_CHECKPOINT_MOVED when another session moves the checkpoint during staging, committing nothing", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 120, seed: 34 }));
    await db.withClient((c) => addUser(c, "dev@example.com"));
    let moved = false;
    const error = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, batchSize: 30 },
      {
        ...importDeps(),
        // After batch 1 commits, someone else's run writes its own checkpoint position.
        onProgress: async () => {
          if (moved) return;
          moved = true;
          const other = new pg.Client({ connectionString: db.url });
          await other.connect();
          await other.query("UPDATE booksnap_staging.checkpoint SET last_line = last_line + 7");
          await other.end();
        },
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: "E_CHECKPOINT_MOVED", exitCode: 8 });
    await db.withClient(async (c) => {
      expect((await c.query(`SELECT count(*)::int AS n FROM "Book"`)).rows[0].n).toBe(0);
      // Batch 2 was rolled back: staging holds batch 1's rows only (lines 2-30).
      const staged = await c.query(`SELECT min(line) AS lo, max(line) AS hi FROM booksnap_staging."Book"`);
      expect(staged.rows[0]).toEqual({ lo: 2, hi: 30 });
    });
  });
});
