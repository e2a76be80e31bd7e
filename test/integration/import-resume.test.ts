import { spawn } from "node:child_process";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { importSnapshot } from "../../src/import/import.js";
import {
  actualLibrary,
  addUser,
  collect,
  expectedLibrary,
  importDeps,
  importInto,
  makeSnapshot,
  runImportCli,
  stagingExists,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function duplicates(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT (SELECT count(*) - count(DISTINCT isbn13) FROM "Book")::int +
            (SELECT count(*) - count(DISTINCT ("bookId", "readingListId")) FROM "BookInReadingList")::int AS n`,
  );
  return rows[0]?.n ?? -1;
}

describe("resumable import", () => {
  it("an import killed mid-batch (SIGKILL) resumes with --resume to exactly the snapshot's content", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 2, books: 2500, listsPerUser: 4, entriesPerList: 20, seed: 21 });
    const { paths, manifest } = await makeSnapshot(dir, "big", records);
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    const child = spawn(
      process.execPath,
      ["dist/cli.js", "import", paths.manifestPath, "--to", db.url, "--batch-size", "25", "--json"],
      { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const watcher = new pg.Client({ connectionString: db.url });
    await watcher.connect();
    try {
      await waitFor("the first checkpoint", async () => {
        const r = await watcher.query(
          "SELECT last_line FROM booksnap_staging.checkpoint WHERE last_line > 0",
        );
        return r.rowCount ? true : undefined;
      });
      // Hold the checkpoint: the importer's next batch COPYs its rows, then blocks on the checkpoint update.
      await watcher.query("BEGIN");
      await watcher.query("LOCK TABLE booksnap_staging.checkpoint IN ACCESS EXCLUSIVE MODE");
      await waitFor("the importer to block mid-batch", async () => {
        const r = await watcher.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = 'booksnap-import' AND wait_event_type = 'Lock'",
        );
        return r.rowCount ? true : undefined;
      });
      child.kill("SIGKILL");
      expect(await exited).toBe(null);
      await watcher.query("ROLLBACK");
      await waitFor("the killed sessions to end", async () => {
        const r = await watcher.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'booksnap-import%' AND datname = current_database()",
        );
        return r.rowCount === 0 ? true : undefined;
      });
      const checkpoint = (await watcher.query("SELECT last_line, counts FROM booksnap_staging.checkpoint"))
        .rows[0];
      expect(checkpoint.last_line).toBeGreaterThan(0);
      expect(checkpoint.last_line).toBeLessThan(manifest.data.lines);
      // Staging holds exactly the committed batches: the killed batch left nothing behind.
      const staged = await watcher.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM booksnap_staging."Book"',
      );
      expect(staged.rows[0]?.n).toBe(checkpoint.counts.Book ?? 0);
      expect((await watcher.query('SELECT count(*)::int AS n FROM "Book"')).rows[0].n).toBe(0);
    } finally {
      child.kill("SIGKILL");
      await watcher.end();
    }
    // Without --resume, the leftover is detected and not silently discarded.
    const leftover = await importInto(paths.manifestPath, db.url);
    expect(leftover.code).toBe(8);
    expect(leftover.stderr).toContain("--resume");
    const resumed = await importInto(paths.manifestPath, db.url, "--resume", "--json");
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json().resumedFromLine).toBeGreaterThan(0);
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
    expect(await db.withClient(duplicates)).toBe(0);
  });

  it("a connection dropped mid-import is retried and the import completes with exact content", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 2, books: 300, seed: 22 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    let terminated = 0;
    const warnings: string[] = [];
    const summary = await importSnapshot(
      {
        snapshot: paths.manifestPath,
        targetUrl: db.url,
        batchSize: 40,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
      },
      {
        ...importDeps(),
        warn: (m) => warnings.push(m),
        onProgress: async () => {
          if (terminated > 0) return;
          // After the first batch commits, an admin kills the importer's session (57P01).
          const admin = new pg.Client({ connectionString: db.url });
          await admin.connect();
          const r = await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'booksnap-import' AND datname = current_database()",
          );
          terminated = r.rowCount ?? 0;
          await admin.end();
        },
      },
    );
    expect(terminated).toBe(1);
    expect(summary.retried).toBeGreaterThanOrEqual(1);
    expect(warnings.join("\n")).toContain("retry 1 of 3");
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
    expect(await db.withClient(duplicates)).toBe(0);
  });

  it("Ctrl-C stops after the current batch with a resumable checkpoint (exit 130), and the resume completes", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 200, seed: 23 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    const controller = new AbortController();
    const interrupted = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, batchSize: 30 },
      { now: () => new Date(), signal: controller.signal, onProgress: () => controller.abort() },
    ).catch((e: unknown) => e);
    expect(interrupted).toBeInstanceOf(InterruptedError);
    expect((interrupted as InterruptedError).exitCode).toBe(130);
    expect((interrupted as InterruptedError).hint).toContain("--resume");
    const lastLine = await db.withClient(async (c) => {
      expect(
        (
          await c.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'booksnap-import%' AND datname = current_database()",
          )
        ).rows[0].n,
      ).toBe(0);
      return (await c.query("SELECT last_line FROM booksnap_staging.checkpoint")).rows[0].last_line;
    });
    expect(lastLine).toBe(30);
    // On a TTY the leftover is offered for resuming (deps.confirm) instead of failing with exit 8.
    const questions: string[] = [];
    const summary = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, batchSize: 30 },
      {
        ...importDeps(),
        confirm: async (question) => {
          questions.push(question);
          return true;
        },
      },
    );
    expect(questions).toEqual(["An interrupted import of lib stopped after line 30. Resume it?"]);
    expect(summary.resumedFromLine).toBe(30);
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
    // Interrupted again, then discarded with --abort: the committed data is untouched, staging is gone.
    const again = new AbortController();
    await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, batchSize: 30, yes: true },
      { now: () => new Date(), signal: again.signal, onProgress: () => again.abort() },
    ).catch(() => undefined);
    const aborted = await runImportCli(["import", "--abort", "--to", db.url, "--json"]);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.json().discarded).toMatchObject({ snapshotName: "lib", lastLine: 30 });
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
    expect(await stagingExists(db)).toBe(false);
  });
});
