import { access, mkdir } from "node:fs/promises";
import { relative, resolve } from "node:path";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { type StoreArgs, withStore, withStoreOptions } from "../cli/store-options.js";
import { loadEnvironment } from "../config/env.js";
import { UsageError } from "../errors.js";
import { snapshotPaths } from "../snapshot/paths.js";
import { parseStoreSnapshotRef } from "../store/s3-url.js";

interface PullArgs extends StoreArgs {
  snapshot: string;
  dir: string;
  force: boolean;
  "env-file"?: string;
}

export const pullCommand = (ctx: CommandContext): CommandModule<object, PullArgs> => ({
  command: "pull <snapshot> [dir]",
  describe:
    "Download a snapshot from a bucket (s3://bucket/prefix/<name|latest>), checked against its manifest",
  builder: (y) =>
    withStoreOptions(
      y
        .positional("snapshot", {
          type: "string",
          demandOption: true,
          describe: "s3://bucket/prefix/<name> or …/latest",
        })
        .positional("dir", {
          type: "string",
          default: "snapshots",
          describe: "Directory for the snapshot files",
        }),
    )
      .option("force", { type: "boolean", default: false, describe: "Replace a local snapshot of that name" })
      .option("env-file", { type: "string", describe: "Load variables from this dotenv file first" })
      .example(
        "$0 pull s3://team-snaps/prod/latest",
        "Download the newest complete snapshot into ./snapshots",
      ) as never,
  handler: async (args) => {
    const env = loadEnvironment(ctx.env, args["env-file"]);
    const ref = parseStoreSnapshotRef(args.snapshot);
    const dir = resolve(ctx.cwd, args.dir);
    const { downloadSnapshot, resolveRef } = await import("../store/index.js");
    const { paths, manifest } = await withStore(ctx, env, args, async (client) => {
      const resolved = await resolveRef(client, ref, ctx.signal);
      const target = snapshotPaths(dir, resolved.name);
      for (const path of args.force ? [] : [target.manifestPath, target.dataPath]) {
        if (
          await access(path).then(
            () => true,
            () => false,
          )
        ) {
          throw new UsageError(`A snapshot named '${resolved.name}' already exists in ${dir}`, {
            code: "E_SNAPSHOT_EXISTS",
            hint: "Pull into another directory, or pass --force to replace it.",
          });
        }
      }
      await mkdir(dir, { recursive: true });
      return downloadSnapshot(client, resolved, dir, ctx.signal);
    });
    if (ctx.output.json) {
      return ctx.output.result({
        ok: true,
        name: paths.name,
        manifestPath: paths.manifestPath,
        dataPath: paths.dataPath,
        bytes: manifest.data.bytes,
        sha256: manifest.data.sha256,
      });
    }
    ctx.output.line(
      `pulled ${paths.name} (${manifest.data.bytes.toLocaleString("en-US")} bytes, SHA-256 checked)`,
    );
    ctx.output.line(`  manifest: ${relative(ctx.cwd, paths.manifestPath) || paths.manifestPath}`);
  },
});
