import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI (run `npm run build` first; `npm test` does). */
export const CLI_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "cli.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Extra variables, laid over a cleaned copy of the test process environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Options for node itself, e.g. ["--max-old-space-size=64"]. */
  nodeArgs?: string[];
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** Kill the child after this long (default 30 s); the run then fails loudly. */
  timeoutMs?: number;
  /** Called with the started child, e.g. to send it SIGINT at the right moment. */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Variables of the test process that must not leak into a CLI run: database URLs and
 * booksnap settings a developer may have exported in their shell.
 */
const INHERITED_BLOCKLIST = /^(DEWEY_|BOOKSNAP_|SYNC_|DATABASE_URL|DIRECT_URL|TEST_DATABASE_URL|FORCE_COLOR)/;

/** A CLI run's environment: the test process's, less INHERITED_BLOCKLIST, no colour, then `overrides` (undefined removes). */
export function cliEnvironment(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !INHERITED_BLOCKLIST.test(key)) env[key] = value;
  }
  env.NO_COLOR = "1";
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * Runs `node -- dist/cli.js …args` as the `booksnap` bin does (its shebang passes `--`, so node
 * never reads the CLI's own `--env-file`) and returns its exit code and output.
 */
export function runBooksnap(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const env = cliEnvironment(options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--", CLI_PATH, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    options.onSpawn?.(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`booksnap ${args.join(" ")} did not finish within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** node options that make a run report its peak RSS; read it back with peakRssMb. */
export const REPORT_PEAK_RSS = ["--require", join(dirname(fileURLToPath(import.meta.url)), "peak-rss.cjs")];

/** Peak resident set size (MB) a run started with REPORT_PEAK_RSS reported. */
export function peakRssMb(run: CliRun): number {
  const match = /peak-rss-kb=(\d+)/.exec(run.stderr);
  if (!match) throw new Error(`no peak RSS in the output:\n${run.stderr}`);
  return Number(match[1]) / 1024;
}
