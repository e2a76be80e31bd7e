import { spawn } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const RSS_PROBE = fileURLToPath(new URL("./rss-probe.cjs", import.meta.url));

/** One timed child process. */
export interface ChildRun {
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size in bytes (node children only). */
  peakRssBytes?: number;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Directory for the RSS probe's file; set to measure a node child's peak RSS. */
  rssDir?: string;
}

let probeCounter = 0;

/** Runs a command to completion, timing it; fails on a non-zero exit with its stderr. */
export async function runChild(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Promise<ChildRun> {
  const env = { ...process.env, ...options.env };
  let rssFile: string | undefined;
  let finalArgs = [...args];
  if (options.rssDir) {
    probeCounter += 1;
    rssFile = join(options.rssDir, `rss-${process.pid}-${probeCounter}.txt`);
    env.BENCH_RSS_FILE = rssFile;
    finalArgs = ["--require", RSS_PROBE, ...args];
  }
  const started = process.hrtime.bigint();
  const result = await new Promise<Omit<ChildRun, "ms" | "peakRssBytes">>((resolve, reject) => {
    const child = spawn(command, finalArgs, { env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout = keepTail(stdout + chunk.toString("utf8"));
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = keepTail(stderr + chunk.toString("utf8"));
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  let peakRssBytes: number | undefined;
  if (rssFile) {
    const kib = Number((await readFile(rssFile, "utf8").catch(() => "")).trim());
    if (kib > 0) peakRssBytes = kib * 1024;
    await rm(rssFile, { force: true });
  }
  return { ...result, ms, peakRssBytes };
}

/** Like runChild, but a non-zero exit is an error carrying the child's output. */
export async function runChildOk(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Promise<ChildRun> {
  const run = await runChild(command, args, options);
  if (run.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${run.code}\n--- stderr ---\n${run.stderr}\n--- stdout ---\n${run.stdout.slice(-4000)}`,
    );
  }
  return run;
}

/** Keeps the last 1 MiB of a child's output: enough for a JSON summary or an error. */
function keepTail(text: string): string {
  return text.length > 1_048_576 ? text.slice(-1_048_576) : text;
}

/** Times an in-process async step. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
