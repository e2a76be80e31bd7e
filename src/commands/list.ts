import { relative } from "node:path";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import {
  type DecryptionArgs,
  resolveDecryptionKeys,
  withDecryptionOptions,
} from "../cli/encryption-options.js";
import type { Output } from "../cli/output.js";
import { type StoreArgs, withStore, withStoreOptions } from "../cli/store-options.js";
import { loadEnvironment } from "../config/env.js";
import { ExitCode } from "../errors.js";
import { type ListedSnapshot, type ListResult, listSnapshots, type SnapshotState } from "../list.js";
import { formatStorePrefix, isStoreUrl, parseStorePrefix } from "../store/s3-url.js";
import { verifySnapshot } from "../verify/verify.js";

interface ListArgs extends StoreArgs, DecryptionArgs {
  dir: string;
  verify: boolean;
  "env-file"?: string;
}

export const listCommand = (ctx: CommandContext): CommandModule<object, ListArgs> => ({
  command: "list [dir]",
  describe: "List the snapshots in a directory: age, size, counts, source, redaction and integrity",
  builder: (y) =>
    withDecryptionOptions(withStoreOptions(y))
      .positional("dir", {
        type: "string",
        default: "snapshots",
        describe: "Directory of snapshots, or s3://bucket/prefix",
      })
      .option("verify", {
        type: "boolean",
        default: false,
        describe: "Fully verify each snapshot (every record; slower). Exit 4 if any fails",
      })
      .option("env-file", { type: "string", describe: "Load variables from this dotenv file first" })
      .example("$0 list", "Snapshots in ./snapshots, newest first (manifest and file size checked)")
      .example("$0 list ~/Downloads --verify", "Verify every record of each snapshot there")
      .example("$0 list --json", "The listing as JSON") as never,
  handler: async (args) => {
    const env = loadEnvironment(ctx.env, args["env-file"]);
    const keys = args.verify ? await resolveDecryptionKeys(args, env, ctx.cwd) : undefined;
    const verifyOne = (path: string) =>
      verifySnapshot(path, {
        signal: ctx.signal,
        ...(keys ? { keys } : {}),
        warn: (message) => ctx.output.warn(message),
      });
    const result: ListResult = isStoreUrl(args.dir)
      ? await withStore(ctx, env, args, async (client) => {
          const prefix = parseStorePrefix(args.dir);
          const { listStoreSnapshots, verifyStoreSnapshots } = await import("../store/index.js");
          const listed = await listStoreSnapshots(client, prefix, ctx.now, ctx.signal);
          return {
            dir: formatStorePrefix(prefix),
            exists: true,
            snapshots: args.verify
              ? await verifyStoreSnapshots(client, prefix, listed, verifyOne, ctx.signal)
              : listed,
            tempFiles: [],
          };
        })
      : await listSnapshots(args.dir, { verify: args.verify }, { now: ctx.now, verify: verifyOne });
    const failed = result.snapshots.filter((s) => !OK_STATES.includes(s.state));
    if (args.verify && failed.length > 0) ctx.exitCode = ExitCode.integrity;
    if (ctx.output.json) {
      ctx.output.result({ ok: !args.verify || failed.length === 0, ...result });
      return;
    }
    const shownDir = isStoreUrl(result.dir) ? result.dir : relative(ctx.cwd, result.dir) || ".";
    printTempFiles(ctx, result.tempFiles);
    if (result.snapshots.length === 0) {
      ctx.output.line(
        `No snapshots in ${shownDir}${result.exists ? "" : " (the directory does not exist)"}. Create one with 'booksnap export' or try 'booksnap demo --keep'.`,
      );
      return;
    }
    printTable(ctx.output, result.snapshots);
    ctx.output.line();
    ctx.output.line(
      `${result.snapshots.length} snapshot(s) in ${shownDir}; ${args.verify ? "every record verified" : `manifest checksum and ${isStoreUrl(result.dir) ? "object" : "file"} size checked (--verify checks every record)`}.`,
    );
    for (const s of failed) ctx.output.line(`  ${s.name}: ${s.problem?.code} ${s.problem?.message}`);
  },
});

/** States that mean "nothing wrong found". */
const OK_STATES: readonly SnapshotState[] = ["manifest-ok", "verified"];

const STATE_LABEL: Record<SnapshotState, string> = {
  "manifest-ok": "manifest ok",
  "manifest-invalid": "MANIFEST INVALID",
  "manifest-missing": "MANIFEST MISSING",
  "data-missing": "DATA FILE MISSING",
  "size-mismatch": "SIZE MISMATCH",
  verified: "verified",
  "verify-failed": "VERIFY FAILED",
};

/** Temp files are listed first: an abandoned one holds rows nobody will ever use. */
function printTempFiles(ctx: CommandContext, tempFiles: ListResult["tempFiles"]): void {
  for (const temp of tempFiles) {
    const what =
      temp.state === "in-use"
        ? `being written by process ${temp.pid}`
        : `ABANDONED by process ${temp.pid} (killed); ${temp.state === "abandoned" ? "the next export here removes it" : "another user's: not removed"}`;
    const line = `temporary file ${relative(ctx.cwd, temp.path) || temp.path} (${formatBytes(temp.bytes)}, started ${temp.startedAt}): ${what}`;
    ctx.output.line(temp.state === "in-use" ? line : ctx.output.paint("31", line));
  }
}

function printTable(output: Output, snapshots: readonly ListedSnapshot[]): void {
  const n = (value: number | undefined) => (value === undefined ? "-" : value.toLocaleString("en-US"));
  const header = ["NAME", "AGE", "SIZE", "USERS", "BOOKS", "LISTS", "ENTRIES", "SOURCE", "PII", "STATE"];
  const rows = snapshots.map((s) => [
    s.name,
    s.ageSeconds === undefined ? "-" : formatAge(s.ageSeconds),
    s.bytes === undefined ? "-" : formatBytes(s.bytes),
    n(s.counts?.User),
    n(s.counts?.Book),
    n(s.counts?.ReadingList),
    n(s.counts?.BookInReadingList),
    s.source ? `${s.source.host}/${s.source.database}` : "-",
    s.redaction === undefined
      ? "-"
      : s.redaction === "none"
        ? "kept"
        : `pseudonymised${s.redactionKeyId ? ` (key ${s.redactionKeyId})` : ""}`,
    `${STATE_LABEL[s.state]}${s.encrypted ? " (encrypted)" : ""}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = new Set([2, 3, 4, 5, 6]);
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  output.line(output.bold(render(header)));
  snapshots.forEach((s, i) => {
    const line = render(rows[i] ?? []);
    output.line(OK_STATES.includes(s.state) ? line : output.paint("31", line));
  });
}

/** "45s", "12m", "3h", "5d" — how long ago the snapshot's consistent read started. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
