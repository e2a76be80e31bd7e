import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { FaultProxy } from "./proxy.js";
import { contentDump, extraSchemas, useProxiedImportSuite } from "./targets.js";

/**
 * Import under network faults outside the staging batches: a connection lost while the target's
 * schema is checked (or while the loaded rows are read back) is a connection error, exit 3, with
 * the --resume hint; never "unexpected".
 */
const SHAPE = { users: 2, books: 120, listsPerUser: 3, entriesPerList: 8, seed: 21 };

const suite = useProxiedImportSuite("booksnap-inet-", SHAPE);
const { importArgs } = suite;

describe("import network faults outside the staging batches", () => {
  it("a connection cut before staging (lock, schema check, dev user) stops with a connection error (exit 3), nothing written", async () => {
    const target = await suite.workspace.freshTarget();
    const before = await contentDump(target);
    // Where the schema check's replies fall depends on the server (its startup messages differ
    // between versions): cut at a range of points before staging, each one a separate run.
    const phases: string[] = [];
    for (let afterBytes = 500; afterBytes <= suite.toClient; afterBytes += 500) {
      const proxy = await FaultProxy.forUrl(target.url);
      try {
        void proxy.arm({ direction: "toClient", afterBytes, action: "cut" });
        const run = await runBooksnap(importArgs(proxy.url(target.url)), { cwd: suite.workspace.work });
        expect(proxy.cuts).toBe(1);
        // Staging started: from here on the batches retry (covered in import-network.test.ts).
        if (/batch \d+/.test(run.stderr) || run.code === 0) break;
        expect(run.code, run.stderr).toBe(3);
        const code = /\[(E_[A-Z_]+)\]/.exec(run.stderr)?.[1];
        expect(["E_CONNECT", "E_CONNECTION_LOST"], run.stderr).toContain(code);
        if (code === "E_CONNECTION_LOST") expect(run.stderr).toMatch(/--resume/);
        phases.push(/\] ([^:]+)/.exec(run.stderr)?.[1] ?? "");
      } finally {
        await proxy.close();
      }
      expect(await contentDump(target)).toEqual(before);
      expect(await extraSchemas(target)).toEqual([]);
    }
    expect(phases.some((p) => p.startsWith("Checking the target's schema failed"))).toBe(true);
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
