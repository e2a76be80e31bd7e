import type { CommandModule } from "yargs";
import type { CommandContext } from "../cli/context.js";
import { createProgressReporter } from "../cli/progress.js";
import { loadEnvironment } from "../config/env.js";
import { DEFAULT_PASSPHRASE_ENV, passphraseFromEnv } from "../snapshot/crypto.js";
import { MODEL_NAMES } from "../snapshot/models.js";
import { snapshotFiles } from "../snapshot/paths.js";
import { verifySnapshot } from "../verify/verify.js";

interface VerifyArgs {
  snapshot: string;
  "passphrase-env": string;
  "env-file"?: string;
}

export const verifyCommand = (ctx: CommandContext): CommandModule<object, VerifyArgs> => ({
  command: "verify <snapshot>",
  describe: "Check a snapshot offline: checksums, every record, counts, digests and references",
  builder: (y) =>
    y
      .positional("snapshot", {
        type: "string",
        demandOption: true,
        describe: "The manifest, the data file, or their common path without extensions",
      })
      .option("passphrase-env", {
        type: "string",
        default: DEFAULT_PASSPHRASE_ENV,
        describe: "Environment variable holding the passphrase of an encrypted snapshot",
      })
      .option("env-file", { type: "string", describe: "Load variables from this dotenv file first" })
      .example("$0 verify snapshots/booksnap-20260101T000000Z", "Verify before importing or sharing")
      .example("$0 verify snapshots/alice.manifest.json --json", "Machine-readable result") as never,
  handler: async (args) => {
    const progress = createProgressReporter(ctx.output, "lines");
    let result: Awaited<ReturnType<typeof verifySnapshot>>;
    try {
      const env = loadEnvironment(ctx.env, args["env-file"]);
      result = await verifySnapshot(args.snapshot, {
        onProgress: progress.update,
        signal: ctx.signal,
        passphrase: () => passphraseFromEnv(env, args["passphrase-env"]),
        warn: (message) => ctx.output.warn(message),
      });
    } finally {
      progress.stop();
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
      `${result.paths.name}: OK (${result.lines.toLocaleString("en-US")} records: ${MODEL_NAMES.map((m) => `${m} ${result.counts[m]}`).join(", ")})`,
    );
    ctx.output.line(
      "  manifest checksum, data SHA-256, every record, counts, digests and references verified",
    );
  },
});
