import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decompress } from "zstd-napi";
import { REDACTION_KEY_FILE, redactionKeyId } from "../../src/config/redaction-key.js";
import { generateLibrary } from "../../src/dataset/generate.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { runBooksnap } from "../helpers/cli.js";
import { readRecords, useLoadedSource } from "../helpers/export.js";
import { testDescription } from "../helpers/snapshot.js";

/**
 * Pseudonyms are keyed by a secret per-user key (or BOOKSNAP_REDACTION_KEY), never by a key
 * published in the code; the manifest names the key by an id, never by its value.
 */
describe("export: the redaction key", () => {
  const source = useLoadedSource({ users: 3, books: 6 }, "booksnap-rk-");

  async function exportWith(name: string, env: Record<string, string>) {
    const run = await runBooksnap(["export", "--name", name, "--json"], {
      cwd: source.work,
      env: { DEWEY_DB_DATABASE_URL_READONLY: source.db.url, ...env },
    });
    return { run, dataPath: join(source.work, "snapshots", `${name}.ndjson.zst`) };
  }
  const users = async (dataPath: string) => (await readRecords(dataPath)).User;

  it("differs between config directories and repeats within one", async () => {
    const dirA = join(source.work, "config-a");
    const dirB = join(source.work, "config-b");
    const a1 = await exportWith("a1", { BOOKSNAP_CONFIG_DIR: dirA });
    const a2 = await exportWith("a2", { BOOKSNAP_CONFIG_DIR: dirA });
    const b = await exportWith("b", { BOOKSNAP_CONFIG_DIR: dirB });
    for (const { run } of [a1, a2, b]) expect(run.code, run.stderr).toBe(0);
    const usersA1 = await users(a1.dataPath);
    expect(await users(a2.dataPath)).toEqual(usersA1);
    const emailsA = usersA1.map((u) => u.email);
    expect(emailsA.every((email) => String(email).endsWith("@example.invalid"))).toBe(true);
    expect((await users(b.dataPath)).map((u) => u.email)).not.toEqual(emailsA);
    // The same key id for a1 and a2, another for b: teammates can tell whether pseudonyms line up.
    const ids = [a1, a2, b].map((e) => JSON.parse(e.run.stdout).redaction.keyId);
    expect(ids[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it("records the key id, never the key, and inspect and list show the id", async () => {
    const configDir = join(source.work, "config-c");
    const { run } = await exportWith("c", { BOOKSNAP_CONFIG_DIR: configDir });
    expect(run.code, run.stderr).toBe(0);
    const key = (await readFile(join(configDir, REDACTION_KEY_FILE), "utf8")).trim();
    const manifest = JSON.parse(await readFile(join(source.work, "snapshots", "c.manifest.json"), "utf8"));
    expect(manifest.redaction.keyId).toBe(redactionKeyId(key));
    // No file the export wrote (snapshot, decompressed data, audit log) nor its output holds the key.
    const written: string[] = [run.stdout, run.stderr];
    for (const sub of ["snapshots", "logs"]) {
      for (const file of await readdir(join(source.work, sub))) {
        const bytes = await readFile(join(source.work, sub, file));
        written.push(bytes.toString("latin1"));
        if (file.endsWith(".zst")) written.push(decompress(bytes).toString("utf8"));
      }
    }
    for (const text of written) expect(text).not.toContain(key);

    const inspect = await runBooksnap(["inspect", join(source.work, "snapshots", "c")]);
    expect(inspect.stdout).toContain(`key id ${manifest.redaction.keyId}`);
    const list = await runBooksnap(["list", join(source.work, "snapshots"), "--json"]);
    const listed = JSON.parse(list.stdout).snapshots.find((s: { name: string }) => s.name === "c");
    expect(listed.redactionKeyId).toBe(manifest.redaction.keyId);
  });

  it("uses BOOKSNAP_REDACTION_KEY when set, and refuses an empty one (exit 2) before reading", async () => {
    const configDir = join(source.work, "config-env");
    const team = await exportWith("team", { BOOKSNAP_CONFIG_DIR: configDir, BOOKSNAP_REDACTION_KEY: "t34m" });
    expect(team.run.code, team.run.stderr).toBe(0);
    expect(JSON.parse(team.run.stdout).redaction.keyId).toBe(redactionKeyId("t34m"));
    await expect(readdir(configDir)).rejects.toMatchObject({ code: "ENOENT" });

    const empty = await exportWith("empty", { BOOKSNAP_CONFIG_DIR: configDir, BOOKSNAP_REDACTION_KEY: "" });
    expect(empty.run.code).toBe(2);
    expect(empty.run.stderr).toContain("E_REDACTION_KEY");
    expect(await readdir(join(source.work, "snapshots"))).not.toContain("empty.manifest.json");
  });

  it("defaults to $XDG_CONFIG_HOME/booksnap, which the test run points at a temporary directory", async () => {
    const configHome = process.env.XDG_CONFIG_HOME as string;
    expect(configHome.startsWith(tmpdir())).toBe(true);
    const { run } = await exportWith("default", {});
    expect(run.code, run.stderr).toBe(0);
    const key = (await readFile(join(configHome, "booksnap", REDACTION_KEY_FILE), "utf8")).trim();
    expect(JSON.parse(run.stdout).redaction.keyId).toBe(redactionKeyId(key));
  });

  it("still reads manifests written before the key id existed", async () => {
    const dir = join(source.work, "old");
    await writeSnapshot(
      dir,
      "old",
      generateLibrary({ users: 1, books: 1 }),
      testDescription({ redaction: { mode: "pseudonymised", fields: ["email"] } }),
    );
    const inspect = await runBooksnap(["inspect", join(dir, "old")]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain("key id not recorded");
    expect((await runBooksnap(["verify", join(dir, "old")])).code).toBe(0);
  });
});
