import { readFileSync } from "node:fs";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  configDir,
  REDACTION_KEY_FILE,
  redactionKeyId,
  resolveRedactionKey,
} from "../../src/config/redaction-key.js";
import { keyedDigest } from "../../src/redact/pseudonym.js";

/** The redaction key: generated per user, kept private, never a constant of the code. */
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "booksnap-key-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const envFor = (dir: string) => ({ BOOKSNAP_CONFIG_DIR: dir });

describe("redaction key", () => {
  it("is generated on first use, 0600 in a 0700 directory, and reused afterwards", async () => {
    const dir = join(root, "a", "booksnap");
    const first = await resolveRedactionKey(envFor(dir));
    expect(first.source).toBe("file");
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, REDACTION_KEY_FILE))).mode & 0o777).toBe(0o600);
    const again = await resolveRedactionKey(envFor(dir));
    expect(again.key).toBe(first.key);
    // Nothing left over from the atomic creation.
    expect(await readdir(dir)).toEqual([REDACTION_KEY_FILE]);
  });

  it("differs between config directories, so pseudonyms cannot be precomputed", async () => {
    const a = await resolveRedactionKey(envFor(join(root, "a")));
    const b = await resolveRedactionKey(envFor(join(root, "b")));
    expect(a.key).not.toBe(b.key);
    expect(a.keyId).not.toBe(b.keyId);
    expect(keyedDigest(a.key, "User.email", "alice@example.com")).not.toBe(
      keyedDigest(b.key, "User.email", "alice@example.com"),
    );
  });

  it("ends with one key when several first runs race", async () => {
    const dir = join(root, "race");
    const keys = await Promise.all(Array.from({ length: 8 }, () => resolveRedactionKey(envFor(dir))));
    expect(new Set(keys.map((k) => k.key)).size).toBe(1);
    expect(readFileSync(join(dir, REDACTION_KEY_FILE), "utf8").trim()).toBe(keys[0]?.key);
  });

  it("takes BOOKSNAP_REDACTION_KEY first, creates no file then, and refuses an empty one", async () => {
    const dir = join(root, "env");
    const key = await resolveRedactionKey({ ...envFor(dir), BOOKSNAP_REDACTION_KEY: "team-secret" });
    expect(key).toEqual({ key: "team-secret", keyId: redactionKeyId("team-secret"), source: "env" });
    await expect(lstat(dir)).rejects.toMatchObject({ code: "ENOENT" });
    for (const empty of ["", "  "]) {
      await expect(
        resolveRedactionKey({ ...envFor(dir), BOOKSNAP_REDACTION_KEY: empty }),
      ).rejects.toMatchObject({
        code: "E_REDACTION_KEY",
        exitCode: 2,
      });
    }
  });

  it("has an id that is an HMAC under the key, not a plain hash, and never the key", async () => {
    const id = redactionKeyId("k");
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(id).not.toBe(redactionKeyId("k2"));
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update("k").digest("hex")).not.toContain(id);
  });

  describe("refuses a suspicious key file", () => {
    const key = `${"ab".repeat(32)}\n`;
    const cases: Array<[string, (dir: string, path: string) => Promise<void>, RegExp]> = [
      [
        "a symbolic link",
        async (dir, path) => {
          await writeFile(join(dir, "elsewhere"), key, { mode: 0o600 });
          await symlink(join(dir, "elsewhere"), path);
        },
        /symbolic link/,
      ],
      ["a directory", (_dir, path) => mkdir(path), /not a regular file/],
      [
        "readable by the group",
        async (_dir, path) => {
          await writeFile(path, key, { mode: 0o600 });
          await chmod(path, 0o640);
        },
        /readable or writable by others/,
      ],
      [
        "readable by everyone",
        async (_dir, path) => {
          await writeFile(path, key, { mode: 0o600 });
          await chmod(path, 0o604);
        },
        /readable or writable by others/,
      ],
      ["malformed", (_dir, path) => writeFile(path, "secret\n", { mode: 0o600 }), /malformed/],
      ["empty", (_dir, path) => writeFile(path, "", { mode: 0o600 }), /malformed/],
    ];
    for (const [name, make, message] of cases) {
      it(name, async () => {
        const dir = join(root, "bad");
        await mkdir(dir, { mode: 0o700 });
        const path = join(dir, REDACTION_KEY_FILE);
        await make(dir, path);
        const before = await lstat(path);
        await expect(resolveRedactionKey(envFor(dir))).rejects.toMatchObject({
          code: "E_REDACTION_KEY",
          exitCode: 2,
          message: expect.stringMatching(message),
        });
        // Left as it was: the user decides what to do with it.
        expect((await lstat(path)).mode).toBe(before.mode);
        if (before.isFile()) expect(await readFile(path, "utf8")).not.toBe(undefined);
      });
    }
  });

  it("lives in $BOOKSNAP_CONFIG_DIR, else $XDG_CONFIG_HOME/booksnap, else ~/.config/booksnap", () => {
    expect(configDir({ BOOKSNAP_CONFIG_DIR: "/c", XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/c");
    expect(configDir({ XDG_CONFIG_HOME: "/x", HOME: "/h" })).toBe("/x/booksnap");
    expect(configDir({ HOME: "/h" })).toBe("/h/.config/booksnap");
  });
});
