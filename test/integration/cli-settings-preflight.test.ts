import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDump, createPreparedTarget, makeSnapshot } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { adminUrl, databaseUrl, type TestDatabase, withAdmin } from "../helpers/db.js";

/**
 * Settings are checked before any connection: a secret typed where a variable name belongs is
 * never echoed, numbers out of PostgreSQL's or Node's range are refused (exit 2), and a place
 * booksnap cannot write to is found before production is read (exit 9).
 */
let work: string;
let target: TestDatabase;
let snapshot: string;
/** Nothing listens here: a run that gets as far as connecting fails with exit 3. */
const unreachable = "postgresql://postgres@127.0.0.1:1/nothing";

/** Values only known once beforeAll ran, in it.each tables. */
const placeholders = (arg: string) => (arg === "SNAP" ? snapshot : arg === "TARGET" ? target.url : arg);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-preflight-"));
  target = await createPreparedTarget();
  const snap = await makeSnapshot(work, "lib", { users: 1, books: 4, seed: 61 });
  snapshot = join(snap.paths.dir, snap.paths.name);
  await writeFile(join(work, "a-file"), "not a directory\n");
});
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("a secret where a variable name belongs is not echoed", () => {
  const secretUrl = "postgresql://dev:S3cr3t-pw-123@127.0.0.1:5432/books";
  const passphrase = "correct horse battery staple 42";

  it.each([
    ["import --to-env", ["import", "x", "--to-env", secretUrl]],
    ["prepare --to-env", ["prepare", "--to-env", secretUrl]],
    ["export --from-env", ["export", "--from-env", secretUrl]],
    ["export --from-env --json", ["export", "--from-env", secretUrl, "--json"]],
  ])("%s → exit 2 E_BAD_ENV_NAME without the URL", async (_label, args) => {
    const run = await runBooksnap(args, { cwd: work });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout + run.stderr).toContain("E_BAD_ENV_NAME");
    expect(run.stdout + run.stderr).not.toContain("S3cr3t-pw-123");
    expect(run.stdout + run.stderr).not.toContain("dev:");
  });

  it.each([
    ["export --encrypt", ["export", "--from", unreachable, "--encrypt", "--passphrase-env", passphrase]],
    ["import", ["import", "SNAP", "--to", "TARGET", "--yes", "--passphrase-env", passphrase]],
    ["verify", ["verify", "SNAP", "--passphrase-env", passphrase]],
  ])("%s --passphrase-env '<passphrase>' → exit 2 E_BAD_ENV_NAME without it", async (_label, args) => {
    for (const json of [[], ["--json"]]) {
      const run = await runBooksnap([...args.map(placeholders), ...json], { cwd: work });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout + run.stderr).toContain("E_BAD_ENV_NAME");
      expect(run.stdout + run.stderr).not.toContain("horse");
    }
  });
});

describe("numbers are range-checked before connecting (exit 2)", () => {
  it.each([
    ["export", "--statement-timeout", "2147483648"],
    ["export", "--lock-timeout", "1e12"],
    ["export", "--connect-timeout", "1e12"],
    ["export", "--compression-level", "20"],
    ["import", "--statement-timeout", "150000000000"],
    ["import", "--lock-timeout", "2147483648"],
    ["import", "--connect-timeout", "2147483648"],
    ["import", "--retry-delay", "1e12"],
    ["import", "--batch-size", "0"],
    ["import", "--batch-size", "1e9"],
    ["import", "--max-retries", "1000"],
    ["import", "--max-rejects", "-1"],
  ])("%s %s %s → E_BAD_SETTING", async (command, flag, value) => {
    const args =
      command === "export"
        ? ["export", "--from", unreachable, flag, value]
        : ["import", snapshot, "--to", unreachable, "--yes", flag, value];
    const run = await runBooksnap(args, { cwd: work });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_BAD_SETTING]");
  });

  it("SYNC_TIMEOUT_MS above PostgreSQL's limit is refused the same way", async () => {
    const run = await runBooksnap(["import", snapshot, "--to", unreachable, "--yes"], {
      cwd: work,
      env: { SYNC_TIMEOUT_MS: "2147483648" },
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_BAD_SETTING]");
  });

  it("a statement timeout whose 20× (the final transaction's) exceeds int4 still imports: it is clamped", async () => {
    const run = await runBooksnap(
      ["import", snapshot, "--to", target.url, "--yes", "--statement-timeout", "150000000"],
      { cwd: work },
    );
    expect(run.code, run.stderr).toBe(0);
    expect((await contentDump(target)).Book).toHaveLength(4);
  });
});

describe("a place that cannot be written is found before connecting (exit 9)", () => {
  it.each([
    ["export --out", ["export", "--from", unreachable, "--out", "a-file/snapshots"], "E_OUT_DIR"],
    ["export --log-dir", ["export", "--from", unreachable, "--log-dir", "a-file"], "E_LOG_DIR"],
    [
      "import --log-dir",
      ["import", "SNAP", "--to", unreachable, "--yes", "--log-dir", "a-file/logs"],
      "E_LOG_DIR",
    ],
    [
      "import --rejects",
      ["import", "SNAP", "--to", unreachable, "--yes", "--rejects", "a-file/rejects.ndjson"],
      "E_REJECTS_PATH",
    ],
  ])("%s", async (_label, args, code) => {
    const run = await runBooksnap(args.map(placeholders), { cwd: work });
    expect(run.code, run.stderr).toBe(9);
    expect(run.stderr).toContain(`[${code}]`);
  });
});

describe("a read-only target and prepare's database names", () => {
  it("importing into a read-only database → exit 3 E_TARGET_READ_ONLY, nothing changed", async () => {
    const before = await contentDump(target);
    await withAdmin((c) => c.query(`ALTER DATABASE ${target.name} SET default_transaction_read_only = on`));
    try {
      const run = await runBooksnap(["import", snapshot, "--to", target.url, "--yes"], { cwd: work });
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain("[E_TARGET_READ_ONLY]");
    } finally {
      await withAdmin((c) => c.query(`ALTER DATABASE ${target.name} RESET default_transaction_read_only`));
    }
    expect(await contentDump(target)).toEqual(before);
  });

  it("prepare creates and migrates the database the driver connects to (%2F stays %2F), no stray one", async () => {
    const stem = `booksnap_t_${randomBytes(5).toString("hex")}`;
    const driverName = `${stem}%2Fx`;
    const url = `${databaseUrl(adminUrl(), "postgres").replace(/\/postgres$/, "")}/${stem}%2Fx`;
    try {
      const run = await runBooksnap(["prepare", "--to", url], { cwd: work });
      expect(run.code, run.stderr).toBe(0);
      const { rows } = await withAdmin((c) =>
        c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1", [
          `${stem}%`,
        ]),
      );
      expect(rows.map((r) => r.datname)).toEqual([driverName]);
    } finally {
      await withAdmin(async (c) => {
        for (const name of [driverName, `${stem}/x`])
          await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
    }
  });
});
