import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decompress } from "zstd-napi";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase, withAdmin } from "../helpers/db.js";

describe("export errors are classified, with documented exit codes", () => {
  let db: TestDatabase;
  let dir: string;
  const role = `booksnap_auth_${randomBytes(4).toString("hex")}`;
  const exportFrom = (url: string, ...flags: string[]) =>
    runBooksnap(["export", "--from-env", "SRC", ...flags], { cwd: dir, env: { SRC: url } });

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient(async (c) => {
      await loadLibrary(c, generateLibrary({ users: 2, books: 6 }));
      await c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'right-password'`);
    });
    dir = await mkdtemp(join(tmpdir(), "booksnap-err-"));
  });
  afterAll(async () => {
    await db?.drop();
    await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("nothing listening → exit 3 E_CONNECT", async () => {
    const url = new URL(db.url);
    url.port = "1";
    const run = await exportFrom(url.toString());
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("[E_CONNECT]");
    expect(run.stderr).toContain("hint:");
  });

  it("wrong password → exit 3 E_AUTH (where the server checks passwords)", async () => {
    const url = new URL(db.url);
    url.username = role;
    url.password = "wrong-password";
    const probe = new pg.Client({ connectionString: url.toString() });
    const serverChecksPasswords = await probe.connect().then(
      () => false,
      (error: { code?: string }) => error.code === "28P01",
    );
    await probe.end().catch(() => {});
    const run = await exportFrom(url.toString());
    if (serverChecksPasswords) {
      expect(run.code).toBe(3);
      expect(run.stderr).toContain("[E_AUTH]");
    } else {
      // A trust-auth server lets the role in; it then lacks SELECT on the tables.
      expect(run.code).toBe(3);
      expect(run.stderr).toContain("[E_PERMISSION]");
    }
    expect(run.stderr).not.toContain("wrong-password");
  });

  it("a prisma+postgres:// (Accelerate) URL → exit 2 asking for a direct connection", async () => {
    const run = await exportFrom("prisma+postgres://accelerate.prisma-data.net/?api_key=eyJsecret");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[E_DIRECT_CONNECTION_NEEDED]");
    expect(run.stderr).not.toContain("eyJsecret");
  });

  it("no URL in the named variable → exit 2 E_NO_URL", async () => {
    const run = await runBooksnap(["export"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[E_NO_URL] No database URL: DEWEY_DB_DATABASE_URL_READONLY is not set.");
  });

  it("a snapshot name with a path in it → exit 2 E_BAD_NAME, nothing written", async () => {
    const run = await exportFrom(db.url, "--name", "../escape");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[E_BAD_NAME]");
  });

  it("--out naming an existing file → exit 9 E_OUT_DIR with a hint, the file untouched", async () => {
    await writeFile(join(dir, "not-a-dir"), "precious\n");
    const run = await exportFrom(db.url, "--name", "x", "--out", "not-a-dir");
    expect(run.code, run.stderr).toBe(9);
    expect(run.stderr).toContain("[E_OUT_DIR]");
    expect(run.stderr).toContain("hint:");
    expect(await readFile(join(dir, "not-a-dir"), "utf8")).toBe("precious\n");
    const below = await exportFrom(db.url, "--name", "x", "--out", "not-a-dir/sub");
    expect(below.code, below.stderr).toBe(9);
    expect(below.stderr).toContain("[E_OUT_DIR]");
  });

  it("an existing snapshot is not overwritten without --force", async () => {
    expect((await exportFrom(db.url, "--name", "same")).code).toBe(0);
    const again = await exportFrom(db.url, "--name", "same");
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("[E_SNAPSHOT_EXISTS]");
    const forced = await exportFrom(db.url, "--name", "same", "--force");
    expect(forced.code).toBe(0);
    expect((await runBooksnap(["verify", join(dir, "snapshots", "same")])).code).toBe(0);
  });

  it("a schema that changed exports as it is: the new column of a redacted table is replaced and reported with its rule line", async () => {
    await db.withClient(async (c) => {
      await c.query(`ALTER TABLE "Book" DROP COLUMN "edition"`);
      await c.query(`ALTER TABLE "User" ADD COLUMN "bio" text`);
      await c.query(`UPDATE "User" SET "bio" = 'private words'`);
    });
    const run = await exportFrom(db.url, "--name", "changed");
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("User.bio: null");
    expect(run.stderr).toContain('"bio": "freeText"');
    const manifest = JSON.parse(await readFile(join(dir, "snapshots", "changed.manifest.json"), "utf8"));
    expect(manifest.redaction.uncovered).toEqual([{ table: "User", column: "bio", replacement: "null" }]);
    const book = manifest.schema.description.tables.find((t: { name: string }) => t.name === "Book");
    expect(book.columns.map((c: { name: string }) => c.name)).not.toContain("edition");
    const data = decompress(await readFile(join(dir, "snapshots", "changed.ndjson.zst"))).toString("utf8");
    expect(data).not.toContain("private words");
  });

  it("a column booksnap cannot carry → exit 5 naming table, column and type, before any row is read", async () => {
    await db.withClient(async (c) => {
      await c.query(`CREATE TYPE "Point2" AS (x int, y int)`);
      await c.query(`ALTER TABLE "Book" ADD COLUMN "spot" "Point2"`);
      await c.query(`ALTER TABLE "ReadingList" ADD COLUMN "grid" integer[][]`);
    });
    const run = await exportFrom(db.url, "--name", "unsupported");
    expect(run.code).toBe(5);
    expect(run.stderr).toContain("[E_UNSUPPORTED_COLUMN]");
    expect(run.stderr).toContain("Book.spot");
    expect(run.stderr).toContain("ReadingList.grid");
    expect(await readdir(join(dir, "snapshots")).catch(() => [])).not.toContain("unsupported.manifest.json");
    await db.withClient(async (c) => {
      await c.query(`ALTER TABLE "Book" DROP COLUMN "spot"`);
      await c.query(`ALTER TABLE "ReadingList" DROP COLUMN "grid"`);
    });
  });

  it("SYNC_TIMEOUT_MS is the statement-timeout default and is validated", async () => {
    const run = await runBooksnap(["export", "--from-env", "SRC"], {
      cwd: dir,
      env: { SRC: db.url, SYNC_TIMEOUT_MS: "soon" },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[E_BAD_SETTING]");
    expect(run.stderr).toContain("SYNC_TIMEOUT_MS");
  });

  it("export, verify and inspect --help show examples", async () => {
    for (const command of ["export", "verify", "inspect"]) {
      const run = await runBooksnap([command, "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Examples:");
    }
  });
});
