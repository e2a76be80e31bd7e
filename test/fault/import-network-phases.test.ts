import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { FaultProxy } from "./proxy.js";
import { contentDump, extraSchemas, useProxiedImportSuite } from "./targets.js";

/**
 * Import under network faults outside the staging batches. Before staging, a lost connection
 * is a connection error (exit 3) naming the step, never "unexpected", and nothing is written;
 * in the final transaction it is retried as a whole. Each cut lands as a known statement is
 * sent (the proxy's `whenSent`), so each case has exactly one right outcome.
 */
const SHAPE = { users: 2, books: 120, listsPerUser: 3, entriesPerList: 8, seed: 21 };

const suite = useProxiedImportSuite("booksnap-inet-", SHAPE);
const { importArgs } = suite;

/** A statement of each step before staging (import.ts), and the step the error must name. */
const STEPS_BEFORE_STAGING: Array<[string, string]> = [
  ["pg_try_advisory_lock", "Taking the import lock failed"],
  ["c.relkind IN ('r', 'p')", "Checking the target's schema failed"],
  ['AS email FROM "public"."User"', "Looking up the dev user failed"],
  ["SELECT 1 FROM pg_namespace WHERE nspname", "Checking for an interrupted import failed"],
  ["FROM pg_constraint c WHERE c.contype", "Counting the dev user's rows failed"],
];

describe("import network faults outside the staging batches", () => {
  it.each(STEPS_BEFORE_STAGING)(
    "a connection cut as %j is sent stops with exit 3 E_CONNECTION_LOST (%s), nothing written",
    async (statement, step) => {
      const target = await suite.workspace.freshTarget();
      const before = await contentDump(target);
      const proxy = await FaultProxy.forUrl(target.url);
      try {
        void proxy.arm({ direction: "toServer", whenSent: statement, action: "cut" });
        const run = await runBooksnap(importArgs(proxy.url(target.url)), { cwd: suite.workspace.work });
        expect(proxy.cuts).toBe(1);
        expect(run.code, run.stderr).toBe(3);
        expect(run.stderr).toContain(`[E_CONNECTION_LOST] ${step}`);
        expect(run.stderr).toContain("--resume");
      } finally {
        await proxy.close();
      }
      expect(await contentDump(target)).toEqual(before);
      expect(await extraSchemas(target)).toEqual([]);
    },
  );

  it("a connection cut as the loaded rows are read back for verification: the final transaction is retried, exact content", async () => {
    const target = await suite.workspace.freshTarget();
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      // The query that reads the imported rows back and checks their references (verify-import.ts).
      void proxy.arm({ direction: "toServer", whenSent: "reference check failed", action: "cut" });
      const run = await runBooksnap(importArgs(proxy.url(target.url), ["--json"]), {
        cwd: suite.workspace.work,
      });
      expect(proxy.cuts).toBe(1);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain("final transaction failed");
      expect(run.stderr).toContain("retry 1 of 3");
      expect(JSON.parse(run.stdout).retried).toBe(1);
      expect(proxy.connections).toBe(suite.connections + 1);
      expect(await contentDump(target)).toEqual(suite.expected);
      expect(await extraSchemas(target)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
