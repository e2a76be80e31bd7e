import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { FaultProxy } from "./proxy.js";
import { startBooksnap } from "./spawn.js";
import { contentDump, extraSchemas, sessionsOf, useProxiedImportSuite } from "./targets.js";

/**
 * Import under network faults and a DBA's pg_terminate_backend: transient failures are retried
 * on a new connection and the import completes with exactly the snapshot's content. Each fault
 * lands at a known step (the proxy acts when a given statement is sent), so each test has one
 * right outcome; a retry shows as its warning and as exactly one connection more than a clean
 * import opens.
 */
const SHAPE = { users: 2, books: 120, listsPerUser: 3, entriesPerList: 8, seed: 21 };
/** The checkpoint update that ends every staging batch (load-staging.ts): its N-th send is batch N's. */
const BATCH_CHECKPOINT = "SET last_line = $1";
/** 25-line batches (importArgs): batch 3 covers lines 51-75. */
const BATCH = 3;

const suite = useProxiedImportSuite("booksnap-inet-", SHAPE);
const { importArgs } = suite;

describe("import network faults", () => {
  it("a connection cut as batch 3 commits its checkpoint: the batch is retried on a new connection, exact content", async () => {
    const target = await suite.workspace.freshTarget();
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      void proxy.arm({ direction: "toServer", whenSent: BATCH_CHECKPOINT, occurrence: BATCH, action: "cut" });
      const run = await runBooksnap(importArgs(proxy.url(target.url), ["--json"]), {
        cwd: suite.workspace.work,
      });
      expect(proxy.cuts).toBe(1);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain(`batch ${BATCH} failed`);
      expect(run.stderr).toContain("retry 1 of 3");
      expect(JSON.parse(run.stdout).retried).toBe(1);
      expect(proxy.connections).toBe(suite.connections + 1);
      expect(await contentDump(target)).toEqual(suite.expected);
      expect(await extraSchemas(target)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("with retries exhausted (--max-retries 0) it stops with exit 3 at batch 3; --resume continues from line 50 exactly", async () => {
    const target = await suite.workspace.freshTarget();
    const before = await contentDump(target);
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      void proxy.arm({ direction: "toServer", whenSent: BATCH_CHECKPOINT, occurrence: BATCH, action: "cut" });
      const run = await runBooksnap(importArgs(proxy.url(target.url), ["--max-retries", "0"]), {
        cwd: suite.workspace.work,
      });
      expect(proxy.cuts).toBe(1);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain("[E_CONNECTION_LOST]");
      expect(run.stderr).toContain("--resume");
      expect(await contentDump(target)).toEqual(before);
      expect(await extraSchemas(target)).toEqual(["booksnap_staging"]);
      const checkpoint = await target.withClient(
        async (c) => (await c.query("SELECT last_line, batches FROM booksnap_staging.checkpoint")).rows[0],
      );
      expect(checkpoint).toEqual({ last_line: 50, batches: 2 });
    } finally {
      await proxy.close();
    }
    const resumed = await runBooksnap(importArgs(target.url, ["--resume", "--json"]), {
      cwd: suite.workspace.work,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).resumedFromLine).toBe(50);
    expect(await contentDump(target)).toEqual(suite.expected);
    expect(await extraSchemas(target)).toEqual([]);
  });

  it("pg_terminate_backend of the booksnap-import session during batch 3: retried, completes with exact content", async () => {
    const target = await suite.workspace.freshTarget();
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      const stalled = proxy.arm({
        direction: "toServer",
        whenSent: BATCH_CHECKPOINT,
        occurrence: BATCH,
        action: "stall",
      });
      const running = startBooksnap(importArgs(proxy.url(target.url)), { cwd: suite.workspace.work });
      await stalled;
      const pids = await sessionsOf(target, "booksnap-import");
      expect(pids).toHaveLength(1);
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
      expect(run.stderr).toContain(`batch ${BATCH} failed`);
      expect(run.stderr).toContain("retry 1 of 3");
      expect(proxy.connections).toBe(suite.connections + 1);
      expect(await contentDump(target)).toEqual(suite.expected);
      expect(await extraSchemas(target)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
