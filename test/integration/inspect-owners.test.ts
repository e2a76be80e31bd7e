import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPreparedTarget, DEV_USER_EMAIL } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import type { TestDatabase } from "../helpers/db.js";
import { readRecords, useLoadedSource } from "../helpers/export.js";
import { collect, makeSnapshot } from "./import-support.js";

/**
 * `booksnap inspect <snapshot> --owners` lists the owners table's records as the snapshot holds
 * them (for `import --owners keep --as`), reading the data file the way verify does.
 */

const PASSPHRASE = "inspect owners passphrase";

describe("inspect --owners of an export with several owners", () => {
  const source = useLoadedSource({ users: 3, books: 24, seed: 7 }, "booksnap-inspect-owners-");
  let base: string;
  let encrypted: string;
  let sourceUsers: Array<{ id: number; email: string }>;
  let target: TestDatabase;

  beforeAll(async () => {
    for (const args of [
      ["export", "--name", "lib", "--json"],
      ["export", "--name", "locked", "--encrypt", "--json"],
    ]) {
      const run = await runBooksnap(args, {
        cwd: source.work,
        env: { DEWEY_DB_DATABASE_URL_READONLY: source.db.url, BOOKSNAP_PASSPHRASE: PASSPHRASE },
      });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    }
    base = join(source.work, "snapshots", "lib");
    encrypted = join(source.work, "snapshots", "locked");
    sourceUsers = await source.db.withClient(async (c) => {
      const { rows } = await c.query<{ id: number; email: string }>(
        'SELECT id, email FROM "User" ORDER BY id',
      );
      return rows;
    });
    target = await createPreparedTarget();
  });
  afterAll(async () => {
    await target?.drop();
  });

  it("lists every owner: ids as in the source, emails pseudonymised as the snapshot holds them", async () => {
    const run = await runBooksnap(["inspect", base, "--owners", "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { owners: Array<{ id: number; email: string }> };
    expect(sourceUsers).toHaveLength(3);
    expect(result.owners.map((o) => o.id)).toEqual(sourceUsers.map((u) => u.id));
    const sourceEmails = new Set(sourceUsers.map((u) => u.email));
    for (const owner of result.owners) {
      expect(owner.email).toMatch(/@/);
      expect(sourceEmails.has(owner.email)).toBe(false);
    }
    expect(new Set(result.owners.map((o) => o.email)).size).toBe(3);
    // Exactly the snapshot's User rows.
    const users = (await readRecords(`${base}.ndjson.zst`)).User;
    expect(result.owners).toEqual(users.map((u) => ({ id: u.id, email: u.email })));
  });

  it("--json is the inspect summary plus owners [{ id, email }]", async () => {
    const plain = JSON.parse((await runBooksnap(["inspect", base, "--json"])).stdout) as Record<
      string,
      unknown
    >;
    expect(plain).not.toHaveProperty("owners");
    const run = await runBooksnap(["inspect", base, "--owners", "--json"]);
    const result = JSON.parse(run.stdout) as Record<string, unknown> & {
      owners: Array<Record<string, unknown>>;
    };
    expect(result).toEqual({ ...plain, owners: result.owners });
    expect(result).toMatchObject({ ok: true, name: "lib", formatVersion: 2, counts: { User: 3, Book: 24 } });
    for (const owner of result.owners) {
      expect(Object.keys(owner).sort()).toEqual(["email", "id"]);
      expect(typeof owner.id).toBe("number");
      expect(typeof owner.email).toBe("string");
    }
  });

  it("prints the summary then an id / email table", async () => {
    const json = JSON.parse((await runBooksnap(["inspect", base, "--owners", "--json"])).stdout) as {
      owners: Array<{ id: number; email: string }>;
    };
    const run = await runBooksnap(["inspect", base, "--owners"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^snapshot\s+lib$/);
    const header = lines.findIndex((l) => /^id\s+email$/.test(l));
    expect(header).toBeGreaterThan(0);
    expect(lines.slice(header + 1)).toEqual([
      ...json.owners.map((o) =>
        expect.stringMatching(new RegExp(`^${o.id}\\s+${o.email.replace(/[.+]/g, "\\$&")}$`)),
      ),
      "3 owner(s) in User (data file verified)",
    ]);
  });

  it("an email it lists is what import --owners keep --as takes", async () => {
    const { owners } = JSON.parse((await runBooksnap(["inspect", base, "--owners", "--json"])).stdout) as {
      owners: Array<{ id: number; email: string }>;
    };
    const chosen = owners[1] as { id: number; email: string };
    const run = await runBooksnap([
      "import",
      base,
      "--to",
      target.url,
      "--yes",
      "--owners",
      "keep",
      "--user",
      DEV_USER_EMAIL,
      "--as",
      chosen.email,
    ]);
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    const ownedBySource = await source.db.withClient(async (c) => {
      const { rows } = await c.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM "Book" WHERE "ownerId" = $1',
        [chosen.id],
      );
      return rows[0]?.n;
    });
    const ownedByDev = await target.withClient(async (c) => {
      const { rows } = await c.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM "Book" b JOIN "User" u ON u.id = b."ownerId" WHERE u.email = $1',
        [DEV_USER_EMAIL],
      );
      return rows[0]?.n;
    });
    expect(ownedBySource).toBeGreaterThan(0);
    expect(ownedByDev).toBe(ownedBySource);
  });

  it("an encrypted snapshot needs the same keys as verify", async () => {
    const without = await runBooksnap(["inspect", encrypted, "--owners"]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain("E_NO_PASSPHRASE");
    const run = await runBooksnap(["inspect", encrypted, "--owners", "--json"], {
      env: { BOOKSNAP_PASSPHRASE: PASSPHRASE },
    });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { owners: Array<{ id: number }> };
    expect(result.owners.map((o) => o.id)).toEqual(sourceUsers.map((u) => u.id));
  });

  it("a tampered data file fails as verify does (exit 4); without --owners the data is not read", async () => {
    const dir = join(source.work, "tampered");
    await mkdir(dir);
    const data = await readFile(`${base}.ndjson.zst`);
    const middle = Math.floor(data.length / 2);
    data[middle] = (data[middle] as number) ^ 0xff;
    await writeFile(join(dir, "lib.ndjson.zst"), data);
    await writeFile(join(dir, "lib.manifest.json"), await readFile(`${base}.manifest.json`));
    const copy = join(dir, "lib");

    const verify = await runBooksnap(["verify", copy]);
    expect(verify.code).toBe(4);
    expect(verify.stderr).toContain("E_DATA_SHA256");
    const owners = await runBooksnap(["inspect", copy, "--owners"]);
    expect(owners.code).toBe(4);
    expect(owners.stderr).toContain("E_DATA_SHA256");
    expect(owners.stdout).not.toMatch(/^id\s+email$/m);

    const summary = await runBooksnap(["inspect", copy]);
    expect(summary.code).toBe(0);
  });

  it("refuses s3:// snapshots and a configuration or snapshot without the owners table (exit 2)", async () => {
    const store = await runBooksnap(["inspect", "s3://bucket/snaps/latest", "--owners"]);
    expect(store.code).toBe(2);
    expect(store.stderr).toContain("local snapshots only");

    const noOwners = join(source.work, "no-owners.json");
    await writeFile(noOwners, JSON.stringify({ extends: "book-app", owners: null }));
    const unconfigured = await runBooksnap(["inspect", base, "--owners", "--config", noOwners]);
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toContain("E_OWNERS_TABLE_MISSING");

    const other = join(source.work, "other-owners.json");
    await writeFile(
      other,
      JSON.stringify({
        extends: "book-app",
        owners: { table: "Member", idColumn: "id", emailColumn: "email" },
      }),
    );
    const missing = await runBooksnap(["inspect", base, "--owners", "--config", other]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("E_OWNERS_TABLE_MISSING");
    expect(missing.stderr).toContain("no owners table Member");
  });
});

/** OSC 52 clipboard write, a C1 CSI and a right-to-left override, in an owner's email. */
const EVIL = "a\u001b]52;c;aGVsbG8=\u0007\u009b31m\u202e@example.com";
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const RAW = /[\u001b\u0007\u0080-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("inspect --owners of a format-1 snapshot with a hostile email", () => {
  let dir: string;
  let snapshot: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "booksnap-inspect-f1-"));
    const records = (await collect({ users: 2, books: 4, seed: 3 })).map((r) =>
      r.model === "User" && r.record.id === 2 ? { ...r, record: { ...r.record, email: EVIL } } : r,
    );
    const written = await makeSnapshot(dir, "evil", records);
    snapshot = join(written.paths.dir, "evil");
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lists the owners with the escapes neutralised on the terminal and exact in JSON", async () => {
    const human = await runBooksnap(["inspect", snapshot, "--owners"]);
    expect(human.stderr).toBe("");
    expect(human.code).toBe(0);
    expect(human.stdout).not.toMatch(RAW);
    expect(human.stdout).toMatch(/^2\s+a\\x1b]52;c;aGVsbG8=\\x07\\x9b31m\\u202e@example\.com$/m);

    const json = await runBooksnap(["inspect", snapshot, "--owners", "--json"]);
    expect(json.code).toBe(0);
    expect(json.stdout).not.toMatch(RAW);
    const result = JSON.parse(json.stdout) as {
      formatVersion: number;
      owners: Array<{ id: number; email: string }>;
    };
    expect(result.formatVersion).toBe(1);
    expect(result.owners.map((o) => o.id)).toEqual([1, 2]);
    expect(result.owners[1]?.email).toBe(EVIL);
  });
});
