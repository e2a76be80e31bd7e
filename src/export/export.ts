import { access } from "node:fs/promises";
import type pg from "pg";
import type { ProgressCallback } from "../cli/progress.js";
import { clampTimeout } from "../config/limits.js";
import { redactionKeyId } from "../config/redaction-key.js";
import {
  type ConnectionSettings,
  connect,
  disconnect,
  resolveTlsMode,
  SESSION_OVERRIDE_PARAMS,
} from "../db/connect.js";
import {
  describeLiveSchema,
  diffSchemas,
  expectedSchema,
  formatSchemaDifference,
} from "../db/schema-inspect.js";
import { describeLocation, parseDatabaseUrl } from "../db/url.js";
import { ConnectionError, InterruptedError, SchemaMismatchError, UsageError } from "../errors.js";
import { removeAbandonedTempFiles } from "../fs/temp-files.js";
import { manifestCounts, type SnapshotManifestV1 as SnapshotManifest } from "../snapshot/manifest.js";
import { MODELS, type ModelName, type ModelSpec, totalCount } from "../snapshot/models.js";
import { isSnapshotFileName, type SnapshotPaths, snapshotPaths } from "../snapshot/paths.js";
import type { SnapshotWriteOptions } from "../snapshot/snapshot-writer.js";
import {
  type OutgoingRecord,
  type OutgoingRecords,
  type RenderedRecords,
  snapshotExistsError,
  writeSnapshot,
} from "../snapshot/snapshot-writer.js";
import { assertWritableDir } from "../writable-dir.js";
import { classifyQueryError } from "./query-errors.js";
import { DEFAULT_FETCH_ROWS, readInBatches } from "./read-model.js";
import { DEFAULT_PAGE_ROWS, readRendered } from "./read-rendered.js";
import { createRedactor, REDACTED_USER_FIELDS, type Redactor } from "./redact.js";
import {
  countReferencedBooksAdded,
  countSelected,
  parseOwnerRefs,
  resolveOwners,
  type Selection,
  selectQuery,
} from "./selection.js";

/** Slack over statement_timeout before the client gives up on a silent connection. */
const READ_TIMEOUT_MARGIN_MS = 5_000;

const INTERRUPTED_MESSAGE = "Export interrupted; no snapshot was written.";

/** application_name of the export session, visible to DBAs in pg_stat_activity. */
export const EXPORT_APPLICATION_NAME = "booksnap-export";

export interface ExportOptions {
  /** Source connection. The export always opens it read-only as "booksnap-export". */
  connection: Omit<ConnectionSettings, "readOnly" | "applicationName">;
  /** Directory the snapshot files go to (created if missing). */
  outDir: string;
  /** Snapshot name: file names are <name>.ndjson.zst and <name>.manifest.json. */
  name: string;
  /** Replace an existing snapshot of the same name. */
  force?: boolean;
  /** --owner values (user ids or emails); empty or absent exports everything. */
  owners?: readonly string[];
  /** HMAC key for pseudonymising user PII, or null to keep PII (--no-redact). */
  redactionKey: string | null;
  /**
   * Rows per read round trip: a cursor FETCH for rows read into JS (default DEFAULT_FETCH_ROWS),
   * one COPY statement for rows PostgreSQL renders (default DEFAULT_PAGE_ROWS).
   */
  fetchRows?: number;
}

export interface ExportDeps {
  /** Clock for createdAt and durations. */
  now: () => Date;
  /** Called after each fetched batch; awaited. */
  onProgress?: ProgressCallback;
  /** Abort (Ctrl-C): the export stops after the current batch, leaving no partial files. */
  signal?: AbortSignal;
  /** Data writer settings; test seam for a failing disk. */
  writer?: SnapshotWriteOptions;
}

export interface ExportResult {
  paths: SnapshotPaths;
  manifest: SnapshotManifest;
  counts: Record<ModelName, number>;
  rows: number;
  durationMs: number;
  rowsPerSecond: number;
  /** Temporary files of killed runs (holding rows) found in the output directory and removed. */
  removedTempFiles: string[];
}

/** The exact connection settings an export opens its one session with. */
export function exportConnectionSettings(connection: ExportOptions["connection"]): ConnectionSettings {
  const url = parseDatabaseUrl(connection.url);
  const overridden = SESSION_OVERRIDE_PARAMS.filter((key) => url.searchParams.has(key));
  for (const key of overridden) url.searchParams.delete(key);
  return {
    ...connection,
    url: overridden.length > 0 ? url.toString() : connection.url,
    readOnly: true,
    applicationName: EXPORT_APPLICATION_NAME,
  };
}

/**
 * Reads the source strictly read-only, in one REPEATABLE READ READ ONLY transaction on one
 * connection, streaming every model in foreign-key order through a server-side cursor into a
 * snapshot (data file first, manifest last).
 */
