import { relative, resolve } from "node:path";
import type { CommandModule } from "yargs";
import { appendAuditRecord } from "../audit.js";
import { type ConfigArgs, resolveConfigOption, withConfigOption } from "../cli/config-option.js";
import { type ConnectionArgs, resolveConnection, withConnectionOptions } from "../cli/connection-options.js";
import type { CommandContext } from "../cli/context.js";
import {
  type EncryptionArgs,
  resolveEncryptionKeys,
  withEncryptionOptions,
} from "../cli/encryption-options.js";
import { exportToStore } from "../cli/export-to-store.js";
import { createProgressReporter } from "../cli/progress.js";
import { type StoreArgs, withStoreOptions } from "../cli/store-options.js";
import { intSetting } from "../config/env.js";
import { MAX_TIMEOUT_MS } from "../config/limits.js";
import { type RedactionKey, resolveRedactionKey } from "../config/redaction-key.js";
import { SOURCE_URL_ENV } from "../config/source-url.js";
import { describeLocation } from "../db/url.js";
import { isBooksnapError } from "../errors.js";
import { type ExportResult, exportSnapshot } from "../export/export.js";
import { DEFAULT_COMPRESSION_LEVEL } from "../snapshot/data-writer.js";
import { defaultSnapshotName, snapshotFiles } from "../snapshot/paths.js";
import type { SnapshotSink } from "../snapshot/sink.js";
import { isStoreUrl } from "../store/s3-url.js";
import { assertWritableDir } from "../writable-dir.js";

interface ExportArgs extends ConnectionArgs, StoreArgs, EncryptionArgs, ConfigArgs {
  "statement-timeout"?: number;
  "lock-timeout": number;
  owner?: string[];
  where?: string[];
  redact: boolean;
  out: string;
  name?: string;
  force: boolean;
  "compression-level": number;
  "log-dir": string;
}

/** Default statement_timeout when neither the flag nor SYNC_TIMEOUT_MS is set (the old script's value). */
const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export const exportCommand = (ctx: CommandContext): CommandModule<object, ExportArgs> => ({
  command: "export",
  describe: "Read the source database (read-only, one consistent snapshot) into a verified snapshot file",
  builder: (y) =>
    withConfigOption(withEncryptionOptions(withStoreOptions(withConnectionOptions(y, "source"))))
      .option("statement-timeout", {
        type: "number",
        describe: `statement_timeout per query (ms; default SYNC_TIMEOUT_MS or ${DEFAULT_STATEMENT_TIMEOUT_MS}; 0 = none)`,
      })
      .option("lock-timeout", { type: "number", default: 5_000, describe: "lock_timeout (ms; 0 = none)" })
      .option("owner", {
        type: "string",
        array: true,
        describe: "Only this owner's data (owner id or email; owners table from the config); repeatable",
      })
      .option("where", {
        type: "string",
        array: true,
        describe: "Only the rows of a table matching an SQL predicate: 'Table: <predicate>'; repeatable",
      })
      .option("redact", {
        type: "boolean",
        default: true,
        describe:
          "Apply the config's redaction rules (--no-redact keeps every value; key: BOOKSNAP_REDACTION_KEY, else a per-user key generated in ~/.config/booksnap)",
      })
      .option("out", {
        type: "string",
        default: "snapshots",
        describe: "Directory for the snapshot files, or s3://bucket/prefix",
      })
      .option("name", { type: "string", describe: "Snapshot name (default booksnap-<UTC timestamp>)" })
      .option("force", {
        type: "boolean",
        default: false,
        describe: "Replace an existing snapshot of that name",
      })
      .option("compression-level", {
        type: "number",
        default: DEFAULT_COMPRESSION_LEVEL,
        describe: "zstd level, 1-19 (higher: smaller snapshot, slower export; see docs/benchmarks.md)",
      })
      .option("log-dir", { type: "string", default: "logs", describe: "Directory of the audit log" })
      .example(
        "$0 export --env-file .env.production",
        "Export everything from DEWEY_DB_DATABASE_URL_READONLY",
      )
      .example(
        "$0 export --owner reader@example.com --owner 42 --name alice",
        "Export two owners' books and lists (plus books their lists reference)",
      )
      .example(
        "$0 export --from-env PROD_URL --tls verify-full --json",
        "Verify the server certificate; JSON summary",
      )
      .example(
        "$0 export --recipients-file team.txt",
        "Encrypt for each teammate's age public key (they import with --identity)",
      ) as never,
  handler: async (args) => {
    const { env, urlFrom, urlFallback, ...connection } = resolveConnection(ctx, args, "source");
    if (urlFallback) ctx.output.note(fallbackNote(urlFrom));
    const where = describeLocation(connection.url, env);
    const database = `${where.host}:${where.port}/${where.database}`;
    // Resolved only when used: --no-redact creates no key file.
    const key = args.redact ? await resolveRedactionKey(env) : null;
    const encryption = await resolveEncryptionKeys(args, env, ctx.cwd);
    const compressionLevel = intSetting(
      args["compression-level"],
      env,
      "--compression-level",
      DEFAULT_COMPRESSION_LEVEL,
      { min: 1, max: 19 },
    );
    const config = await resolveConfigOption(args, ctx.cwd);
    const name = args.name ?? defaultSnapshotName(ctx.now());
    const logDir = resolve(ctx.cwd, args["log-dir"]);
    const statementTimeoutMs = intSetting(
      args["statement-timeout"],
      env,
      "SYNC_TIMEOUT_MS",
      DEFAULT_STATEMENT_TIMEOUT_MS,
      { max: MAX_TIMEOUT_MS },
    );
    const lockTimeoutMs = intSetting(args["lock-timeout"], env, "--lock-timeout", 5_000, {
      max: MAX_TIMEOUT_MS,
    });
    await assertWritableDir(logDir, "the audit log (--log-dir)", "E_LOG_DIR");
    const startedAt = ctx.now();
    const progress = createProgressReporter(ctx.output);
    let result: ExportResult;
    const run = (sink?: SnapshotSink) =>
      exportSnapshot(
        {
          connection: { ...connection, env, statementTimeoutMs, lockTimeoutMs },
          outDir: resolve(ctx.cwd, args.out),
          name,
          force: args.force,
          config,
          owners: args.owner ?? [],
          where: args.where ?? [],
          redactionKey: key ? key.key : null,
        },
        {
          now: ctx.now,
          onProgress: progress.update,
          signal: ctx.signal,
          warn: (message) => ctx.output.warn(message),
          writer: { compressionLevel, ...(encryption ? { encryption } : {}), ...(sink ? { sink } : {}) },
        },
      );
    try {
      result = isStoreUrl(args.out) ? await exportToStore(ctx, env, args, name, run) : await run();
    } catch (error) {
      progress.stop();
      await appendAuditRecord(logDir, {
        command: "export",
        status: isBooksnapError(error) && error.category === "interrupted" ? "interrupted" : "failed",
        startedAt: startedAt.toISOString(),
        durationMs: ctx.now().getTime() - startedAt.getTime(),
        database,
        snapshot: name,
        error: {
          code: isBooksnapError(error) ? error.code : "E_UNEXPECTED",
          message: ctx.output.redact(error instanceof Error ? error.message : String(error)),
        },
      }).catch((auditError: Error) =>
        ctx.output.warn(`could not write the audit log: ${auditError.message}`),
      );
      throw error;
    }
    progress.stop();
    await appendAuditRecord(logDir, {
      command: "export",
      status: "ok",
      startedAt: startedAt.toISOString(),
      durationMs: result.durationMs,
      database,
      snapshot: result.paths.name,
      counts: { ...result.counts, addedByReference: result.manifest.filters.addedByReference },
    });
    printSummary(ctx, result, database, key, urlFrom);
  },
});

