import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WrittenSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { runBooksnap } from "../helpers/cli.js";
import { FaultProxy } from "./proxy.js";
import { startBooksnap } from "./spawn.js";
import { contentDump, extraSchemas, FaultWorkspace, importArgs, makeSnapshot } from "./targets.js";

/**
 * Two imports into one database at once: the first holds the import lock (the proxy keeps it
 * stalled mid-import so the overlap is certain, not a race); the second fails at once with a
 * clear conflict (exit 8) and writes nothing; the first then completes untouched.
 */
let workspace: FaultWorkspace;
let first: WrittenSnapshot;
let second: WrittenSnapshot;
let expectedFirst: Record<string, string[]>;

beforeAll(async () => {
  workspace = await FaultWorkspace.create("booksnap-conc-");
  first = await makeSnapshot(workspace.work, "first", { users: 1, books: 80, seed: 31 });
  second = await makeSnapshot(workspace.work, "second", { users: 1, books: 30, seed: 32 });
  const reference = await workspace.freshTarget();
  const run = await runBooksnap(importArgs(first, reference.url), { cwd: workspace.work });
  expect(run.code, run.stderr).toBe(0);
  expectedFirst = await contentDump(reference);
});
afterAll(() => workspace?.dispose());

describe("concurrent imports into one database", () => {
  it.each([
    ["the same snapshot", () => first],
    ["a different snapshot", () => second],
  ])(
    "a second import of %s fails clearly (exit 8) while the first proceeds to the right content",
    async (_label, other) => {
      const target = await workspace.freshTarget();
      const proxy = await FaultProxy.forUrl(target.url);
      try {
        const stalled = proxy.arm({ direction: "toServer", afterBytes: 60_000, action: "stall" });
        const running = startBooksnap(importArgs(first, proxy.url(target.url)), { cwd: workspace.work });
        await stalled;
        const beforeSecond = await contentDump(target);
        const rival = await runBooksnap(importArgs(other(), target.url), { cwd: workspace.work });
        expect(rival.code, rival.stderr).toBe(8);
        expect(rival.stderr).toContain("[E_IMPORT_LOCKED]");
        expect(rival.stderr).toMatch(/another booksnap import/i);
        expect(await contentDump(target)).toEqual(beforeSecond);
        proxy.release();
        const done = await running.done;
        expect(done.code, done.stderr).toBe(0);
        expect(await contentDump(target)).toEqual(expectedFirst);
        expect(await extraSchemas(target)).toEqual([]);
      } finally {
        await proxy.close();
      }
    },
  );
});