export async function exportSnapshot(options: ExportOptions, deps: ExportDeps): Promise<ExportResult> {
  const started = deps.now().getTime();
  const paths = snapshotPaths(options.outDir, options.name);
  // A store destination checks its own name clash (src/store/upload.ts) before the export starts.
  const toStore = deps.writer?.sink !== undefined;
  if (!toStore) {
    // --out must be a writable directory or creatable; checked before connecting (exit 9).
    await assertWritableDir(options.outDir, "the snapshot (--out)", "E_OUT_DIR");
    await refuseOverwrite(paths, options.force ?? false);
  }
  const removedTempFiles = toStore ? [] : await removeAbandonedTempFiles(paths.dir, isSnapshotFileName);
  const ownerRefs = parseOwnerRefs(options.owners ?? []);
  const settings = exportConnectionSettings(options.connection);
  const url = settings.url;
  const location = describeLocation(url, settings.env);
  const redactor = options.redactionKey === null ? null : createRedactor(options.redactionKey);
  const keyId = options.redactionKey === null ? null : redactionKeyId(options.redactionKey);

  const client = await connect(settings, deps.signal);
  // Until rows stream (that loop stops between batches), Ctrl-C ends the session at once: a
  // schema query or a count can wait on a lock or a busy server for up to statement_timeout.
  const endSession = () => void client.end().catch(() => {});
  deps.signal?.addEventListener("abort", endSession, { once: true });
  try {
    const step = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
      if (deps.signal?.aborted) throw new InterruptedError(INTERRUPTED_MESSAGE);
      try {
        return await fn();
      } catch (error) {
        if (deps.signal?.aborted) throw new InterruptedError(INTERRUPTED_MESSAGE, { cause: error });
        throw classifyQueryError(error, doing, url);
      }
    };
    await step("starting the read-only transaction", () =>
      client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
    );
    await step("checking transaction_read_only", () => assertReadOnlyTransaction(client));
    await step("comparing the schema", () => assertExpectedSchema(client));
    const serverVersion = await step("reading the server version", async () => {
      const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
      return rows[0]?.server_version;
    });
    const createdAt = deps.now();
    const owners =
      ownerRefs.length > 0
        ? await step("looking up --owner", () => resolveOwners(client, ownerRefs))
        : undefined;
    const selection: Selection = { ownerIds: owners?.ids };
    const totals = await step("counting rows", async () => {
      const out = {} as Record<ModelName, number>;
      for (const spec of MODELS) out[spec.name] = await countSelected(client, spec, selection);
      return out;
    });
    const referencedBooksAdded = await step("counting referenced books", () =>
      countReferencedBooksAdded(client, selection),
    );
    const total = totalCount(totals);
    deps.signal?.removeEventListener("abort", endSession);

    const records = streamRecords(client, selection, redactor, {
      url,
      total,
      fetchRows: options.fetchRows,
      readTimeoutMs:
        settings.statementTimeoutMs > 0
          ? clampTimeout(settings.statementTimeoutMs + READ_TIMEOUT_MARGIN_MS)
          : 0,
      onProgress: deps.onProgress,
      signal: deps.signal,
    });
    // With --force the old files are replaced by rename only once the new ones are complete:
    // a failed export leaves the previous snapshot intact.
    const written = await writeSnapshot(
      options.outDir,
      options.name,
      records,
      {
        createdAt,
        source: {
          host: location.host,
          port: location.port,
          database: location.database,
          ...(serverVersion ? { serverVersion } : {}),
          tls: resolveTlsMode(url, settings.tls, settings.env),
          isolation: "repeatable read, read only",
        },
        filters: {
          // Emails as pseudonyms when redacting (of the stored spelling: the one in the data).
          owners: ownerRefs.map((r) =>
            r.kind === "email" && redactor
              ? (redactor.field("email", owners?.storedEmail.get(r.email.toLowerCase()) ?? r.email) as string)
              : r.given,
          ),
          referencedBooksAdded,
        },
        redaction: keyId
          ? { mode: "pseudonymised", fields: [...REDACTED_USER_FIELDS], keyId }
          : { mode: "none", fields: [] },
      },
      { ...deps.writer, replace: options.force ?? false },
    );
    // Every row is on disk and the read was one snapshot; a read-only transaction has nothing to
    // commit, so losing the connection now must not turn a complete snapshot into a failure.
    await client.query("COMMIT").catch(() => {});
    const durationMs = Math.max(deps.now().getTime() - started, 0);
    const counts = manifestCounts(written.manifest);
    const rows = totalCount(counts);
    return {
      paths: written.paths,
      manifest: written.manifest,
      counts,
      rows,
      durationMs,
      rowsPerSecond: durationMs > 0 ? Math.round((rows * 1000) / durationMs) : rows,
      removedTempFiles,
    };
  } finally {
    deps.signal?.removeEventListener("abort", endSession);
    await disconnect(client);
  }
}

interface StreamSettings {
  url: string;
  total: number;
  fetchRows: number | undefined;
  /** Client-side watchdog per fetch: statement_timeout plus a margin (the server cancels first). */
  readTimeoutMs: number;
  onProgress: ProgressCallback | undefined;
  signal: AbortSignal | undefined;
}