function printSummary(
  ctx: CommandContext,
  result: ExportResult,
  database: string,
  key: RedactionKey | null,
  urlFrom: string,
): void {
  const { manifest } = result;
  if (ctx.output.json) {
    ctx.output.result({
      ok: true,
      sourceUrlFrom: urlFrom,
      snapshot: snapshotFiles(result.paths),
      source: manifest.source,
      counts: result.counts,
      rows: result.rows,
      bytes: manifest.data.bytes,
      uncompressedBytes: manifest.data.uncompressedBytes,
      durationMs: result.durationMs,
      rowsPerSecond: result.rowsPerSecond,
      filters: manifest.filters,
      redaction: manifest.redaction,
      removedTempFiles: result.removedTempFiles,
    });
    return;
  }
  const show = (path: string) => (isStoreUrl(path) ? path : relative(ctx.cwd, path) || path);
  const n = (value: number) => value.toLocaleString("en-US");
  ctx.output.line(
    `exported ${n(result.rows)} rows from ${database} in ${(result.durationMs / 1000).toFixed(1)} s (${n(result.rowsPerSecond)} rows/s)`,
  );
  ctx.output.line(
    `  ${Object.entries(result.counts)
      .map(([table, count]) => `${table} ${n(count)}`)
      .join(", ")}`,
  );
  const { filters } = manifest;
  if (filters.owners.length > 0 || filters.where.length > 0) {
    const added = Object.entries(filters.addedByReference).map(([table, count]) => `${table} ${n(count)}`);
    const subset = [
      ...filters.owners.map((o) => `owner ${o}`),
      ...filters.where.map((w) => `${w.table}: ${w.predicate}`),
    ];
    ctx.output.line(
      `  subset: ${subset.join("; ")}; added because selected rows reference them: ${added.length > 0 ? added.join(", ") : "none"}`,
    );
  }
  ctx.output.line(
    `  data:     ${show(result.paths.dataPath)} (${n(manifest.data.bytes)} bytes, ${n(manifest.data.uncompressedBytes)} uncompressed)`,
  );
  ctx.output.line(`  manifest: ${show(result.paths.manifestPath)}`);
  for (const path of result.removedTempFiles) {
    ctx.output.line(`  removed ${show(path)}: a temporary file left by an export that was killed`);
  }
  ctx.output.line(
    manifest.redaction.mode === "none"
      ? "  user PII: kept as is (--no-redact); treat this snapshot as production data"
      : `  user PII: pseudonymised, key id ${manifest.redaction.keyId} (${key?.source === "env" ? "BOOKSNAP_REDACTION_KEY" : `key file ${key?.path}`})`,
  );
}

/** Said on stderr (also with --json) whenever export used the app's variable instead of its own. */
function fallbackNote(variable: string): string {
  return `reading the source URL from ${variable} (${SOURCE_URL_ENV} is not set); the export session is read-only either way, and a read-only role makes it safer still: see docs/readonly-role.md`;
}
