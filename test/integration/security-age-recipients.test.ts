import { execFileSync, spawnSync } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decompress } from "zstd-napi";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { sha256Hex } from "../../src/snapshot/canonical.js";
import { type SnapshotManifest, signManifest } from "../../src/snapshot/manifest.js";
import { contentDump, createPreparedTarget } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/** The age CLI (Debian package `age`, installed by .ci/run) proves the files are standard age. */
function requireAgeCli(): void {
  const probe = spawnSync("age", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "The 'age' command is missing: install it (apt-get install -y age) to run the interop tests",
    );
  }
}

const FIXTURES = join(import.meta.dirname, "..", "fixtures");

describe("export --recipient: encryption for teammates' age public keys", () => {
  let db: TestDatabase;
  let dir: string;
  let base: string;
  const key = (name: string) => join(dir, "keys", name);
  const publicKeys: Record<string, string> = {};
  const outputs: string[] = [];

  beforeAll(async () => {
    requireAgeCli();
    db = await createTestDatabase();
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 30, seed: 7 })));
    dir = await mkdtemp(join(tmpdir(), "booksnap-age-"));
    for (const name of ["alice", "bob", "mallory"]) {
      const run = await runBooksnap(["keygen", "--out", key(`${name}.txt`), "--json"], { cwd: dir });
      outputs.push(run.stdout, run.stderr);
      expect(run.code, run.stderr).toBe(0);
      publicKeys[name] = JSON.parse(run.stdout).publicKey;
    }
    await writeFile(join(dir, "team.txt"), `# the team\n${publicKeys.bob}\n\n`);
    const run = await runBooksnap(
      ["export", "--name", "team", "--recipient", String(publicKeys.alice), "--recipients-file", "team.txt"],
      { cwd: dir, env: { DEWEY_DB_DATABASE_URL_READONLY: db.url } },
    );
    outputs.push(run.stdout, run.stderr);
    expect(run.code, run.stderr).toBe(0);
    base = join(dir, "snapshots", "team");
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the manifest names the recipients' public keys, and nothing secret", async () => {
    const text = await readFile(`${base}.manifest.json`, "utf8");
    expect(JSON.parse(text).data.encryption).toEqual({
      scheme: "age",
      mode: "recipients",
      recipients: [publicKeys.alice, publicKeys.bob],
    });
    expect(text).not.toMatch(/AGE-SECRET-KEY/i);
    const inspect = await runBooksnap(["inspect", base]);
    expect(inspect.stdout).toContain(String(publicKeys.bob));
  });

  it("each recipient verifies and imports with their own identity", async () => {
    for (const name of ["alice", "bob"]) {
      const ok = await runBooksnap(["verify", base, "--identity", key(`${name}.txt`)]);
      outputs.push(ok.stdout, ok.stderr);
      expect(ok.code, `${name}: ${ok.stderr}`).toBe(0);
    }
    const target = await createPreparedTarget();
    try {
      const ok = await runBooksnap([
        "import",
        base,
        "--to",
        target.url,
        "--yes",
        "--identity",
        key("bob.txt"),
      ]);
      outputs.push(ok.stdout, ok.stderr);
      expect(ok.code, ok.stderr).toBe(0);
      const titles = (d: TestDatabase) =>
        d.withClient(async (c) => (await c.query('SELECT title FROM "Book" ORDER BY isbn13')).rows);
      expect(await titles(target)).toEqual(await titles(db));
    } finally {
      await target.drop();
    }
  });

  it("the default identity is $XDG_CONFIG_HOME/booksnap/key.txt", async () => {
    const config = join(dir, "config");
    await mkdir(join(config, "booksnap"), { recursive: true });
    await writeFile(join(config, "booksnap", "key.txt"), await readFile(key("alice.txt")));
    const ok = await runBooksnap(["verify", base], { env: { XDG_CONFIG_HOME: config } });
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("refuses an identity that is not a recipient (exit 4, E_DECRYPT) and a missing one (exit 2, E_NO_IDENTITY); import changes nothing", async () => {
    const wrong = await runBooksnap(["verify", base, "--identity", key("mallory.txt")]);
    outputs.push(wrong.stdout, wrong.stderr);
    expect(wrong.code, wrong.stderr).toBe(4);
    expect(wrong.stderr).toContain("[E_DECRYPT]");
    const none = await runBooksnap(["verify", base], { env: { XDG_CONFIG_HOME: join(dir, "nowhere") } });
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain("[E_NO_IDENTITY]");
    const target = await createPreparedTarget();
    try {
      const before = await contentDump(target);
      const run = await runBooksnap([
        "import",
        base,
        "--to",
        target.url,
        "--yes",
        "--identity",
        key("mallory.txt"),
      ]);
      expect(run.code, run.stderr).toBe(4);
      expect(await contentDump(target)).toEqual(before);
    } finally {
      await target.drop();
    }
  });

  it("refuses a malformed recipient or a private key given as one (exit 2, E_RECIPIENT), without echoing it", async () => {
    const secret = (await readFile(key("alice.txt"), "utf8"))
      .split("\n")
      .find((l) => l.startsWith("AGE-SECRET"));
    for (const value of ["age1notakey", String(secret)]) {
      const run = await runBooksnap(["export", "--name", "bad", "--recipient", value], {
        cwd: dir,
        env: { DEWEY_DB_DATABASE_URL_READONLY: db.url },
      });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain("[E_RECIPIENT]");
      expect(run.stderr).not.toContain(String(secret));
    }
  });

  it("`age -d` (the age CLI) decrypts booksnap's data file to the zstd data", async () => {
    const plain = execFileSync("age", ["-d", "-i", key("alice.txt"), `${base}.ndjson.zst`]);
    const lines = decompress(plain).toString("utf8").trimEnd().split("\n");
    const manifest = JSON.parse(await readFile(`${base}.manifest.json`, "utf8")) as SnapshotManifest;
    expect(lines).toHaveLength(manifest.data.lines);
    expect((JSON.parse(lines[0] as string) as unknown[])[0]).toBe("User"); // format 2: ["<table>",<row>]
  });

  it("data encrypted by the age CLI (age -r) is readable by booksnap", async () => {
    const zstd = execFileSync("age", ["-d", "-i", key("bob.txt"), `${base}.ndjson.zst`]);
    const sub = join(dir, "by-age-cli");
    await mkdir(sub);
    const sealed = execFileSync("age", ["-r", String(publicKeys.bob), "-o", "-"], { input: zstd });
    await writeFile(join(sub, "team.ndjson.zst"), sealed);
    const manifest = JSON.parse(await readFile(`${base}.manifest.json`, "utf8")) as SnapshotManifest;
    const { manifestChecksum: _old, ...unsigned } = manifest;
    const resigned = signManifest({
      ...unsigned,
      data: {
        ...unsigned.data,
        bytes: sealed.length,
        sha256: sha256Hex(sealed),
        encryption: { scheme: "age", mode: "recipients", recipients: [String(publicKeys.bob)] },
      },
    });
    await writeFile(join(sub, "team.manifest.json"), JSON.stringify(resigned));
    const ok = await runBooksnap(["verify", join(sub, "team"), "--identity", key("bob.txt")]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("never prints an identity", async () => {
    const secrets = [];
    for (const name of ["alice", "bob", "mallory"]) {
      secrets.push(
        ...(await readFile(key(`${name}.txt`), "utf8")).split("\n").filter((l) => l.startsWith("AGE-")),
      );
    }
    expect(secrets).toHaveLength(3);
    for (const text of outputs) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/AGE-SECRET-KEY/i);
    }
  });
});

describe("booksnap keygen", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "booksnap-keygen-"));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes $XDG_CONFIG_HOME/booksnap/key.txt (0600, dir 0700) in age-keygen format and prints only the public key", async () => {
    const config = join(dir, "config");
    const run = await runBooksnap(["keygen"], { env: { XDG_CONFIG_HOME: config } });
    expect(run.code, run.stderr).toBe(0);
    const path = join(config, "booksnap", "key.txt");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(config, "booksnap"))).mode & 0o777).toBe(0o700);
    const text = await readFile(path, "utf8");
    const publicKey = /^# public key: (age1[0-9a-z]+)$/m.exec(text)?.[1];
    expect(run.stdout).toContain(`Public key: ${publicKey}`);
    expect(run.stdout + run.stderr).not.toMatch(/AGE-SECRET-KEY/i);
    // The age CLI agrees on the public key of this identity.
    requireAgeCli();
    const sealed = execFileSync("age", ["-r", String(publicKey)], { input: "hello" });
    expect(execFileSync("age", ["-d", "-i", path], { input: sealed }).toString()).toBe("hello");
  });

  it("never overwrites an existing key, nor writes through a symlink (exit 2, E_KEY_EXISTS)", async () => {
    const path = join(dir, "mine.txt");
    expect((await runBooksnap(["keygen", "--out", path])).code).toBe(0);
    const before = await readFile(path, "utf8");
    const again = await runBooksnap(["keygen", "--out", path]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("[E_KEY_EXISTS]");
    expect(await readFile(path, "utf8")).toBe(before);
    const victim = join(dir, "victim.txt");
    await writeFile(victim, "unchanged");
    await symlink(victim, join(dir, "link.txt"));
    const viaLink = await runBooksnap(["keygen", "--out", join(dir, "link.txt")]);
    expect(viaLink.code).toBe(2);
    expect(await readFile(victim, "utf8")).toBe("unchanged");
    expect((await lstat(join(dir, "link.txt"))).isSymbolicLink()).toBe(true);
  });
});

describe("snapshots encrypted by the retired AES-GCM writer still verify and import", () => {
  const fixture = join(FIXTURES, "legacy-aes-gcm-encrypted");
  const env = { BOOKSNAP_PASSPHRASE: "legacy-fixture-passphrase" };

  it("verify (exit 0), and a wrong passphrase is E_DECRYPT (exit 4)", async () => {
    const ok = await runBooksnap(["verify", fixture], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const wrong = await runBooksnap(["verify", fixture], { env: { BOOKSNAP_PASSPHRASE: "nope" } });
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain("[E_DECRYPT]");
  });

  it("import", async () => {
    const target = await createPreparedTarget();
    try {
      const run = await runBooksnap(["import", fixture, "--to", target.url, "--yes"], { env });
      expect(run.code, run.stderr).toBe(0);
      const books = await target.withClient(
        async (c) => (await c.query('SELECT count(*)::int AS n FROM "Book"')).rows[0].n,
      );
      expect(books).toBe(3);
    } finally {
      await target.drop();
    }
  });
});
