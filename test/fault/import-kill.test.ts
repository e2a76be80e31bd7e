import { describe, expect, it } from "vitest";
import { seededRandom } from "../../src/dataset/generate.js";
import { runBooksnap } from "../helpers/cli.js";
import { FaultProxy } from "./proxy.js";
import { startBooksnap } from "./spawn.js";
import {
  contentDump,
  extraSchemas,
  importArgs as importSnapshotArgs,
  makeSnapshot,
  useProxiedImportSuite,
  waitForNoSessions,
} from "./targets.js";

/**
 * Property: whatever byte of the import's traffic the process dies at (SIGKILL, no cleanup),
 * `import --resume` ends with exactly the snapshot's content: nothing lost, nothing twice, no
 * staging left. Kill points are drawn from a seeded PRNG over the byte range a clean import
 * sends; the proxy stalls the import at that byte so the kill lands exactly there.
 */
const SEED = 20_261_127;
/** Random kill points; one more is always placed in the last bytes (the final transaction). */
const ITERATIONS = 4;
const SHAPE = { users: 2, books: 120, listsPerUser: 3, entriesPerList: 8, seed: 9 };

const suite = useProxiedImportSuite("booksnap-kill-", SHAPE, ["--retry-delay", "20"]);
const { importArgs } = suite;

describe("import killed with SIGKILL at seeded random points, then resumed", () => {
  const random = seededRandom(SEED);
  const points = Array.from({ length: ITERATIONS }, () => 0.02 + random() * 0.96);
  // And one in the last few hundred bytes: the final transaction / cleanup.
  points.push(-1);

  it.each(points.map((fraction, i) => [i + 1, fraction] as const))(
    "kill #%i at %f of the import's traffic (-1: its last 300 bytes) → --resume gives exactly the snapshot",
    async (_n, fraction) => {
      const target = await suite.workspace.freshTarget();
      const before = await contentDump(target);
      const proxy = await FaultProxy.forUrl(target.url);
      try {
        const stalled = proxy.arm({
          direction: "toServer",
          afterBytes: fraction < 0 ? suite.toServer - 300 : Math.floor(suite.toServer * fraction),
          action: "stall",
        });
        const running = startBooksnap(importArgs(proxy.url(target.url)), { cwd: suite.workspace.work });
        const first = await Promise.race([
          stalled.then(() => "stalled" as const),
          running.done.then(() => "exited" as const),
        ]);
        if (first === "exited") {
          const early = await running.done;
          expect.fail(`import exited (code ${early.code}) before reaching the kill point:\n${early.stderr}`);
        }
        running.child.kill("SIGKILL");
        const killed = await running.done;
        expect(killed.signal).toBe("SIGKILL");
      } finally {
        await proxy.close();
      }
      await waitForNoSessions(target, "booksnap-import");
      // Never a mix: until the final transaction commits the visible data is the old data.
      const afterKill = await contentDump(target);
      expect([JSON.stringify(before), JSON.stringify(suite.expected)]).toContain(JSON.stringify(afterKill));

      const resumed = await runBooksnap(importArgs(target.url, ["--resume"]), { cwd: suite.workspace.work });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await contentDump(target)).toEqual(suite.expected);
      expect(await extraSchemas(target)).toEqual([]);
    },
  );
});

describe("an encrypted snapshot's import killed mid-staging", () => {
  it("resumes with the passphrase (decrypting from the start, skipping staged lines) to exactly the snapshot", async () => {
    const passphrase = "kill-test passphrase";
    const encrypted = await makeSnapshot(suite.workspace.work, "enc", SHAPE, undefined, {
      encryption: { passphrase },
    });
    const args = (url: string, extra: string[] = []) => importSnapshotArgs(encrypted, url, extra);
    const env = { BOOKSNAP_PASSPHRASE: passphrase };
    const target = await suite.workspace.freshTarget();
    const proxy = await FaultProxy.forUrl(target.url);
    try {
      const stalled = proxy.arm({
        direction: "toServer",
        afterBytes: Math.floor(suite.toServer * 0.5),
        action: "stall",
      });
      const running = startBooksnap(args(proxy.url(target.url)), { cwd: suite.workspace.work, env });
      const first = await Promise.race([
        stalled.then(() => "stalled" as const),
        running.done.then(() => "exited" as const),
      ]);
      if (first === "exited")
        expect.fail(`import exited before the kill point:\n${(await running.done).stderr}`);
      running.child.kill("SIGKILL");
      expect((await running.done).signal).toBe("SIGKILL");
    } finally {
      await proxy.close();
    }
    await waitForNoSessions(target, "booksnap-import");
    expect(await extraSchemas(target)).toEqual(["booksnap_staging"]);
    const resumed = await runBooksnap(args(target.url, ["--resume"]), { cwd: suite.workspace.work, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await contentDump(target)).toEqual(suite.expected);
    expect(await extraSchemas(target)).toEqual([]);
  });
});
