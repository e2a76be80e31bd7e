import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { expectNothingLeft, filesIn, useLoadedSource } from "../helpers/export.js";
import { FaultProxy } from "./proxy.js";

/**
 * Export under network faults: the connection cut mid-stream, the session killed by a DBA
 * (pg_terminate_backend). The export is one consistent read, so it cannot resume: it must stop
 * with a clear connection error (exit 3) and leave no file at all (no data, manifest or temp
 * file); running it again gives a verifiable snapshot.
 */

/** Sizes: ~200 books with long synopses ≈ 400 KB of rows, enough to cut well inside the Book stream. */
const LIBRARY = { users: 3, books: 200, seed: 7 };

const source = useLoadedSource(LIBRARY, "booksnap-export-faults-");

/** Runs the CLI export through the proxy; returns the run and the snapshot directory's listing. */
async function exportThrough(proxy: FaultProxy, name: string) {
  const out = join(source.work, name);
  const run = await runBooksnap(["export", "--name", name, "--out", out], {
    cwd: source.work,
    env: { DEWEY_DB_DATABASE_URL_READONLY: proxy.url(source.db.url) },
  });
  return { run, out, files: await filesIn(out) };
}

describe("export faults", () => {
  it("a connection cut mid-stream stops the export with a connection error (exit 3) and no partial snapshot", async () => {
    const proxy = await FaultProxy.forUrl(source.db.url);
    try {
      const cut = proxy.arm({ direction: "toClient", afterBytes: 150_000, action: "cut" });
      const { run, out, files } = await exportThrough(proxy, "cut");
      await cut;
      expect(proxy.cuts).toBe(1);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/\[E_[A-Z_]+\]/);
      expect(run.stderr).toMatch(/connection|terminated|lost/i);
      expectNothingLeft(files);
      // Running it again (what the message tells the user to do) produces a verifiable snapshot.
      const again = await exportThrough(proxy, "cut");
      expect(again.run.code, again.run.stderr).toBe(0);
      const verify = await runBooksnap(["verify", join(out, "cut")]);
      expect(verify.code).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it("pg_terminate_backend of the booksnap-export session mid-stream: exit 3, no partial snapshot", async () => {
    const proxy = await FaultProxy.forUrl(source.db.url);
    try {
      // Stall the stream mid-Book so the session is certainly busy exporting when it is killed.
      const stalled = proxy.arm({ direction: "toClient", afterBytes: 150_000, action: "stall" });
      const pending = exportThrough(proxy, "terminated");
      await stalled;
      const killed = await source.db.withClient(async (c) => {
        const { rows } = await c.query<{ ok: boolean }>(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'booksnap-export' AND datname = current_database()",
        );
        return rows;
      });
      expect(killed).toEqual([{ ok: true }]);
      proxy.release();
      const { run, files } = await pending;
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/\[E_[A-Z_]+\]/);
      expectNothingLeft(files);
    } finally {
      await proxy.close();
    }
  });
});
