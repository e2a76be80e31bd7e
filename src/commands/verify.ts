import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import {
  type DecryptionArgs,
  resolveDecryptionKeys,
  withDecryptionOptions,
} from "../cli/encryption-options.js";
import { createProgressReporter } from "../cli/progress.js";
import { localSnapshotFor, type StoreArgs, withStoreOptions } from "../cli/store-options.js";
import { loadEnvironment } from "../config/env.js";
import { snapshotFiles } from "../snapshot/paths.js";
import { isStoreUrl, parseStoreSnapshotRef, storeSnapshotUrls } from "../store/s3-url.js";
import { verifySnapshot } from "../verify/verify.js";

interface VerifyArgs extends StoreArgs, DecryptionArgs {
  snapshot: string;
  "env-file"?: string;
}

export const verifyCommand = (ctx: CommandContext): CommandModule<object, VerifyArgs> => ({
  command: "verify <snapshot>",
  describe: "Check a snapshot offline: checksums, every record, counts, digests and references",
  builder: (y) =>
    withDecryptionOptions(withStoreOptions(y))
      .positional("snapshot", {
        type: "string",
        demandOption: true,
        describe: "The manifest, the data file, their common path, or s3://bucket/prefix/<name|latest>",
      })
      .option("env-file", { type: "string", describe: "Load variables from this dotenv file first" })
      .example("$0 verify snapshots/booksnap-20260101T000000Z", "Verify before importing or sharing")
      .example("$0 verify snapshots/alice.manifest.json --json", "Machine-readable result") as never,
  handler: async (args) => {
    const progress = createProgressReporter(ctx.output, "lines");
    let result: Awaited<ReturnType<typeof verifySnapshot>>;
    let local: Awaited<ReturnType<typeof localSnapshotFor>> | undefined;
    try {
      const env = loadEnvironment(ctx.env, args["env-file"]);
      // From a store: the private copy is size- and SHA-256-checked while it downloads, then verified.
      local = await localSnapshotFor(ctx, env, args, args.snapshot);
      result = await verifySnapshot(local.path, {
        onProgress: progress.update,
        signal: ctx.signal,
        keys: await resolveDecryptionKeys(args, env, ctx.cwd),
        warn: (message) => ctx.output.warn(message),
      });
    } finally {
      progress.stop();
      await local?.dispose();
    }
    if (isStoreUrl(args.snapshot)) {
      const ref = { ...parseStoreSnapshotRef(args.snapshot), name: result.paths.name };
      result = { ...result, paths: { ...result.paths, ...storeSnapshotUrls(ref) } };
    }
    if (ctx.output.json) {
      ctx.output.result({
        ok: true,
        snapshot: snapshotFiles(result.paths),
        formatVersion: result.manifest.formatVersion,
        lines: result.lines,
        counts: result.counts,
        sha256: result.manifest.data.sha256,
      });
      return;
    }
    ctx.output.line(
      `${result.paths.name}: OK (${result.lines.toLocaleString("en-US")} records: ${Object.entries(
        result.counts,
      )
        .map(([table, count]) => `${table} ${count}`)
        .join(", ")})`,
    );
    ctx.output.line(
      "  manifest checksum, data SHA-256, every record, counts, digests and references verified",
    );
  },
});
