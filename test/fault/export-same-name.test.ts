import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { filesIn, useLoadedSource } from "../helpers/export.js";
import { FaultProxy } from "./proxy.js";
import { startBooksnap } from "./spawn.js";

/**
 * Two exports with the same --name, and an export killed outright. The early "already exists"
 * check runs before connecting, so two runs can both pass it: the final publication must still
 * never replace a snapshot (without --force). A SIGKILLed export leaves a temp file holding rows:
 * `list` shows it and the next export in that directory removes it.
 */

/** Sizes: ~200 books with long synopses ≈ 400 KB of rows, enough to stall well inside the Book stream. */
const LIBRARY = { users: 3, books: 200, seed: 7 };

const source = useLoadedSource(LIBRARY, "booksnap-same-name-");

const exportArgs = (name: string, out: string) => ["export", "--name", name, "--out", out, "--json"];

describe("same-name exports", () => {
  it("the export that finishes second fails with E_SNAPSHOT_EXISTS, replaces nothing and leaves nothing", async () => {
    const out = join(source.work, "race");
    const proxy = await FaultProxy.forUrl(source.db.url);
    try {
      // The first export is held mid-stream, after it passed the early existence check.
      const stalled = proxy.arm({ direction: "toClient", afterBytes: 150_000, action: "stall" });
      const first = runBooksnap(exportArgs("same", out), {
        cwd: source.work,
        env: { DEWEY_DB_DATABASE_URL_READONLY: proxy.url(source.db.url) },
      });
      await stalled;
      const second = await runBooksnap(exportArgs("same", out), {
        cwd: source.work,
        env: { DEWEY_DB_DATABASE_URL_READONLY: source.db.url },
      });
      expect(second.code, second.stderr).toBe(0);
      const winnerManifest = await readFile(join(out, "same.manifest.json"), "utf8");
      const winnerData = await readFile(join(out, "same.ndjson.zst"));

      proxy.release();
      const loser = await first;
      expect(loser.code, loser.stderr).toBe(2);
      expect(loser.stderr).toContain("[E_SNAPSHOT_EXISTS]");
      expect((await filesIn(out)).sort()).toEqual(["same.manifest.json", "same.ndjson.zst"]);
      expect(await readFile(join(out, "same.manifest.json"), "utf8")).toBe(winnerManifest);
      expect((await readFile(join(out, "same.ndjson.zst"))).equals(winnerData)).toBe(true);
      const verify = await runBooksnap(["verify", join(out, "same")]);
      expect(verify.code, verify.stderr).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it("--force still replaces: the later export's snapshot is the one on disk", async () => {
    const out = join(source.work, "forced");
    const env = { DEWEY_DB_DATABASE_URL_READONLY: source.db.url };
    const first = await runBooksnap(exportArgs("f", out), { cwd: source.work, env });
    expect(first.code, first.stderr).toBe(0);
    const firstManifest = JSON.parse(await readFile(join(out, "f.manifest.json"), "utf8"));
    const again = await runBooksnap([...exportArgs("f", out), "--force"], { cwd: source.work, env });
    expect(again.code, again.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, "f.manifest.json"), "utf8"));
    expect(manifest.createdAt > firstManifest.createdAt).toBe(true);
    expect((await filesIn(out)).sort()).toEqual(["f.manifest.json", "f.ndjson.zst"]);
    expect((await runBooksnap(["verify", join(out, "f")])).code).toBe(0);
  });
});

describe("an export killed with SIGKILL", () => {
  it("leaves a temp file that list shows and the next export in the directory removes; a live process's temp file stays", async () => {
    const out = join(source.work, "killed");
    const proxy = await FaultProxy.forUrl(source.db.url);
    try {
      const stalled = proxy.arm({ direction: "toClient", afterBytes: 150_000, action: "stall" });
      const running = startBooksnap(exportArgs("big", out), {
        cwd: source.work,
        env: { DEWEY_DB_DATABASE_URL_READONLY: proxy.url(source.db.url) },
      });
      await stalled;
      const temps = await waitForTempFile(out);
      running.child.kill("SIGKILL");
      const killed = await running.done;
      expect(killed.signal).toBe("SIGKILL");
      expect(await filesIn(out)).toEqual(temps);

      // A temp file whose process is alive (this test's) is being written: never removed.
      const live = `other.ndjson.zst.tmp-${process.pid}-${Date.now()}-abcdef`;
      await writeFile(join(out, live), "rows being written");

      const listed = await runBooksnap(["list", out, "--json"]);
      expect(listed.code, listed.stderr).toBe(0);
      const tempFiles = JSON.parse(listed.stdout).tempFiles as { path: string; state: string; pid: number }[];
      expect(tempFiles.map((t) => [t.path, t.state]).sort()).toEqual(
        [...temps.map((t) => [join(out, t), "abandoned"]), [join(out, live), "in-use"]].sort(),
      );
      expect(tempFiles.find((t) => t.state === "abandoned")?.pid).toBe(running.child.pid);
      const listedText = await runBooksnap(["list", out]);
      expect(listedText.stdout).toContain("ABANDONED");

      const next = await runBooksnap(exportArgs("next", out), {
        cwd: source.work,
        env: { DEWEY_DB_DATABASE_URL_READONLY: source.db.url },
      });
      expect(next.code, next.stderr).toBe(0);
      expect(JSON.parse(next.stdout).removedTempFiles).toEqual(temps.map((t) => join(out, t)));
      expect((await filesIn(out)).sort()).toEqual([live, "next.manifest.json", "next.ndjson.zst"].sort());
    } finally {
      await proxy.close();
    }
  });
});

/** The temp files in `dir` once there is at least one (the export creates its data file's first). */
async function waitForTempFile(dir: string): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const temps = (await readdir(dir).catch(() => [])).filter((n) => n.includes(".tmp-"));
    if (temps.length > 0) return temps;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no temp file appeared in ${dir}`);
}
