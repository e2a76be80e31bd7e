import type { S3Client } from "@aws-sdk/client-s3";
import type { Argv } from "yargs";
import type { Environment } from "../config/env.js";
import type { SnapshotSource } from "../snapshot/data-source.js";
import { isStoreUrl, parseStoreSnapshotRef } from "../store/s3-url.js";
import { resolveStoreSettings, storeSecrets } from "../store/settings.js";
import type { CommandContext } from "./context.js";

export interface StoreArgs {
  endpoint?: string;
}

/** --endpoint, for commands that accept s3:// locations. */
export function withStoreOptions<T>(y: Argv<T>) {
  return y.option("endpoint", {
    type: "string",
    describe:
      "S3-compatible endpoint for s3:// locations (default BOOKSNAP_S3_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS S3)",
  });
}

/**
 * Opens the store client for one command and runs `use` with it; the client's sockets are
 * released afterwards. The credentials are registered for redaction before any request.
 */
export async function withStore<T>(
  ctx: CommandContext,
  env: Environment,
  args: StoreArgs,
  use: (client: S3Client) => Promise<T>,
): Promise<T> {
  for (const secret of storeSecrets(env)) ctx.output.protectUrl(secret);
  const settings = resolveStoreSettings(env, { endpoint: args.endpoint });
  const { createStoreClient } = await import("../store/index.js");
  const client = createStoreClient(settings);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/**
 * For commands that read a snapshot (import, verify): an s3:// snapshot becomes a verified private
 * local copy, downloaded while hashed; a local path is left as it is (nothing to dispose).
 */
export async function localSnapshotFor(
  ctx: CommandContext,
  env: Environment,
  args: StoreArgs,
  snapshot: string,
): Promise<{ path: string; name: string | undefined; dispose: () => Promise<void> }> {
  if (!isStoreUrl(snapshot)) return { path: snapshot, name: undefined, dispose: async () => {} };
  const ref = parseStoreSnapshotRef(snapshot);
  const { privateStoreCopy } = await import("../store/index.js");
  const copy = await withStore(ctx, env, args, (client) => privateStoreCopy(client, ref, ctx.signal));
  return { path: copy.paths.manifestPath, name: copy.paths.name, dispose: copy.dispose };
}

/**
 * For import: runs `use` with the snapshot argument as importSnapshot takes it. A local path is
 * passed on; an s3:// snapshot becomes a SnapshotSource (manifest fetched and checked, data
 * streamed while it is read) whose store client lives until `use` returns.
 */
export async function withSnapshotSource<T>(
  ctx: CommandContext,
  env: Environment,
  args: StoreArgs,
  snapshot: string,
  use: (source: string | SnapshotSource) => Promise<T>,
): Promise<T> {
  if (!isStoreUrl(snapshot)) return use(snapshot);
  const ref = parseStoreSnapshotRef(snapshot);
  const { openStoreSnapshot } = await import("../store/index.js");
  return withStore(ctx, env, args, async (client) => use(await openStoreSnapshot(client, ref, ctx.signal)));
}
