import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { FaultProxy } from "./proxy.js";
import { startBooksnap } from "./spawn.js";
import { contentDump, extraSchemas, sessionsOf, useProxiedImportSuite } from "./targets.js";

/**
 * Import under network faults and a DBA's pg_terminate_backend: transient failures are retried
 * on a new connection and the import completes with exactly the snapshot's content.
 */
const SHAPE = { users: 2, books: 120, listsPerUser: 3, entriesPerList: 8, seed: 21 };

const suite = useProxiedImportSuite("booksnap-inet-", SHAPE);
const { importArgs } = suite;

describe("import network faults", () => {
  it("a connection cut mid-batch (tool → server) is retried on a new connection and the import completes", async () => {
    const target = await suite.workspace.freshTarget();
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      const cut = proxy.arm({
        direction: "toServer",
        afterBytes: Math.floor(suite.toServer * 0.4),
        action: "cut",
      });
      const run = await runBooksnap(importArgs(proxy.url(target.url)), { cwd: suite.workspace.work });
      await cut;
      expect(proxy.cuts).toBe(1);
      expect(run.code, run.stderr).toBe(0);
      expect(proxy.connections).toBeGreaterThan(1);
      expect(await contentDump(target)).toEqual(suite.expected);
      expect(await extraSchemas(target)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("with retries exhausted (--max-retries 0) it stops with exit 3 and a resumable state; --resume completes exactly", async () => {
    const target = await suite.workspace.freshTarget();
    const before = await contentDump(target);
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      void proxy.arm({ direction: "toServer", afterBytes: Math.floor(suite.toServer * 0.5), action: "cut" });
      const run = await runBooksnap(importArgs(proxy.url(target.url), ["--max-retries", "0"]), {
        cwd: suite.workspace.work,
      });
      expect(proxy.cuts).toBe(1);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/\[E_CONNECTION_LOST\]|\[E_CONNECT/);
      expect(run.stderr).toContain("--resume");
      expect(await contentDump(target)).toEqual(before);
      expect(await extraSchemas(target)).toEqual(["booksnap_staging"]);
    } finally {
      await proxy.close();
    }
    const resumed = await runBooksnap(importArgs(target.url, ["--resume"]), { cwd: suite.workspace.work });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await contentDump(target)).toEqual(suite.expected);
    expect(await extraSchemas(target)).toEqual([]);
  });

  it("pg_terminate_backend of the booksnap-import session mid-batch: retried, completes with exact content", async () => {
    const target = await suite.workspace.freshTarget();
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      const stalled = proxy.arm({
        direction: "toServer",
        afterBytes: Math.floor(suite.toServer * 0.5),
        action: "stall",
      });
      const running = startBooksnap(importArgs(proxy.url(target.url)), { cwd: suite.workspace.work });
      await stalled;
      const pids = await sessionsOf(target, "booksnap-import");
      expect(pids.length).toBeGreaterThan(0);
      const terminated = await target.withClient(async (c) => {
        const { rows } = await c.query<{ ok: boolean }>(
          "SELECT pg_terminate_backend(pid) AS ok FROM unnest($1::int[]) pid",
          [pids],
        );
        return rows.every((r) => r.ok);
      });
      expect(terminated).toBe(true);
      proxy.release();
      const run = await running.done;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/retr/i);
      expect(await contentDump(target)).toEqual(suite.expected);
      expect(await extraSchemas(target)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("a connection cut while the loaded rows are read back for verification: retried, or exit 3 and --resume completes", async () => {
    const target = await suite.workspace.freshTarget();
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      void proxy.arm({
        direction: "toClient",
        afterBytes: Math.floor(suite.toClient * 0.8),
        action: "cut",
      });
      const run = await runBooksnap(importArgs(proxy.url(target.url)), { cwd: suite.workspace.work });
      expect(proxy.cuts).toBe(1);
      if (run.code !== 0) {
        expect(run.code, run.stderr).toBe(3);
        expect(run.stderr).toMatch(/resume/i);
        const resumed = await runBooksnap(importArgs(target.url, ["--resume"]), {
          cwd: suite.workspace.work,
        });
        expect(resumed.code, resumed.stderr).toBe(0);
      }
      expect(await contentDump(target)).toEqual(suite.expected);
      expect(await extraSchemas(target)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
