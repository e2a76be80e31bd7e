import { PassThrough } from "node:stream";
import { runCli } from "../../src/index.js";

export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI's entry point (`runCli`, what dist/cli.js calls) inside the test process: the
 * same parsing, commands and error boundary, without a node start per run. Used where a
 * test runs the CLI dozens of times (the corpus); end-to-end tests use test/helpers/cli.ts.
 */
export async function runInProcess(
  args: readonly string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    signal?: AbortSignal;
    /** Written to stdin, which is then closed. */
    input?: string;
  } = {},
): Promise<InProcessRun> {
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
    // The test run's config directory (test/global-setup.ts), never the real ~/.config.
    env: { NO_COLOR: "1", XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, ...options.env },
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}
