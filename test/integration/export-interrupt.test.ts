import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { InterruptedError } from "../../src/errors.js";
import { type ExportOptions, exportSnapshot } from "../../src/export/export.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { testConnection } from "../helpers/export.js";

/** A TCP listener that accepts and never answers: a server or network path that hangs the connect. */
async function blackHole(): Promise<{ url: string; connected: Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let onConnection: () => void = () => {};
  const connected = new Promise<void>((resolve) => {
    onConnection = resolve;
  });
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onConnection();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `postgresql://reader@127.0.0.1:${port}/books`,
    connected,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("Ctrl-C before any row is read (connect, schema check, counts) stops at once", () => {
  let db: TestDatabase;
  let dir: string;
  const options = (url: string, name: string): ExportOptions => ({
    // No timeouts: only the interruption can end these waits (the test times out otherwise).
    connection: { ...testConnection(url), connectTimeoutMs: 0, statementTimeoutMs: 0, lockTimeoutMs: 0 },
    outDir: dir,
    name,
    config: presetProjectConfig(),
    redactionKey: null,
  });

  const pause = () => new Promise((r) => setTimeout(r, 50));
  const exportSessions = (condition: string) =>
    db.withClient(async (c) => {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = 'booksnap-export' AND datname = $1 ${condition}`,
        [db.name],
      );
      return rows[0]?.n ?? 0;
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "booksnap-interrupt-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("while the connect hangs: InterruptedError, no files", async () => {
    const hole = await blackHole();
    try {
      const controller = new AbortController();
      const exporting = exportSnapshot(options(hole.url, "connect"), {
        now: () => new Date(),
        signal: controller.signal,
      }).catch((e: unknown) => e);
      await hole.connected;
      controller.abort();
      expect(await exporting).toBeInstanceOf(InterruptedError);
      expect((await readdir(dir)).filter((f) => f.startsWith("connect"))).toEqual([]);
    } finally {
      await hole.close();
    }
  });

  it("while a count waits on a lock: InterruptedError, no files, and the session goes away", async () => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    locker.on("error", () => {});
    try {
      await locker.query('BEGIN; LOCK TABLE "Book" IN ACCESS EXCLUSIVE MODE');
      const controller = new AbortController();
      const exporting = exportSnapshot(options(db.url, "counts"), {
        now: () => new Date(),
        signal: controller.signal,
      }).catch((e: unknown) => e);
      // Wait until the export's session is blocked behind the lock (seen from outside the
      // locking transaction, whose view of pg_stat_activity is frozen).
      while ((await exportSessions("AND wait_event_type = 'Lock'")) === 0) await pause();
      controller.abort();
      expect(await exporting).toBeInstanceOf(InterruptedError);
      expect((await readdir(dir)).filter((f) => f.startsWith("counts"))).toEqual([]);
    } finally {
      await locker.query("ROLLBACK").catch(() => {});
    }
    // Once the lock is gone the server notices the closed socket; nothing keeps reading.
    while ((await exportSessions("")) > 0) await pause();
    await locker.end();
  });

  it("booksnap export exits 130 with E_INTERRUPTED on SIGINT during the connect", async () => {
    const hole = await blackHole();
    try {
      const run = await runBooksnap(
        ["export", "--from-env", "SRC", "--connect-timeout", "0", "--name", "cli"],
        {
          cwd: dir,
          env: { SRC: hole.url },
          onSpawn: (child) => {
            void hole.connected.then(() => child.kill("SIGINT"));
          },
        },
      );
      expect(run.code).toBe(130);
      expect(run.stderr).toContain("[E_INTERRUPTED]");
      expect((await readdir(dir)).filter((f) => f.startsWith("cli"))).toEqual([]);
    } finally {
      await hole.close();
    }
  });
});
