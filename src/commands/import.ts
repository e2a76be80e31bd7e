import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { CommandModule } from "yargs";
import { appendAuditRecord } from "../audit.js";
import { type ConfigArgs, resolveConfigOption, withConfigOption } from "../cli/config-option.js";
import { type ConnectionArgs, resolveConnection, withConnectionOptions } from "../cli/connection-options.js";
import type { CommandContext } from "../cli/context.js";
import {
  type DecryptionArgs,
  resolveDecryptionKeys,
  withDecryptionOptions,
} from "../cli/encryption-options.js";
import { createProgressReporter } from "../cli/progress.js";
import { type StoreArgs, withSnapshotSource, withStoreOptions } from "../cli/store-options.js";
import { devUserFlag } from "../config/dev-user-flag.js";
import { intSetting } from "../config/env.js";
import { MAX_TIMEOUT_MS } from "../config/limits.js";
import type { ProjectConfig } from "../config/project-config.js";
import { describeLocation } from "../db/url.js";
import { ExitCode, isBooksnapError, UsageError } from "../errors.js";
import { describeDependents } from "../import/dependents.js";
import { abortImport, DEFAULT_BATCH_SIZE, type ImportSummary, importSnapshot } from "../import/import.js";
import type { OwnerMode } from "../import/options.js";
import { createdDevUserNotice, type TargetUser } from "../import/owner.js";
import { REJECTS_SUFFIX, resolveSnapshotPaths } from "../snapshot/paths.js";
import { isStoreUrl } from "../store/s3-url.js";
import { assertWritableDir } from "../writable-dir.js";

interface ImportArgs extends ConnectionArgs, StoreArgs, DecryptionArgs, ConfigArgs {
  snapshot?: string;
  "allow-remote-target": boolean;
  mode: "replace" | "merge";
  owners: OwnerMode;
  as?: string;
  user?: string;
  "user-id"?: string;
  "create-user"?: string;
  yes: boolean;
  "allow-cascade": boolean;
  "dry-run": boolean;
  resume: boolean;
  abort: boolean;
  "max-rejects": number;
  "batch-size"?: number;
  "max-retries"?: number;
  "retry-delay": number;
  rejects?: string;
  "schema-drift": "refuse" | "tolerate";
  "statement-timeout"?: number;
  "lock-timeout": number;
  "log-dir": string;
  "allow-large-expansion": boolean;
}

/** Largest --batch-size: one batch's lines are held in memory and staged in one transaction. */
const MAX_BATCH_SIZE = 1_000_000;

/** Default statement_timeout per batch when neither the flag nor SYNC_TIMEOUT_MS is set. */
const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;

