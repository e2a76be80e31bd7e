import type { Environment } from "../config/env.js";
import { UsageError } from "../errors.js";
import type { ExportResult } from "../export/export.js";
import type { SnapshotSink } from "../snapshot/sink.js";
import { formatStorePrefix, parseStorePrefix } from "../store/s3-url.js";
import type { CommandContext } from "./context.js";
import { type StoreArgs, withStore } from "./store-options.js";

/**
 * `export --out s3://bucket/prefix`: the export streams straight into the store (no local copy).
 * The name is checked free first; whatever goes wrong afterwards, the sink is aborted so the store
 * shows nothing. The result's paths become the store URLs, for the summary and the audit log.
 */
export async function exportToStore(
  ctx: CommandContext,
  env: Environment,
  args: StoreArgs & { out: string; force: boolean },
  name: string,
  run: (sink: SnapshotSink) => Promise<ExportResult>,
): Promise<ExportResult> {
  const prefix = parseStorePrefix(args.out);
  if (args.force) {
    throw new UsageError("--force cannot replace a snapshot in a store", {
      code: "E_USAGE",
      hint: "Snapshots in a store are never overwritten: choose another --name, or remove the old one with 'booksnap prune'.",
    });
  }
  const ref = { ...prefix, name };
  const { createStoreSink, refuseExistingSnapshot } = await import("../store/index.js");
  return withStore(ctx, env, args, async (client) => {
    await refuseExistingSnapshot(client, ref);
    const sink = createStoreSink(client, ref, { signal: ctx.signal });
    let result: ExportResult;
    try {
      result = await run(sink);
    } catch (error) {
      await sink.abort(error);
      throw error;
    }
    return {
      ...result,
      paths: {
        ...result.paths,
        dir: formatStorePrefix(prefix),
        dataPath: sink.location.dataUrl,
        manifestPath: sink.location.manifestUrl,
      },
    };
  });
}
