import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { contentDump, createPreparedTarget, extraSchemas, makeSnapshot } from "../fault/targets.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase, withAdmin } from "../helpers/db.js";

/**
 * The guard judges the connection node-postgres will really make: `?host=` / `?port=` win over
 * the URL's authority and PGHOST / PGPORT fill an empty one. Every command that writes (import,
 * --resume, --abort, prepare) goes through it, and export records and secures the same host.
 */
let work: string;
let target: TestDatabase;
let ownSnapshot: string;
let otherSnapshot: string;

const server = () => new URL(target.url);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-effective-"));
  target = await createPreparedTarget();
  // A snapshot whose source is the target itself, as 127.0.0.1:<port>/<db>.
  const own = await makeSnapshot(
    work,
    "own",
    { users: 1, books: 4, seed: 51 },
    { host: "127.0.0.1", port: Number(server().port || 5432), database: target.name },
  );
  ownSnapshot = join(own.paths.dir, own.paths.name);
  const other = await makeSnapshot(work, "other", { users: 1, books: 4, seed: 52 });
  otherSnapshot = join(other.paths.dir, other.paths.name);
});
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("import judges the effective target", () => {
  it("?port= pointing at the snapshot's own source is refused although the authority says another port", async () => {
    const url = server();
    const realPort = url.port || "5432";
    url.port = "6543";
    url.searchParams.set("port", realPort);
    const before = await contentDump(target);
    const run = await runBooksnap(["import", ownSnapshot, "--to", url.toString(), "--yes"], { cwd: work });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain("[E_TARGET_REFUSED]");
    expect(run.stderr).toContain(`127.0.0.1:${realPort}/${target.name}`);
    expect(run.stderr).toMatch(/source/);
    expect(await contentDump(target)).toEqual(before);
    expect(await extraSchemas(target)).toEqual([]);
  });

  it("?host=0.0.0.0 and PGHOST=0.0.0.0 are refused like 0.0.0.0 itself, --resume too", async () => {
    const viaParam = server();
    viaParam.searchParams.set("host", "0.0.0.0");
    const viaEnv = `postgresql:///${target.name}?user=postgres`;
    for (const [url, env] of [
      [viaParam.toString(), {}],
      [viaEnv, { PGHOST: "0.0.0.0", PGPORT: server().port || "5432" }],
    ] as const) {
      for (const extra of [[], ["--resume"]]) {
        const run = await runBooksnap(["import", otherSnapshot, "--to", url, "--yes", ...extra], {
          cwd: work,
          env,
        });
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain("[E_TARGET_REFUSED]");
        expect(run.stderr).toContain("0.0.0.0:");
      }
    }
    expect(await extraSchemas(target)).toEqual([]);
  });

  it("--abort goes through the guard before it drops anything", async () => {
    await target.withClient((c) => c.query("CREATE SCHEMA booksnap_staging"));
    try {
      const url = server();
      url.hostname = "0.0.0.0";
      const run = await runBooksnap(["import", "--abort", "--to", url.toString()], { cwd: work });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain("[E_TARGET_REFUSED]");
      expect(await extraSchemas(target)).toEqual(["booksnap_staging"]);
    } finally {
      await target.withClient((c) => c.query("DROP SCHEMA IF EXISTS booksnap_staging CASCADE"));
    }
  });
});

describe("prepare judges the effective target", () => {
  it("refuses 0.0.0.0 (URL, ?host=, PGHOST) and creates nothing; --allow-remote-target lifts it", async () => {
    const name = `booksnap_t_${randomBytes(6).toString("hex")}`;
    const url = server();
    url.pathname = `/${name}`;
    const direct = new URL(url);
    direct.hostname = "0.0.0.0";
    const param = new URL(url);
    param.searchParams.set("host", "0.0.0.0");
    try {
      for (const [to, env] of [
        [direct.toString(), {}],
        [param.toString(), {}],
        [`postgresql:///${name}?user=postgres`, { PGHOST: "0.0.0.0", PGPORT: url.port || "5432" }],
      ] as const) {
        const run = await runBooksnap(["prepare", "--to", to], { cwd: work, env });
        expect(run.code, run.stderr).toBe(2);
        expect(run.stderr).toContain("[E_TARGET_REFUSED]");
      }
      expect(await databaseExists(name)).toBe(false);
      const allowed = await runBooksnap(
        ["prepare", "--to", direct.toString(), "--allow-remote-target", "--tls", "disable"],
        {
          cwd: work,
        },
      );
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(await databaseExists(name)).toBe(true);
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  });
});

describe("export secures and records the effective host", () => {
  let source: TestDatabase;
  beforeAll(async () => {
    source = await createTestDatabase();
    await source.withClient((c) => loadLibrary(c, generateLibrary({ users: 1, books: 3 })));
  });
  afterAll(() => source?.drop());

  it("a URL naming a remote authority but ?host=127.0.0.1 connects to, and records, 127.0.0.1", async () => {
    const url = new URL(source.url);
    const port = url.port || "5432";
    url.hostname = "prod-db.example.com";
    url.port = "7777";
    url.searchParams.set("host", "127.0.0.1");
    url.searchParams.set("port", port);
    const run = await runBooksnap(
      [
        "export",
        "--from-env",
        "SRC",
        "--name",
        "effective",
        "--out",
        "out",
        "--json",
        "--connect-timeout",
        "3000",
      ],
      { cwd: work, env: { SRC: url.toString() } },
    );
    expect(run.code, run.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(join(work, "out", "effective.manifest.json"), "utf8"));
    expect(manifest.source).toMatchObject({
      host: "127.0.0.1",
      port: Number(port),
      database: source.name,
      tls: "disable",
    });
  });
});

async function databaseExists(name: string): Promise<boolean> {
  const { rowCount } = await withAdmin((c) =>
    c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]),
  );
  return Boolean(rowCount);
}
