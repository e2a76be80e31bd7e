import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ChildRun, runChild, runChildOk } from "./measure.js";

/**
 * The built CLI, run as users run it: `node <its shebang's flags> dist/cli.js …` in its own
 * process. BENCH_CLI points at another build (e.g. a clean build of HEAD, or a candidate fix for
 * an A/B comparison).
 */
export const CLI = process.env.BENCH_CLI
  ? resolve(process.env.BENCH_CLI)
  : fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/**
 * The node flags in the CLI's shebang (`#!/usr/bin/env -S node <flags>`): the installed
 * `booksnap` bin runs with them (npm's shims on Windows too), so the bench does as well.
 */
export function shebangNodeFlags(cliPath: string): string[] {
  if (!existsSync(cliPath)) return [];
  const firstLine = readFileSync(cliPath, "utf8").split("\n", 1)[0] ?? "";
  const match = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node((?:\s+-\S+)*)\s*$/.exec(firstLine);
  return (match?.[1] ?? "").split(/\s+/).filter((flag) => flag !== "");
}

export interface CliRunOptions {
  /** Working directory (audit logs land under it). */
  cwd: string;
  /** Where the RSS probe writes. */
  rssDir: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: readonly string[];
}

/** Extra flags for every booksnap export / import run (recorded in the report), e.g. a workaround. */
export const EXTRA_EXPORT_ARGS = splitArgs(process.env.BENCH_EXPORT_ARGS);
export const EXTRA_IMPORT_ARGS = splitArgs(process.env.BENCH_IMPORT_ARGS);

function splitArgs(text: string | undefined): string[] {
  return (text ?? "").split(/\s+/).filter((part) => part !== "");
}

/** Fixed redaction key: the bench measures the default (pseudonymising) export without a warning. */
const BENCH_ENV = { BOOKSNAP_REDACTION_KEY: "booksnap-bench-key", NO_COLOR: "1" };

/** Whether the built CLI has a working `<command>` (the placeholders say "not implemented"). */
export async function cliHas(command: string): Promise<boolean> {
  if (!existsSync(CLI)) return false;
  const help = await runChild(process.execPath, [CLI, command, "--help"]);
  return help.code === 0 && !/not implemented/i.test(help.stdout + help.stderr);
}

/** Runs the built CLI as a child process with the bench's environment, timing and RSS probe. */
function runCliChild(args: readonly string[], options: CliRunOptions): Promise<ChildRun> {
  // The shebang ends node's options with `--` (see src/cli.ts): extra flags go before it.
  const nodeFlags = [...shebangNodeFlags(CLI).filter((flag) => flag !== "--"), ...(options.nodeFlags ?? [])];
  return runChildOk(process.execPath, [...nodeFlags, "--", CLI, ...args], {
    cwd: options.cwd,
    rssDir: options.rssDir,
    env: BENCH_ENV,
  });
}

/** `booksnap export --from <url> --out <dir> --name <name> --force --json`. */
export function booksnapExport(
  prodUrl: string,
  outDir: string,
  name: string,
  options: CliRunOptions,
): Promise<ChildRun> {
  return runCliChild(
    ["export", "--from", prodUrl, "--out", outDir, "--name", name, "--force", "--json", ...EXTRA_EXPORT_ARGS],
    options,
  );
}

/** `booksnap import <snapshot> --to <url> --yes --json [--batch-size N]` into a prepared dev database. */
export function booksnapImport(
  snapshot: string,
  devUrl: string,
  batchSize: number | undefined,
  options: CliRunOptions,
): Promise<ChildRun> {
  return runCliChild(
    [
      "import",
      snapshot,
      "--to",
      devUrl,
      "--yes",
      "--json",
      ...(batchSize === undefined ? [] : ["--batch-size", String(batchSize)]),
      ...EXTRA_IMPORT_ARGS,
    ],
    options,
  );
}

/** The `--json` result object a command printed (its last JSON line), or undefined. */
export function jsonResult(run: ChildRun): Record<string, unknown> | undefined {
  const lines = run.stdout.trim().split("\n").reverse();
  for (const line of lines) {
    try {
      const value = JSON.parse(line) as unknown;
      if (value && typeof value === "object") return value as Record<string, unknown>;
    } catch {
      // not JSON
    }
  }
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
