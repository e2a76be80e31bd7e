import { resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { CommandModule } from "yargs";
import { appendAuditRecord } from "../audit.js";
import { type ConnectionArgs, resolveConnection, withConnectionOptions } from "../cli/connection-options.js";
import type { CommandContext } from "../cli/context.js";
import { createProgressReporter } from "../cli/progress.js";
import { intSetting } from "../config/env.js";
import { describeLocation } from "../db/url.js";
import { ExitCode, isBooksnapError, UsageError } from "../errors.js";
import { abortImport, DEFAULT_BATCH_SIZE, type ImportSummary, importSnapshot } from "../import/import.js";
import type { TargetUser } from "../import/owner.js";
import { DEFAULT_PASSPHRASE_ENV, passphraseFromEnv } from "../snapshot/crypto.js";

interface ImportArgs extends ConnectionArgs {
  snapshot?: string;
  "allow-remote-target": boolean;
  mode: "replace" | "merge";
  user?: string;
  "create-user"?: string;
  yes: boolean;
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
  "passphrase-env": string;
  "allow-large-expansion": boolean;
}

/** Default statement_timeout per batch when neither the flag nor SYNC_TIMEOUT_MS is set. */
const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;

export const importCommand = (ctx: CommandContext): CommandModule<object, ImportArgs> => ({
  command: "import [snapshot]",
  describe: "Load a snapshot into your development database (validated, resumable, all-or-nothing, verified)",
  builder: (y) =>
    withConnectionOptions(
      y.positional("snapshot", {
        type: "string",
        describe: "The snapshot: <name>.manifest.json, <name>.ndjson.zst, or the path without extensions",
      }),
      "target",
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
          "replace: your books and lists become the snapshot's; merge: add what is missing (by isbn13)",
      })
      .option("user", {
        type: "string",
        describe: "Dev user (email or id) who gets the imported books and lists",
      })
      .option("create-user", {
        type: "string",
        describe: "Create this dev user (email) if it does not exist",
      })
      .option("yes", {
        type: "boolean",
        default: false,
        describe: "Replace existing dev data without asking",
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
        default: "refuse" as const,
        describe:
          "tolerate: drop snapshot fields the target lacks; new target columns must be nullable or have defaults",
      })
      .option("statement-timeout", {
        type: "number",
        describe: `statement_timeout per batch (ms; default SYNC_TIMEOUT_MS or ${DEFAULT_STATEMENT_TIMEOUT_MS})`,
      })
      .option("lock-timeout", { type: "number", default: 10_000, describe: "lock_timeout (ms)" })
      .option("log-dir", { type: "string", default: "logs", describe: "Directory of the audit log" })
      .option("passphrase-env", {
        type: "string",
        default: DEFAULT_PASSPHRASE_ENV,
        describe: "Environment variable holding an encrypted snapshot's passphrase",
      })
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
      .example("$0 import snap --resume", "Continue an import that was interrupted")
      .example("$0 import --abort", "Discard an interrupted import") as never,
  handler: async (args) => {
    const { env, url, ...connection } = resolveConnection(ctx, args, "target");
    const where = describeLocation(url);
    const database = `${where.host}:${where.port}/${where.database}`;
    if (args.abort) {
      const { discarded } = await abortImport({ targetUrl: url, ...connection });
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
    const snapshot = resolve(ctx.cwd, args.snapshot);
    const logDir = resolve(ctx.cwd, args["log-dir"]);
    const interactive = ctx.output.interactive && Boolean(ctx.stdin.isTTY);
    const progress = createProgressReporter(ctx.output);
    const startedAt = ctx.now();
    let summary: ImportSummary;
    try {
      const passphrase = env[args["passphrase-env"]]
        ? passphraseFromEnv(env, args["passphrase-env"])
        : undefined;
      summary = await importSnapshot(
        {
          snapshot,
          targetUrl: url,
          allowRemoteTarget: args["allow-remote-target"],
          mode: args.mode,
          ...(args.user === undefined ? {} : { user: args.user }),
          ...(args["create-user"] === undefined ? {} : { createUser: args["create-user"] }),
          yes: args.yes,
          dryRun: args["dry-run"],
          resume: args.resume,
          maxRejects: intSetting(args["max-rejects"], env, "--max-rejects", 0),
          batchSize: intSetting(args["batch-size"], env, "SYNC_BATCH_SIZE", DEFAULT_BATCH_SIZE, { min: 1 }),
          ...(args.rejects === undefined ? {} : { rejectsPath: resolve(ctx.cwd, args.rejects) }),
          schemaDrift: args["schema-drift"],
          retry: {
            maxRetries: intSetting(args["max-retries"], env, "SYNC_MAX_RETRIES", 3, { max: 100 }),
            baseDelayMs: intSetting(args["retry-delay"], env, "--retry-delay", 500),
          },
          statementTimeoutMs: intSetting(
            args["statement-timeout"],
            env,
            "SYNC_TIMEOUT_MS",
            DEFAULT_STATEMENT_TIMEOUT_MS,
          ),
          lockTimeoutMs: intSetting(args["lock-timeout"], env, "--lock-timeout", 10_000),
          allowLargeExpansion: args["allow-large-expansion"],
          ...connection,
          ...(passphrase === undefined ? {} : { passphrase }),
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
    } catch (error) {
      progress.stop();
      await appendAuditRecord(logDir, {
        command: "import",
        status: isBooksnapError(error) && error.category === "interrupted" ? "interrupted" : "failed",
        startedAt: startedAt.toISOString(),
        durationMs: ctx.now().getTime() - startedAt.getTime(),
        database,
        snapshot,
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
      counts: summary.models,
    }).catch((error: Error) => ctx.output.warn(`could not write the audit log: ${error.message}`));
    // A dry run that found more rejects than allowed reports them, but must not look like success.
    if (!summary.committable) ctx.exitCode = ExitCode.rejected;
    if (ctx.output.json) return ctx.output.result(summary);
    printSummary(ctx, summary);
    if (!summary.committable) {
      ctx.output.warn(
        `a real run would refuse to commit: ${summary.rejected.total} rejected (allowed: ${args["max-rejects"]})`,
      );
    }
  },
});

function printSummary(ctx: CommandContext, s: ImportSummary): void {
  const o = ctx.output;
  o.line(
    `${s.dryRun ? "dry run (rolled back, nothing changed)" : "imported"} into ${s.target} for ${s.user.email} (id ${s.user.id}${s.user.created ? ", created" : ""}), mode ${s.mode}`,
  );
  for (const [model, c] of Object.entries(s.models)) {
    const verb = s.dryRun ? "would import" : "imported";
    o.line(
      `  ${model.padEnd(18)} ${String(c.inSnapshot).padStart(8)} in snapshot, ${verb} ${c.imported}, skipped ${c.skipped}, rejected ${c.rejected}${model === "User" ? " (owners remapped onto the dev user)" : ""}`,
    );
  }
  if (s.mode === "replace") {
    o.line(
      `  replaced: ${s.deleted.Book} book(s), ${s.deleted.ReadingList} list(s), ${s.deleted.BookInReadingList} entr(ies)`,
    );
  }
  if (s.rejectsFile) o.line(`  rejected records: ${s.rejected.total} → ${s.rejectsFile}`);
  o.line(
    `  verified: counts and content digests of every imported record; ${s.retried} retried batch(es); ${s.durationMs} ms, ${s.rowsPerSecond} rows/s`,
  );
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