export const importCommand = (ctx: CommandContext): CommandModule<object, ImportArgs> => ({
  command: "import [snapshot]",
  describe: "Load a snapshot into your development database (validated, resumable, all-or-nothing, verified)",
  builder: (y) =>
    withConfigOption(
      withDecryptionOptions(
        withStoreOptions(
          withConnectionOptions(
            y.positional("snapshot", {
              type: "string",
              describe:
                "The snapshot: <name>.manifest.json or .ndjson.zst path, or s3://bucket/prefix/<name|latest>",
            }),
            "target",
          ),
        ),
      ),
    )
      .option("allow-remote-target", {
        type: "boolean",
        default: false,
        describe: "Allow a target that is not on this machine or a private network",
      })
      .option("mode", {
        choices: ["replace", "merge"] as const,
        default: "replace" as const,
        describe:
          "replace: your books and lists become the snapshot's; merge: add what is missing (matched by each table's identity key: books by isbn13)",
      })
      .option("owners", {
        choices: ["collapse", "keep"] as const,
        default: "collapse" as const,
        describe:
          "collapse (default: what the old sync script did, and what you want when you sign in as yourself): every snapshot owner's books and lists go to your dev user (--user), so you see realistic data on your own account. keep: each snapshot owner becomes a (pseudonymised) user of its own, reproducing production's multi-user layout, e.g. to work on public profiles or the home page's default user; --as puts one owner's data on your own account",
      })
      .option("as", {
        type: "string",
        describe:
          "With --owners keep and --user: the snapshot owner (id, or email as the snapshot holds it) whose books and lists go to your dev user instead of a new user",
      })
      .option("user", {
        type: "string",
        describe: "Dev user (email or id) who gets the imported books and lists",
      })
      .option("user-id", {
        type: "string",
        describe: "The old sync script's spelling of --user ID",
      })
      .option("create-user", {
        type: "string",
        describe:
          "Create this dev user (email) if it does not exist; it cannot sign in through Clerk until linked (prefer signing up, then --user)",
      })
      .option("yes", {
        type: "boolean",
        default: false,
        describe: "Replace existing dev data without asking",
      })
      .option("allow-cascade", {
        type: "boolean",
        default: false,
        describe:
          "Let replace delete or change rows of tables booksnap does not copy that reference your books or lists (required with --yes when there are any)",
      })
      .option("dry-run", {
        type: "boolean",
        default: false,
        describe: "Run everything including database constraint checks, then roll back",
      })
      .option("resume", { type: "boolean", default: false, describe: "Continue an interrupted import" })
      .option("abort", {
        type: "boolean",
        default: false,
        describe: "Discard an interrupted import's staging data",
      })
      .option("max-rejects", {
        type: "number",
        default: 0,
        describe: "Rejected records allowed while still committing",
      })
      .option("batch-size", {
        type: "number",
        describe: `Lines per staging transaction (default SYNC_BATCH_SIZE or ${DEFAULT_BATCH_SIZE})`,
      })
      .option("max-retries", {
        type: "number",
        describe: "Retries of a failed batch (default SYNC_MAX_RETRIES or 3)",
      })
      .option("retry-delay", {
        type: "number",
        default: 500,
        describe: "First retry delay (ms), doubled each time",
      })
      .option("rejects", { type: "string", describe: "Dead-letter file (default <snapshot>.rejects.ndjson)" })
      .option("schema-drift", {
        choices: ["refuse", "tolerate"] as const,
        default: "tolerate" as const,
        describe:
          "tolerate (default): adapt as the compatibility report says (drop snapshot-only columns, fill new ones by default, cast lossless type changes); refuse: stop on any such adaptation. Records the target cannot hold go to the dead-letter file either way; what cannot be adapted is always refused ('booksnap check' prints the report)",
      })
      .option("statement-timeout", {
        type: "number",
        describe: `statement_timeout per batch (ms; default SYNC_TIMEOUT_MS or ${DEFAULT_STATEMENT_TIMEOUT_MS})`,
      })
      .option("lock-timeout", { type: "number", default: 10_000, describe: "lock_timeout (ms)" })
      .option("log-dir", { type: "string", default: "logs", describe: "Directory of the audit log" })
      .option("allow-large-expansion", {
        type: "boolean",
        default: false,
        describe: "Import a data file that expands more than 100x (and past 64 MiB) without asking",
      })
      .example(
        "$0 import snapshots/prod-2026-01-01 --env-file .env",
        "Replace your books with the snapshot's",
      )
      .example("$0 import snap --mode merge --user me@example.com", "Add the books you do not have yet")
      .example(
        "$0 import snap --owners keep",
        "Every snapshot owner gets a user of its own, as in production",
      )
      .example(
        "$0 import snap --owners keep --user me@example.com --as 42",
        "As production, with snapshot owner 42's books and lists on your own account",
      )
      .example("$0 import snap --resume", "Continue an import that was interrupted")
      .example("$0 import --abort", "Discard an interrupted import") as never,
  handler: async (args) => {
    const {
      env,
      url,
      urlFrom: _from,
      urlFallback: _fallback,
      ...connection
    } = resolveConnection(ctx, args, "target");
    const where = describeLocation(url, env);
    const database = `${where.host}:${where.port}/${where.database}`;
    const allowRemoteTarget = args["allow-remote-target"];
    if (args.abort) {
      const { discarded } = await abortImport({ targetUrl: url, env, allowRemoteTarget, ...connection });
      if (ctx.output.json) return ctx.output.result({ ok: true, discarded: discarded ?? null });
      ctx.output.line(
        discarded
          ? `discarded the staged import of ${discarded.snapshotName} (stopped after line ${discarded.lastLine})`
          : "nothing to discard: no staged import in the target",
      );
      return;
    }
    if (!args.snapshot) {
      throw new UsageError("Name the snapshot to import", {
        code: "E_NO_SNAPSHOT",
        hint: "booksnap import <snapshot>",
      });
    }
    const fromStore = isStoreUrl(args.snapshot);
    const snapshot = fromStore ? args.snapshot : resolve(ctx.cwd, args.snapshot);
    const user = devUserFlag(args.user, args["user-id"]);
    const logDir = resolve(ctx.cwd, args["log-dir"]);
    const settings = {
      maxRejects: intSetting(args["max-rejects"], env, "--max-rejects", 0),
      batchSize: intSetting(args["batch-size"], env, "SYNC_BATCH_SIZE", DEFAULT_BATCH_SIZE, {
        min: 1,
        max: MAX_BATCH_SIZE,
      }),
      retry: {
        maxRetries: intSetting(args["max-retries"], env, "SYNC_MAX_RETRIES", 3, { max: 100 }),
        baseDelayMs: intSetting(args["retry-delay"], env, "--retry-delay", 500, { max: MAX_TIMEOUT_MS }),
      },
      statementTimeoutMs: intSetting(
        args["statement-timeout"],
        env,
        "SYNC_TIMEOUT_MS",
        DEFAULT_STATEMENT_TIMEOUT_MS,
        { max: MAX_TIMEOUT_MS },
      ),
      lockTimeoutMs: intSetting(args["lock-timeout"], env, "--lock-timeout", 10_000, { max: MAX_TIMEOUT_MS }),
    };
    // Every place the import writes to is checked before connecting (exit 9, nothing touched).
    await assertWritableDir(logDir, "the audit log (--log-dir)", "E_LOG_DIR");
    const rejectsDir =
      args.rejects !== undefined
        ? dirname(resolve(ctx.cwd, args.rejects))
        : fromStore
          ? ctx.cwd
          : dirname(resolveSnapshotPaths(snapshot).rejectsPath);
    await assertWritableDir(rejectsDir, "the rejects file (--rejects)", "E_REJECTS_PATH");
    const interactive = ctx.output.interactive && Boolean(ctx.stdin.isTTY);
    const progress = createProgressReporter(ctx.output);
    const startedAt = ctx.now();
    let summary: ImportSummary;
    // The summary names the owners table and the rules' child tables from it.
    let projectConfig: ProjectConfig | undefined;
    try {
      const decryption = await resolveDecryptionKeys(args, env, ctx.cwd);
      projectConfig = await resolveConfigOption(args, ctx.cwd);
      // From a store: the data object streams into the import, checked as it passes; no local copy.
      summary = await withSnapshotSource(ctx, env, args, snapshot, (source) => {
        // A store snapshot's dead-letter file goes to the working directory, under the resolved name.
        const rejectsPath =
          args.rejects !== undefined
            ? resolve(ctx.cwd, args.rejects)
            : typeof source !== "string"
              ? resolve(ctx.cwd, `${source.name}${REJECTS_SUFFIX}`)
              : resolveSnapshotPaths(snapshot).rejectsPath;
        return importSnapshot(
          {
            snapshot: source,
            targetUrl: url,
            env,
            allowRemoteTarget,
            mode: args.mode,
            owners: args.owners,
            ...(args.as === undefined ? {} : { as: args.as }),
            ...(user === undefined ? {} : { user }),
            ...(args["create-user"] === undefined ? {} : { createUser: args["create-user"] }),
            yes: args.yes,
            allowCascade: args["allow-cascade"],
            dryRun: args["dry-run"],
            resume: args.resume,
            ...settings,
            rejectsPath,
            schemaDrift: args["schema-drift"],
            projectConfig,
            allowLargeExpansion: args["allow-large-expansion"],
            ...connection,
            decryption,
          },
          {
            now: ctx.now,
            signal: ctx.signal,
            onProgress: progress.update,
            warn: (message) => ctx.output.warn(message),
            ...(interactive
              ? { confirm: (q: string) => askYesNo(ctx, q), chooseUser: (u: TargetUser[]) => askUser(ctx, u) }
              : {}),
          },
        );
      });
    } catch (error) {
      progress.stop();
      await appendAuditRecord(logDir, {
        command: "import",
        status: isBooksnapError(error) && error.category === "interrupted" ? "interrupted" : "failed",
        startedAt: startedAt.toISOString(),
        durationMs: ctx.now().getTime() - startedAt.getTime(),
        database,
        snapshot,
        owners: args.owners,
        as: args.as ?? null,
        error: isBooksnapError(error)
          ? { code: error.code, message: ctx.output.redact(error.message) }
          : { code: "E_UNEXPECTED", message: ctx.output.redact(String((error as Error)?.message ?? error)) },
      }).catch(() => {});
      throw error;
    }
    progress.stop();
    await appendAuditRecord(logDir, {
      command: "import",
      status: summary.dryRun ? "dry-run" : "ok",
      startedAt: startedAt.toISOString(),
      durationMs: summary.durationMs,
      database,
      snapshot,
      owners: summary.owners,
      as: summary.as,
      counts: summary.models,
    }).catch((error: Error) => ctx.output.warn(`could not write the audit log: ${error.message}`));
    // A dry run that found more rejects than allowed reports them, but must not look like success.
    if (!summary.committable) ctx.exitCode = ExitCode.rejected;
    if (summary.user?.created && !summary.dryRun) ctx.output.warn(createdDevUserNotice(summary.user));
    if (ctx.output.json) return ctx.output.result(summary);
    printSummary(ctx, summary, projectConfig);
    if (!summary.committable) {
      ctx.output.warn(
        `a real run would refuse to commit: ${summary.rejected.total} rejected (allowed: ${args["max-rejects"]})`,
      );
    }
  },
});

