import { mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appendToPrivateFile,
  createPrivateFile,
  publishWithoutReplacing,
} from "../../src/fs/private-file.js";

/** The one helper for files booksnap writes: exclusive 0600 creation, safe append, no-replace publish. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "booksnap-private-file-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("private files", () => {
  it("a new file is 0600 whatever the umask (one that would leave 0400 here)", async () => {
    const saved = process.umask(0o277);
    try {
      const handle = await createPrivateFile(join(dir, "new"));
      await handle.close();
    } finally {
      process.umask(saved);
    }
    expect((await stat(join(dir, "new"))).mode & 0o777).toBe(0o600);
  });

  it("never opens an existing name: a file or a (dangling) link fails with EEXIST", async () => {
    await writeFile(join(dir, "existing"), "keep");
    await expect(createPrivateFile(join(dir, "existing"))).rejects.toMatchObject({ code: "EEXIST" });
    await symlink(join(dir, "nowhere"), join(dir, "dangling"));
    await expect(createPrivateFile(join(dir, "dangling"))).rejects.toMatchObject({ code: "EEXIST" });
    await expect(stat(join(dir, "nowhere"))).rejects.toThrow();
    expect(await readFile(join(dir, "existing"), "utf8")).toBe("keep");
  });

  it("appends to a regular file of ours; refuses a link (E_UNSAFE_FILE) and leaves its target alone", async () => {
    await appendToPrivateFile(join(dir, "log"), "one\n");
    await appendToPrivateFile(join(dir, "log"), "two\n");
    expect(await readFile(join(dir, "log"), "utf8")).toBe("one\ntwo\n");
    await writeFile(join(dir, "victim"), "victim\n");
    await symlink(join(dir, "victim"), join(dir, "log-link"));
    await expect(appendToPrivateFile(join(dir, "log-link"), "x\n")).rejects.toMatchObject({
      code: "E_UNSAFE_FILE",
      exitCode: 9,
    });
    expect(await readFile(join(dir, "victim"), "utf8")).toBe("victim\n");
  });

  it("publishing without replacing: a taken name stays as it was, and the caller keeps its temp file", async () => {
    await writeFile(join(dir, "final"), "winner");
    await writeFile(join(dir, "temp"), "loser");
    expect(await publishWithoutReplacing(join(dir, "temp"), join(dir, "final"))).toBe(false);
    expect(await readFile(join(dir, "final"), "utf8")).toBe("winner");
    expect(await readFile(join(dir, "temp"), "utf8")).toBe("loser");
    expect(await publishWithoutReplacing(join(dir, "temp"), join(dir, "free"))).toBe(true);
    expect(await readFile(join(dir, "free"), "utf8")).toBe("loser");
    await expect(stat(join(dir, "temp"))).rejects.toThrow();
  });
});
