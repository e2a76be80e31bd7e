import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { type StoreArgs, withStore, withStoreOptions } from "../cli/store-options.js";
import { loadEnvironment } from "../config/env.js";
import { resolveSnapshotPaths } from "../snapshot/paths.js";
import { parseStorePrefix } from "../store/s3-url.js";
import { checkDataFile, loadManifest } from "../verify/data-file.js";

interface PushArgs extends StoreArgs {
  snapshot: string;
  store: string;
  "env-file"?: string;
}

export const pushCommand = (ctx: CommandContext): CommandModule<object, PushArgs> => ({
  command: "push <snapshot> <store>",
  describe: "Upload an existing snapshot to a bucket (s3://bucket/prefix); the manifest goes last",
  builder: (y) =>
    withStoreOptions(
      y
        .positional("snapshot", { type: "string", demandOption: true, describe: "The local snapshot" })
        .positional("store", { type: "string", demandOption: true, describe: "s3://bucket/prefix" }),
    )
      .option("env-file", { type: "string", describe: "Load variables from this dotenv file first" })
      .example(
        "$0 push snapshots/alice s3://team-snaps/prod",
        "Share a snapshot through the team bucket",
      ) as never,
  handler: async (args) => {
    const env = loadEnvironment(ctx.env, args["env-file"]);
    const prefix = parseStorePrefix(args.store);
    const paths = resolveSnapshotPaths(resolve(ctx.cwd, args.snapshot));
    const manifest = await loadManifest(paths);
    // Never share a damaged file: size and SHA-256 are checked before the first byte leaves.
    await checkDataFile(paths.dataPath, manifest.data);
    const manifestText = await readFile(paths.manifestPath, "utf8");
    const { pushSnapshotFiles } = await import("../store/index.js");
    const location = await withStore(ctx, env, args, (client) =>
      pushSnapshotFiles(
        client,
        { ...prefix, name: paths.name },
        { dataPath: paths.dataPath, manifestText, bytes: manifest.data.bytes, sha256: manifest.data.sha256 },
        { signal: ctx.signal },
      ),
    );
    if (ctx.output.json)
      return ctx.output.result({ ok: true, name: paths.name, bytes: manifest.data.bytes, ...location });
    ctx.output.line(`pushed ${paths.name} (${manifest.data.bytes.toLocaleString("en-US")} bytes)`);
    ctx.output.line(`  data:     ${location.dataUrl}`);
    ctx.output.line(`  manifest: ${location.manifestUrl}`);
  },
});