function printSummary(ctx: CommandContext, s: ImportSummary, config: ProjectConfig | undefined): void {
  const o = ctx.output;
  const forUser = s.user ? ` for ${s.user.email} (id ${s.user.id}${s.user.created ? ", created" : ""})` : "";
  o.line(
    `${s.dryRun ? "dry run (rolled back, nothing changed)" : "imported"} into ${s.target}${forUser}, mode ${s.mode}, ${describeOwnerMode(s)}`,
  );
  const ownersTable = config?.owners?.table;
  const added = s.dryRun ? "would add" : "added";
  for (const [model, c] of Object.entries(s.models)) {
    const renumbered = c.renumbered > 0 ? `, renumbered ${c.renumbered}` : "";
    const note = model === ownersTable ? ` (${describeOwnerRows(s)})` : "";
    o.line(
      `  ${model.padEnd(18)} ${String(c.inSnapshot).padStart(8)} in snapshot: ${added} ${c.imported}, already present ${c.alreadyPresent}, conflicting ${c.conflicting}, combined ${c.combined}, rejected ${c.rejected}${renumbered}${note}`,
    );
  }
  for (const line of describeCombined(s, config)) o.line(`  ${line}`);
  if (s.mode === "replace") {
    // The tables replace deleted from are the app's (table-plan.ts replaceDeletes), named as they are.
    const replaced = Object.entries(s.deleted).map(([table, n]) => `${n} ${table} row(s)`);
    o.line(
      `  replaced: ${replaced.length > 0 ? replaced.join(", ") : "nothing (no table belongs to an owner)"}`,
    );
    if (s.dependents.length > 0) {
      o.line(
        `  ${s.dryRun ? "would also affect" : "also affected"} tables booksnap does not copy: ${describeDependents(s.dependents)}`,
      );
    }
  }
  if (s.rejectsFile) o.line(`  rejected records: ${s.rejected.total} → ${s.rejectsFile}`);
  o.line(
    `  verified: counts and content digests of every imported record; ${s.retried} retried batch(es); ${s.durationMs} ms, ${s.rowsPerSecond} rows/s`,
  );
}

