import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { type StoreArgs, withStore, withStoreOptions } from "../cli/store-options.js";
import { loadEnvironment } from "../config/env.js";
import { UsageError } from "../errors.js";
import { parseAge } from "../store/retention.js";
import { formatStorePrefix, parseStorePrefix } from "../store/s3-url.js";

interface PruneArgs extends StoreArgs {
  store: string;
  keep?: number;
  "older-than"?: string;
  "dry-run": boolean;
  "env-file"?: string;
}

export const pruneCommand = (ctx: CommandContext): CommandModule<object, PruneArgs> => ({
  command: "prune <store>",
  describe: "Remove old snapshots from a bucket (never the newest complete one)",
  builder: (y) =>
    withStoreOptions(
      y.positional("store", { type: "string", demandOption: true, describe: "s3://bucket/prefix" }),
    )
      .option("keep", {
        type: "number",
        describe: "Keep the newest N complete snapshots (at least 1 always stays)",
      })
      .option("older-than", {
        type: "string",
        describe: "Only remove snapshots older than this (30d, 12h, 2w)",
      })
      .option("dry-run", {
        type: "boolean",
        default: false,
        describe: "Show what would be removed; remove nothing",
      })
      .option("env-file", { type: "string", describe: "Load variables from this dotenv file first" })
      .example("$0 prune s3://team-snaps/prod --keep 5 --dry-run", "What keeping the newest 5 would remove")
      .example(
        "$0 prune s3://team-snaps/prod --older-than 30d",
        "Remove snapshots older than 30 days",
      ) as never,
  handler: async (args) => {
    const env = loadEnvironment(ctx.env, args["env-file"]);
    const prefix = parseStorePrefix(args.store);
    if (args.keep !== undefined && (!Number.isInteger(args.keep) || args.keep < 1)) {
      throw new UsageError(`--keep ${args.keep} is not a count of snapshots`, {
        code: "E_PRUNE_RULE",
        hint: "--keep takes a whole number, 1 or more.",
      });
    }
    const policy = {
      keep: args.keep,
      olderThanSeconds: args["older-than"] === undefined ? undefined : parseAge(args["older-than"]),
    };
    const { pruneStore } = await import("../store/index.js");
    const plan = await withStore(ctx, env, args, (client) =>
      pruneStore(client, prefix, policy, { dryRun: args["dry-run"], now: ctx.now, signal: ctx.signal }),
    );
    const names = (list: { name: string }[]) => list.map((s) => s.name);
    if (ctx.output.json) {
      return ctx.output.result({
        ok: true,
        dryRun: args["dry-run"],
        removed: names(plan.remove),
        kept: names(plan.keep),
        ignored: names(plan.ignored),
      });
    }
    const verb = args["dry-run"] ? "would remove" : "removed";
    for (const s of plan.remove) ctx.output.line(`${verb} ${s.name} (${s.createdAt})`);
    ctx.output.line(
      `${formatStorePrefix(prefix)}: ${verb} ${plan.remove.length}, kept ${plan.keep.length}${plan.ignored.length > 0 ? `, left ${plan.ignored.length} incomplete or damaged alone` : ""}${args["dry-run"] ? " (dry run: nothing removed)" : ""}`,
    );
  },
});
