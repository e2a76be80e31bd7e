import { PassThrough } from "node:stream";
import { runCli } from "../../src/index.js";
import type { CliRun, CliRunOptions } from "../helpers/cli.js";

export { CLI_PATH, type CliRun, type CliRunOptions } from "../helpers/cli.js";

/** What runBooksnap keeps out of a CLI run's environment (same list as test/helpers/cli.ts). */
const INHERITED_BLOCKLIST = /^(DEWEY_|BOOKSNAP_|SYNC_|DATABASE_URL|DIRECT_URL|TEST_DATABASE_URL|FORCE_COLOR)/;

/**
 * Stand-in for test/helpers/cli.ts under mutation testing (vitest.mutation.config.ts aliases it):
 * the same `runBooksnap` contract, run through `runCli` inside the test process. A spawned
 * `node dist/cli.js` runs the built code, where Stryker's mutants never are, and reports no
 * per-test coverage; in-process, an end-to-end test kills mutants of the modules it crosses.
 * Options that need a real child process are refused, so such a test fails loudly here
 * instead of passing without its point.
 */
export async function runBooksnap(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  if (options.nodeArgs?.length || options.onSpawn) {
    throw new Error("runBooksnap in-process (mutation testing) cannot pass nodeArgs or onSpawn");
  }
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !INHERITED_BLOCKLIST.test(key)) env[key] = value;
  }
  env.NO_COLOR = "1";
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => err.push(chunk));
  const stdin = new PassThrough();
  stdin.end(options.input ?? "");
  const code = await runCli(args, {
    stdout,
    stderr,
    stdin,
    env,
    cwd: options.cwd ?? process.cwd(),
    signal: new AbortController().signal,
  });
  return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}
