import type pg from "pg";
import { type ConnectionSettings, connect, disconnect } from "./db/connect.js";
import { describeLocation } from "./db/url.js";
import { UsageError } from "./errors.js";
import { exportConnectionSettings } from "./export/export.js";
import { classifyQueryError } from "./export/query-errors.js";
import { type CompareOptions, type CompatibilityReport, compareSchemas } from "./schema/compatibility.js";
import { type IntrospectOptions, introspectSchema } from "./schema/introspect.js";
import { manifestTableCounts, type SnapshotManifest } from "./snapshot/manifest.js";
import { snapshotSchemaOf } from "./snapshot/snapshot-schema.js";

/** application_name of the check session, visible to DBAs in pg_stat_activity. */
export const CHECK_APPLICATION_NAME = "booksnap-check";

export interface CheckOptions {
  /** The snapshot's checked manifest (checksum verified by whoever loaded it). */
  manifest: SnapshotManifest;
  /** The snapshot's name or location, for the result. */
  snapshot: string;
  /** Target connection; opened read-only as "booksnap-check", like the export's session. */
  connection: Omit<ConnectionSettings, "readOnly" | "applicationName">;
  compare: CompareOptions;
  /** Which of the target's tables to describe (default: the snapshot's schema name, every table). */
  introspect?: IntrospectOptions;
}

export interface CheckResult {
  snapshot: { name: string; formatVersion: number; tables: number; records: Record<string, number> };
  target: { host: string; port: number; database: string; schema: string; tables: number };
  report: CompatibilityReport;
}

/**
 * The session check opens: the export's read-only settings (default_transaction_read_only=on,
 * URL parameters that would override booksnap's session settings dropped), named booksnap-check.
 */
export function checkConnectionSettings(connection: CheckOptions["connection"]): ConnectionSettings {
  return { ...exportConnectionSettings(connection), applicationName: CHECK_APPLICATION_NAME };
}

/**
 * "Will this snapshot load into that database?": describes the target from its catalog inside a
 * READ ONLY transaction of a read-only session, and compares it with the schema the snapshot was
 * written under. Writes nothing, anywhere.
 */
export async function checkSnapshot(
  options: CheckOptions,
  deps: { signal?: AbortSignal } = {},
): Promise<CheckResult> {
  const snapshotSchema = snapshotSchemaOf(options.manifest);
  const settings = {
    ...exportConnectionSettings(options.connection),
    applicationName: CHECK_APPLICATION_NAME,
  };
  const schema = options.introspect?.schema ?? snapshotSchema.schema;
  const client = await connect(settings, deps.signal);
  const endSession = () => void client.end().catch(() => {});
  deps.signal?.addEventListener("abort", endSession, { once: true });
  let target: Awaited<ReturnType<typeof introspectSchema>>;
  try {
    target = await describeTarget(client, { ...options.introspect, schema }, settings.url);
  } finally {
    deps.signal?.removeEventListener("abort", endSession);
    await disconnect(client);
  }
  const where = describeLocation(settings.url, settings.env);
  const report = compareSchemas(snapshotSchema, target.description, {
    ...options.compare,
    targetUnsupported: target.unsupported,
  });
  return {
    snapshot: {
      name: options.snapshot,
      formatVersion: options.manifest.formatVersion,
      tables: snapshotSchema.tables.length,
      records: manifestTableCounts(options.manifest),
    },
    target: {
      host: where.host,
      port: where.port,
      database: where.database,
      schema,
      tables: target.description.tables.length,
    },
    report,
  };
}

async function describeTarget(client: pg.Client, introspect: IntrospectOptions, url: string) {
  const step = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw classifyQueryError(error, doing, url);
    }
  };
  await step("starting the read-only transaction", () =>
    client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
  );
  const { rows } = await step("checking transaction_read_only", () =>
    client.query<{ transaction_read_only: string }>("SHOW transaction_read_only"),
  );
  if (rows[0]?.transaction_read_only !== "on") {
    throw new UsageError(
      `The check transaction is not read-only (transaction_read_only=${rows[0]?.transaction_read_only}); refusing to read.`,
      {
        code: "E_NOT_READ_ONLY",
        hint: "A proxy or pooler in front of the database may be rewriting session settings; connect directly.",
      },
    );
  }
  const described = await step("describing the target's schema", () => introspectSchema(client, introspect));
  await step("ending the read-only transaction", () => client.query("ROLLBACK"));
  return described;
}