/**
 * All selected rows, model by model, ascending id. PostgreSQL renders each row's canonical JSON
 * and the bytes stream through (the fast path, see read-rendered.ts); only users that are
 * pseudonymised are read into JS, a batch at a time.
 */
async function* streamRecords(
  client: pg.Client,
  selection: Selection,
  redactor: Redactor | null,
  settings: StreamSettings,
): AsyncGenerator<OutgoingRecords> {
  let done = 0;
  for (const spec of MODELS) {
    await settings.onProgress?.({ label: spec.name, done, total: settings.total });
    const batches: AsyncGenerator<OutgoingRecords[]> =
      spec.name === "User" && redactor
        ? recordBatches(client, spec, selection, redactor, settings)
        : renderedBatches(client, spec, selection, settings);
    for (;;) {
      if (settings.signal?.aborted) throw new InterruptedError(INTERRUPTED_MESSAGE);
      let next: IteratorResult<OutgoingRecords[]>;
      try {
        next = await batches.next();
      } catch (error) {
        throw classifyQueryError(error, `reading ${spec.name}`, settings.url);
      }
      if (next.done) break;
      for (const item of next.value) {
        yield item;
        done += "canonical" in item ? item.count : 1;
      }
      await settings.onProgress?.({ label: spec.name, done, total: settings.total });
    }
  }
}

async function* recordBatches(
  client: pg.Client,
  spec: ModelSpec,
  selection: Selection,
  redactor: Redactor | null,
  settings: StreamSettings,
): AsyncGenerator<OutgoingRecord[]> {
  const query = selectQuery(spec, selection);
  const fetchRows = settings.fetchRows ?? DEFAULT_FETCH_ROWS;
  for await (const rows of readInBatches(client, query, fetchRows, settings.readTimeoutMs)) {
    yield rows.map((row) => ({ model: spec.name, record: toRecord(spec, row, redactor) }));
  }
}

async function* renderedBatches(
  client: pg.Client,
  spec: ModelSpec,
  selection: Selection,
  settings: StreamSettings,
): AsyncGenerator<RenderedRecords[]> {
  const pages = readRendered(client, spec, selection, {
    pageRows: settings.fetchRows ?? DEFAULT_PAGE_ROWS,
    readTimeoutMs: settings.readTimeoutMs,
  });
  for await (const chunk of pages) yield [{ model: spec.name, canonical: chunk.bytes, count: chunk.lines }];
}

/** A row as a snapshot record: NULL text[] (possible in SQL, never written by the app) becomes []. */
function toRecord(
  spec: ModelSpec,
  row: Record<string, unknown>,
  redactor: Redactor | null,
): Record<string, unknown> {
  for (const field of spec.fields) {
    if (field.type.kind === "textArray" && row[field.name] === null) row[field.name] = [];
  }
  return spec.name === "User" && redactor ? redactor.user(row) : row;
}

async function assertReadOnlyTransaction(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ transaction_read_only: string }>("SHOW transaction_read_only");
  const value = rows[0]?.transaction_read_only;
  if (value !== "on") {
    throw new UsageError(
      `The export transaction is not read-only (transaction_read_only=${value}); refusing to read.`,
      {
        code: "E_NOT_READ_ONLY",
        hint: "A proxy or pooler in front of the database may be rewriting session settings; connect directly.",
      },
    );
  }
}

async function assertExpectedSchema(client: pg.Client): Promise<void> {
  // Without SELECT, information_schema hides a table's columns; say "permission", not "missing".
  const { rows } = await client.query<{ name: string }>(
    `SELECT t AS name FROM unnest($1::text[]) AS t
      WHERE to_regclass(quote_ident(t)) IS NOT NULL AND NOT has_table_privilege(to_regclass(quote_ident(t)), 'SELECT')`,
    [MODELS.map((m) => m.table)],
  );
  if (rows.length > 0) {
    throw new ConnectionError(
      "E_PERMISSION",
      `The export role may not read ${rows.map((r) => r.name).join(", ")}`,
      {
        hint: "Grant the export role SELECT on the User, Book, ReadingList and BookInReadingList tables.",
        details: { tables: rows.map((r) => r.name) },
      },
    );
  }
  const differences = diffSchemas(expectedSchema(), await describeLiveSchema(client));
  if (differences.length === 0) return;
  const lines = differences.map(formatSchemaDifference);
  throw new SchemaMismatchError(
    `The source schema differs from what booksnap expects:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
    {
      hint: "Export with the booksnap version matching the application's schema, or migrate the source.",
      details: { differences: lines },
    },
  );
}

async function refuseOverwrite(paths: SnapshotPaths, force: boolean): Promise<void> {
  if (force) return;
  for (const path of [paths.manifestPath, paths.dataPath]) {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists) throw snapshotExistsError(paths);
  }
}
