import { relative } from "node:path";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import type { Output } from "../cli/output.js";
import { loadEnvironment } from "../config/env.js";
import { ExitCode } from "../errors.js";
import { type ListedSnapshot, listSnapshots, type SnapshotState } from "../list.js";
import { DEFAULT_PASSPHRASE_ENV, passphraseFromEnv } from "../snapshot/crypto.js";
import { verifySnapshot } from "../verify/verify.js";

interface ListArgs {
  dir: string;
  verify: boolean;
  "passphrase-env": string;
  "env-file"?: string;
}

export const listCommand = (ctx: CommandContext): CommandModule<object, ListArgs> => ({
  command: "list [dir]",
  describe: "List the snapshots in a directory: age, size, counts, source, redaction and integrity",
  builder: (y) =>
    y
      .positional("dir", { type: "string", default: "snapshots", describe: "Directory of snapshots" })
      .option("verify", {
        type: "boolean",
        default: false,
        describe: "Fully verify each snapshot (every record; slower). Exit 4 if any fails",
      })
      .option("passphrase-env", {
        type: "string",
        default: DEFAULT_PASSPHRASE_ENV,
        describe: "Environment variable holding the passphrase of encrypted snapshots (with --verify)",
      })
      .option("env-file", { type: "string", describe: "Load variables from this dotenv file first" })
      .example("$0 list", "Snapshots in ./snapshots, newest first (manifest and file size checked)")
      .example("$0 list ~/Downloads --verify", "Verify every record of each snapshot there")
      .example("$0 list --json", "The listing as JSON") as never,
  handler: async (args) => {
    const env = loadEnvironment(ctx.env, args["env-file"]);
    const result = await listSnapshots(
      args.dir,
      { verify: args.verify },
      {
        now: ctx.now,
        verify: (path) =>
          verifySnapshot(path, {
            signal: ctx.signal,
            passphrase: () => passphraseFromEnv(env, args["passphrase-env"]),
            warn: (message) => ctx.output.warn(message),
          }),
      },
    );
    const failed = result.snapshots.filter((s) => !OK_STATES.includes(s.state));
    if (args.verify && failed.length > 0) ctx.exitCode = ExitCode.integrity;
    if (ctx.output.json) {
      ctx.output.result({ ok: !args.verify || failed.length === 0, ...result });
      return;
    }
    const shownDir = relative(ctx.cwd, result.dir) || ".";
    if (result.snapshots.length === 0) {
      ctx.output.line(
        `No snapshots in ${shownDir}${result.exists ? "" : " (the directory does not exist)"}. Create one with 'booksnap export' or try 'booksnap demo --keep'.`,
      );
      return;
    }
    printTable(ctx.output, result.snapshots);
    ctx.output.line();
    ctx.output.line(
      `${result.snapshots.length} snapshot(s) in ${shownDir}; ${args.verify ? "every record verified" : "manifest checksum and file size checked (--verify checks every record)"}.`,
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
    s.redaction === undefined ? "-" : s.redaction === "none" ? "kept" : "pseudonymised",
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