/** The owner mode as the summary's first line says it. */
function describeOwnerMode(s: ImportSummary): string {
  if (s.owners === "collapse") return "owners collapse (every snapshot owner's rows on the dev user)";
  return `owners keep (each snapshot owner a user of its own${s.as ? `, except ${s.as}: the dev user` : ""})`;
}

/** The note on the owners table's line: what became of the snapshot's owner rows. */
function describeOwnerRows(s: ImportSummary): string {
  if (s.owners === "collapse") return "owners remapped onto the dev user";
  return `a user per snapshot owner, an existing user with its email reused${s.as ? `; ${s.as} is the dev user` : ""}`;
}

/**
 * One line per per-owner rule that needed rows combined, then one per child table those rows'
 * children were united in (its counts are the table's totals: a duplicate may also come from
 * collapsing owners).
 */
function describeCombined(s: ImportSummary, config: ProjectConfig | undefined): string[] {
  const lines: string[] = [];
  const children = new Map<string, { column: string; steps: Set<number> }>();
  for (const c of s.combined) {
    lines.push(
      `${s.dryRun ? "would combine" : "combined"} ${c.combined} ${c.table} record(s) into ${c.into} kept row(s) (${c.rule})`,
    );
    const renumber = config?.perOwnerRules.find((r) => r.name === c.rule && r.table === c.table)?.renumber;
    if (!renumber) continue;
    const child = children.get(renumber.table) ?? { column: renumber.column, steps: new Set<number>() };
    child.steps.add(renumber.step);
    children.set(renumber.table, child);
  }
  for (const [table, { column, steps }] of children) {
    const counts = s.models[table];
    if (!counts) continue;
    const [step] = steps;
    const sequence = steps.size === 1 && step !== undefined ? ` ${step}, ${2 * step}, …` : "";
    lines.push(
      `${table}: children of the combined rows united, ${counts.combined} duplicate(s) dropped, ${counts.renumbered} ${column}(s) renumbered${sequence}`,
    );
  }
  return lines;
}

async function askYesNo(ctx: CommandContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.output.stderr });
  try {
    const answer = await rl.question(`${ctx.output.safe(question)} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function askUser(ctx: CommandContext, users: TargetUser[]): Promise<TargetUser> {
  const rl = createInterface({ input: ctx.stdin, output: ctx.output.stderr });
  try {
    users.forEach((u, i) => {
      ctx.output.note(`  ${i + 1}) ${u.email} (id ${u.id})`);
    });
    for (;;) {
      const answer = Number((await rl.question("Who gets the imported books? number: ")).trim());
      const chosen = users[answer - 1];
      if (Number.isInteger(answer) && chosen) return chosen;
    }
  } finally {
    rl.close();
  }
}
