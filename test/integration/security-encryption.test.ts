import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { sha256Hex } from "../../src/snapshot/canonical.js";
import { type SnapshotManifest, signManifest } from "../../src/snapshot/manifest.js";
import { contentDump, createPreparedTarget, extraSchemas } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const PASSPHRASE = "tr0ub4dor&3-shared-with-the-team";

describe("export --encrypt (age passphrase, scrypt) for one-off sharing; verify and import decrypt transparently", () => {
  let db: TestDatabase;
  let dir: string;
  let base: string;
  const outputs: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 2, books: 25, seed: 11 })));
    dir = await mkdtemp(join(tmpdir(), "booksnap-enc-e2e-"));
    const run = await runBooksnap(["export", "--name", "shared", "--encrypt", "--json"], {
      cwd: dir,
      env: { DEWEY_DB_DATABASE_URL_READONLY: db.url, BOOKSNAP_PASSPHRASE: PASSPHRASE },
    });
    outputs.push(run.stdout, run.stderr);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    base = join(dir, "snapshots", "shared");
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes an encrypted, 0600 data file whose manifest describes the encryption without any secret", async () => {
    const data = await readFile(`${base}.ndjson.zst`);
    // A standard age file with age's scrypt recipient at the age CLI's default work factor.
    expect(data.toString("latin1")).toMatch(/^age-encryption\.org\/v1\n-> scrypt \S{22} 18\n/);
    expect((await stat(`${base}.ndjson.zst`)).mode & 0o777).toBe(0o600);
    const manifestText = await readFile(`${base}.manifest.json`, "utf8");
    const manifest = JSON.parse(manifestText);
    expect(manifest.data.encryption).toEqual({ scheme: "age", mode: "passphrase" });
    expect(manifestText).not.toContain(PASSPHRASE);
    // A book title from the source must not be readable in the file (it is not even compressed plaintext).
    const title = await db.withClient(
      async (c) => (await c.query('SELECT title FROM "Book" LIMIT 1')).rows[0].title,
    );
    expect(data.includes(Buffer.from(String(title)))).toBe(false);
  });

  it("verify with the passphrase in BOOKSNAP_PASSPHRASE (or a named variable) succeeds", async () => {
    const ok = await runBooksnap(["verify", base], { env: { BOOKSNAP_PASSPHRASE: PASSPHRASE } });
    outputs.push(ok.stdout, ok.stderr);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("OK");
    const named = await runBooksnap(["verify", base, "--passphrase-env", "TEAM_KEY"], {
      env: { TEAM_KEY: PASSPHRASE },
    });
    expect(named.code).toBe(0);
  });

  it("a wrong passphrase is a clear integrity error (exit 4, E_DECRYPT)", async () => {
    const run = await runBooksnap(["verify", base], { env: { BOOKSNAP_PASSPHRASE: "not the passphrase" } });
    outputs.push(run.stdout, run.stderr);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain("[E_DECRYPT]");
    expect(run.stderr).toMatch(/wrong passphrase/);
  });

  it("a missing passphrase is a usage error naming the variable (exit 2), for verify and for export --encrypt", async () => {
    const verify = await runBooksnap(["verify", base]);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain("[E_NO_PASSPHRASE]");
    const exportRun = await runBooksnap(["export", "--name", "nopass", "--encrypt"], {
      cwd: dir,
      env: { DEWEY_DB_DATABASE_URL_READONLY: db.url },
    });
    expect(exportRun.code).toBe(2);
    expect(exportRun.stderr).toContain("BOOKSNAP_PASSPHRASE");
    expect((await readdir(join(dir, "snapshots"))).filter((f) => f.startsWith("nopass"))).toEqual([]);
  });

  it("never accepts the passphrase as a flag value", async () => {
    const run = await runBooksnap(["export", "--name", "flag", "--encrypt", "--passphrase", PASSPHRASE], {
      cwd: dir,
      env: { DEWEY_DB_DATABASE_URL_READONLY: db.url },
    });
    expect(run.code).toBe(2);
    expect((await readdir(join(dir, "snapshots"))).filter((f) => f.startsWith("flag"))).toEqual([]);
  });

  it("import with a wrong or missing passphrase fails clearly (exit 4 / exit 2), changes no data and leaves no staging", async () => {
    const target = await createPreparedTarget();
    try {
      const before = await contentDump(target);
      const wrong = await runBooksnap(["import", base, "--to", target.url, "--yes"], {
        cwd: dir,
        env: { BOOKSNAP_PASSPHRASE: "not the passphrase" },
      });
      outputs.push(wrong.stdout, wrong.stderr);
      expect(wrong.code, wrong.stderr).toBe(4);
      expect(wrong.stderr).toContain("[E_DECRYPT]");
      const missing = await runBooksnap(["import", base, "--to", target.url, "--yes"], { cwd: dir });
      expect(missing.code, missing.stderr).toBe(2);
      expect(missing.stderr).toContain("[E_NO_PASSPHRASE]");
      expect(await contentDump(target)).toEqual(before);
      // The wrong passphrase left no staging behind to block the next import (no exit 8).
      const right = await runBooksnap(["import", base, "--to", target.url, "--yes"], {
        cwd: dir,
        env: { BOOKSNAP_PASSPHRASE: PASSPHRASE },
      });
      expect(right.code, right.stderr).toBe(0);
    } finally {
      await target.drop();
    }
  });

  it("import decrypts transparently with the passphrase from the named variable", async () => {
    const target = await createPreparedTarget();
    try {
      const ok = await runBooksnap(
        ["import", base, "--to", target.url, "--yes", "--passphrase-env", "TEAM_KEY"],
        {
          cwd: dir,
          env: { TEAM_KEY: PASSPHRASE },
        },
      );
      outputs.push(ok.stdout, ok.stderr);
      expect(ok.code, ok.stderr).toBe(0);
      const titles = await db.withClient(
        async (c) => (await c.query('SELECT title FROM "Book" ORDER BY isbn13')).rows,
      );
      const imported = await target.withClient(
        async (c) => (await c.query('SELECT title FROM "Book" ORDER BY isbn13')).rows,
      );
      expect(imported).toEqual(titles);
      expect(await extraSchemas(target)).toEqual([]);
    } finally {
      await target.drop();
    }
  });

  it("ciphertext edited or cut by someone without the passphrase is detected even with a re-signed manifest", async () => {
    const original = await readFile(`${base}.ndjson.zst`);
    const flipped = Buffer.from(original);
    flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] as number) ^ 0x04;
    for (const [label, data] of [
      ["flipped", flipped],
      ["cut", original.subarray(0, original.length - 40)],
      ["extended", Buffer.concat([original, Buffer.alloc(100, 7)])],
    ] as const) {
      // A forger's copy: data changed, manifest size/SHA-256 updated and re-signed, so only GCM can tell.
      const sub = join(dir, `forged-${label}`);
      await mkdir(sub);
      const manifest = JSON.parse(await readFile(`${base}.manifest.json`, "utf8")) as SnapshotManifest;
      const { manifestChecksum: _old, ...unsigned } = manifest;
      const forged = signManifest({
        ...unsigned,
        data: { ...unsigned.data, bytes: data.length, sha256: sha256Hex(data) },
      });
      await writeFile(join(sub, "shared.ndjson.zst"), data);
      await writeFile(join(sub, "shared.manifest.json"), JSON.stringify(forged));
      const run = await runBooksnap(["verify", join(sub, "shared")], {
        env: { BOOKSNAP_PASSPHRASE: PASSPHRASE },
      });
      outputs.push(run.stdout, run.stderr);
      expect(run.code, `${label}: ${run.stderr}`).toBe(4);
      expect(run.stderr, label).toMatch(/\[E_DECRYPT(_TAMPERED|_TRUNCATED)?\]/);
    }
  });

  it("never prints or logs the passphrase", async () => {
    const logs = join(dir, "logs");
    for (const file of await readdir(logs)) outputs.push(await readFile(join(logs, file), "utf8"));
    expect(outputs.length).toBeGreaterThan(4);
    for (const text of outputs) expect(text).not.toContain(PASSPHRASE);
  });
});
