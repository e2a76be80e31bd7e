import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import { type CheckOptions, type CheckResult, checkSnapshot } from "../check.js";
import { type ConfigArgs, resolveConfigOption, withConfigOption } from "../cli/config-option.js";
import { type ConnectionArgs, resolveConnection, withConnectionOptions } from "../cli/connection-options.js";
import type { CommandContext } from "../cli/context.js";
import { type StoreArgs, withSnapshotSource, withStoreOptions } from "../cli/store-options.js";
import type { Environment } from "../config/env.js";
import { ExitCode } from "../errors.js";
import {
  type CompatibilityEntry,
  type CompatibilityReport,
  type Verdict,
  worst,
} from "../schema/compatibility.js";
import { resolveSnapshotPaths } from "../snapshot/paths.js";
import { isStoreUrl } from "../store/s3-url.js";
import { loadManifest } from "../verify/data-file.js";

interface CheckArgs extends ConnectionArgs, StoreArgs, ConfigArgs {
  snapshot: string;
  "on-missing-enum": "reject-records" | "refuse";
}

/** Catalog queries only: the export's defaults are ample. */
const CHECK_STATEMENT_TIMEOUT_MS = 30_000;
const CHECK_LOCK_TIMEOUT_MS = 5_000;

/** The exit status of each overall verdict (README, "Exit codes"). */
export const CHECK_EXIT_CODES: Record<Verdict, number> = {
  ok: ExitCode.ok,
  adapt: ExitCode.ok,
  "records-rejected": ExitCode.rejected,
  refuse: ExitCode.schema,
};

const VERDICT_SENTENCES: Record<Verdict, string> = {
  ok: "loads as is",
  adapt: "loads, with the adaptations listed",
  "records-rejected":
    "loads, but records holding the values listed go to the dead-letter file (import stops unless --max-rejects allows them)",
  refuse: "does not load: import refuses before writing anything",
};

const VERDICT_COLORS: Record<Verdict, string> = {
  ok: "32",
  adapt: "36",
  "records-rejected": "33",
  refuse: "31",
};

export const checkCommand = (ctx: CommandContext): CommandModule<object, CheckArgs> => ({
  command: "check <snapshot>",
  describe: "Will this snapshot load into that database? The compatibility report, without writing anything",
  builder: (y) =>
    withConfigOption(
      withStoreOptions(
        withConnectionOptions(
          y.positional("snapshot", {
            type: "string",
            demandOption: true,
            describe: "The manifest, the data file, their common path, or s3://bucket/prefix/<name|latest>",
          }),
          "target",
        ),
      ),
    )
      .option("on-missing-enum", {
        choices: ["reject-records", "refuse"] as const,
        default: "reject-records" as const,
        describe:
          "A snapshot enum value the target lacks: reject-records sends its records to the dead-letter file; refuse refuses the load",
      })
      .example(
        "$0 check snapshots/alice --env-file .env",
        "Compare the snapshot's schema with your dev database's",
      )
      .example("$0 check snapshots/alice --to-env DEV_URL --json", "The report as JSON")
      .epilogue(
        "Exit status: 0 loads (as is, or with the adaptations listed), 6 some records would go to the dead-letter file, 5 refused. Reads only; see docs/compatibility.md.",
      ) as never,
  handler: async (args) => {
    const plan = await resolveCheckPlan(ctx, args);
    const manifest = await withSnapshotSource(ctx, plan.env, args, plan.snapshot, async (source) =>
      typeof source === "string" ? loadManifest(resolveSnapshotPaths(source)) : source.manifest,
    );
    const result = await checkSnapshot({ ...plan.check, manifest }, { signal: ctx.signal });
    const exitCode = CHECK_EXIT_CODES[result.report.verdict];
    if (exitCode !== ExitCode.ok) ctx.exitCode = exitCode;
    if (ctx.output.json) return ctx.output.result({ ok: exitCode === ExitCode.ok, exitCode, ...result });
    printReport(ctx, result);
  },
});

/** Everything check needs, resolved once from flags, environment and the project configuration. */
interface CheckPlan {
  /** Local path (absolute) or s3:// URL. */
  snapshot: string;
  env: Environment;
  check: Omit<CheckOptions, "manifest">;
}

async function resolveCheckPlan(ctx: CommandContext, args: CheckArgs): Promise<CheckPlan> {
  const {
    env,
    url,
    urlFrom: _from,
    urlFallback: _fallback,
    ...connection
  } = resolveConnection(ctx, args, "target");
  const config = await resolveConfigOption(args, ctx.cwd);
  const snapshot = isStoreUrl(args.snapshot) ? args.snapshot : resolve(ctx.cwd, args.snapshot);
  return {
    snapshot,
    env,
    check: {
      snapshot,
      connection: {
        url,
        env,
        ...connection,
        statementTimeoutMs: CHECK_STATEMENT_TIMEOUT_MS,
        lockTimeoutMs: CHECK_LOCK_TIMEOUT_MS,
      },
      compare: { onMissingEnum: args["on-missing-enum"] },
      introspect: {
        schema: config.schema,
        ...(config.tables.include === null ? {} : { include: config.tables.include }),
        exclude: config.tables.exclude,
      },
    },
  };
}

function printReport(ctx: CommandContext, result: CheckResult): void {
  const o = ctx.output;
  const { snapshot: s, target: t, report } = result;
  const records = Object.values(s.records).reduce((sum, n) => sum + n, 0);
  o.line(`snapshot  ${s.name} (format ${s.formatVersion}, ${s.tables} tables, ${recordCount(records)})`);
  o.line(`target    ${t.host}:${t.port}/${t.database}, schema ${t.schema} (${t.tables} tables; only read)`);
  o.line(
    `verdict   ${o.paint(VERDICT_COLORS[report.verdict], report.verdict)}: ${VERDICT_SENTENCES[report.verdict]}`,
  );
  o.line();
  for (const [table, entries] of groupByTable(report)) {
    const count = table === undefined ? undefined : s.records[table];
    const name =
      table === undefined ? "(schema)" : `${table}${count === undefined ? "" : ` (${recordCount(count)})`}`;
    const [only] = entries;
    // A finding about the whole table fits on the table's line.
    if (entries.length === 1 && only && only.column === undefined) {
      o.line(`${paintVerdict(ctx, only.verdict)} ${o.bold(name)}: ${only.message} [${only.code}]`);
      continue;
    }
    o.line(`${paintVerdict(ctx, worst(entries.map((e) => e.verdict)))} ${o.bold(name)}`);
    for (const e of entries) {
      const subject = e.column === undefined ? "" : `"${e.column}": `;
      o.line(`  ${paintVerdict(ctx, e.verdict)} ${subject}${e.message} [${e.code}]`);
    }
  }
}

/** Entries grouped by table, in report order; schema-wide entries under `undefined`. */
function groupByTable(report: CompatibilityReport): Map<string | undefined, CompatibilityEntry[]> {
  const groups = new Map<string | undefined, CompatibilityEntry[]>();
  for (const entry of report.entries) {
    const group = groups.get(entry.table) ?? [];
    group.push(entry);
    groups.set(entry.table, group);
  }
  return groups;
}

/** Verdicts in a column as wide as the longest ("records-rejected"). */
const paintVerdict = (ctx: CommandContext, verdict: Verdict) =>
  ctx.output.paint(VERDICT_COLORS[verdict], verdict.padEnd(16));
const recordCount = (count: number) => `${count.toLocaleString("en-US")} record${count === 1 ? "" : "s"}`;
