import { access } from "node:fs/promises";
import type pg from "pg";
import type { ProgressCallback } from "../cli/progress.js";
import { ConfigError } from "../config/config-error.js";
import { clampTimeout } from "../config/limits.js";
import type { ProjectConfig } from "../config/project-config.js";
import { redactionKeyId } from "../config/redaction-key.js";
import {
  type ConnectionSettings,
  connect,
  disconnect,
  resolveTlsMode,
  SESSION_OVERRIDE_PARAMS,
} from "../db/connect.js";
import { describeLocation, parseDatabaseUrl } from "../db/url.js";
import { ConnectionError, InterruptedError, UsageError } from "../errors.js";
import { removeAbandonedTempFiles } from "../fs/temp-files.js";
import { planRedaction, type RedactionPlan } from "../redact/plan.js";
import { createRowRedactor, type RowRedactor, redactColumnValue } from "../redact/row-redactor.js";
import { formatSuggestedRules, type UncoveredColumn } from "../redact/uncovered.js";
import type { SchemaDescription } from "../schema/description.js";
import { introspectSchema } from "../schema/introspect.js";
import { type RowChunk, writeFormat2Snapshot } from "../snapshot/format2-writer.js";
import { manifestTableCounts, type SnapshotManifestV2 } from "../snapshot/manifest.js";
import { isSnapshotFileName, type SnapshotPaths, snapshotPaths } from "../snapshot/paths.js";
import { type SnapshotWriteOptions, snapshotExistsError } from "../snapshot/snapshot-writer.js";
import { assertWritableDir } from "../writable-dir.js";
import { classifyQueryError } from "./query-errors.js";
import { readAhead } from "./read-ahead.js";
import { DEFAULT_PAGE_ROWS } from "./read-rendered.js";
import { EXPORT_SESSION_SETTINGS, quoteIdent } from "./row-sql.js";
import { type OwnerRef, parseOwnerRefs } from "./selection.js";
import { type OwnerScope, type SubsetSelection, selectSubset } from "./subset.js";
import { tableRows, unsupportedColumnsError } from "./table-rows.js";
import { parseWherePredicates } from "./where-predicate.js";

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
  /** The project configuration: schema, tables, owners table, redaction rules. */
  config: ProjectConfig;
  /** --owner values (owner ids or emails); with `where` empty or absent, everything is exported. */
  owners?: readonly string[];
  /** --where values ('Table: <SQL predicate>'). */
  where?: readonly string[];
  /** HMAC key for the redaction rules, or null to keep every value (--no-redact). */
  redactionKey: string | null;
  /** Rows per COPY statement (default DEFAULT_PAGE_ROWS). */
  fetchRows?: number;
  /** Bytes of rendered rows read ahead of the writer (default READ_AHEAD_BYTES). */
  readAheadBytes?: number;
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
  /** Told, before any row is read, about columns no redaction rule covers (with the rule lines to add). */
  warn?: (message: string) => void;
}

export interface ExportResult {
  paths: SnapshotPaths;
  manifest: SnapshotManifestV2;
  /** Rows per table, in data-file order. */
  counts: Record<string, number>;
  rows: number;
  durationMs: number;
  rowsPerSecond: number;
  /** Temporary files of killed runs (holding rows) found in the output directory and removed. */
  removedTempFiles: string[];
  /** Columns of redacted tables that no rule covered (replaced by type), and the rule lines to add. */
  uncovered: UncoveredColumn[];
  suggestedRules: string[];
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
 * connection: learns the schema from the catalog, refuses columns it cannot carry before any row
 * is read, then streams every table in foreign-key order (ascending primary key) into a format-2
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
  const { config } = options;
  const settings = exportConnectionSettings(options.connection);
  const url = settings.url;
  const location = describeLocation(url, settings.env);
  const keyId = options.redactionKey === null ? null : redactionKeyId(options.redactionKey);

  const client = await connect(settings, deps.signal);
  // Until rows stream (that loop stops between batches), Ctrl-C ends the session at once: a
  // catalog query or a count can wait on a lock or a busy server for up to statement_timeout.
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
    // The value encoding of format 2 depends on these (docs/snapshot-format.md); SET LOCAL ends with the transaction.
    await step("setting the value encoding", () =>
      client.query(EXPORT_SESSION_SETTINGS.map((s) => `SET LOCAL ${s.name} = ${s.value};`).join(" ")),
    );
    const { description, unsupported } = await step("reading the schema", () =>
      introspectSchema(client, {
        schema: config.schema,
        ...(config.tables.include ? { include: config.tables.include } : {}),
        exclude: config.tables.exclude,
      }),
    );
    if (unsupported.length > 0) throw unsupportedColumnsError(unsupported);
    await step("checking privileges", () => assertReadable(client, description));
    const redaction = planExportRedaction(description, config, options.redactionKey);
    if (redaction.uncovered.length > 0) {
      deps.warn?.(
        [
          `These columns have no redaction rule; they were replaced by type, not copied in clear:`,
          ...redaction.uncovered.map((u) => `  ${u.table}.${u.column}: ${u.replacement}`),
          ...redaction.suggestedRules,
        ].join("\n"),
      );
    }
    const where = parseWherePredicates(options.where ?? [], description);
    const serverVersion = await step("reading the server version", async () => {
      const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
      return rows[0]?.server_version;
    });
    const createdAt = deps.now();
    const selection = await step("selecting the subset", () =>
      selectSubset(client, description, { owners: ownerScope(config), ownerRefs, where }).catch(
        (error: unknown) => {
          // An --owner id that is not a value of the id column's type (e.g. "abc" for an integer key).
          const sqlstate = (error as { code?: unknown }).code;
          if (sqlstate !== "22P02" && sqlstate !== "22003") throw error;
          throw new UsageError(`--owner: ${(error as Error).message}`, {
            code: "E_BAD_OWNER",
            hint: `Owner ids are values of ${config.owners?.table}.${config.owners?.idColumn}; check the --owner values.`,
            cause: error,
          });
        },
      ),
    );
    const totals = await step("counting rows", () => countRows(client, description, selection));
    const total = Object.values(totals).reduce((a, b) => a + b, 0);
    deps.signal?.removeEventListener("abort", endSession);

    const chunks = streamTables(client, description, selection, redaction.redactors, {
      url,
      total,
      pageRows: options.fetchRows,
      readAheadBytes: options.readAheadBytes,
      readTimeoutMs:
        settings.statementTimeoutMs > 0
          ? clampTimeout(settings.statementTimeoutMs + READ_TIMEOUT_MARGIN_MS)
          : 0,
      onProgress: deps.onProgress,
      signal: deps.signal,
    });
    // With --force the old files are replaced by rename only once the new ones are complete:
    // a failed export leaves the previous snapshot intact.
    const written = await writeFormat2Snapshot(
      options.outDir,
      options.name,
      chunks,
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
        schema: description,
        filters: {
          owners: recordedOwners(ownerRefs, selection, description, config, options.redactionKey),
          where: where.map((w) => ({ table: w.table, predicate: w.predicate })),
          addedByReference: selection?.addedByReference ?? {},
        },
        redaction: keyId
          ? {
              mode: "pseudonymised",
              keyId,
              rules:
                redaction.plan?.rules
                  .filter((r) => r.kind !== "keep")
                  .map((r) => ({ table: r.table, column: r.column, kind: r.kind })) ?? [],
              uncovered: redaction.uncovered.map((u) => ({
                table: u.table,
                column: u.column,
                replacement: u.replacement,
              })),
            }
          : { mode: "none", rules: [], uncovered: [] },
      },
      { ...deps.writer, replace: options.force ?? false },
    );
    // Every row is on disk and the read was one snapshot; a read-only transaction has nothing to
    // commit, so losing the connection now must not turn a complete snapshot into a failure.
    await client.query("COMMIT").catch(() => {});
    const durationMs = Math.max(deps.now().getTime() - started, 0);
    const counts = manifestTableCounts(written.manifest);
    const rows = Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      paths: written.paths,
      manifest: written.manifest,
      counts,
      rows,
      durationMs,
      rowsPerSecond: durationMs > 0 ? Math.round((rows * 1000) / durationMs) : rows,
      removedTempFiles,
      uncovered: redaction.uncovered,
      suggestedRules: redaction.suggestedRules,
    };
  } finally {
    deps.signal?.removeEventListener("abort", endSession);
    await disconnect(client);
  }
}

interface ExportRedaction {
  plan: RedactionPlan | undefined;
  redactors: Map<string, RowRedactor>;
  uncovered: UncoveredColumn[];
  suggestedRules: string[];
}

/** The redaction plan and one redactor per redacted table, decided before any row is read. */
function planExportRedaction(
  description: SchemaDescription,
  config: ProjectConfig,
  key: string | null,
): ExportRedaction {
  if (key === null) return { plan: undefined, redactors: new Map(), uncovered: [], suggestedRules: [] };
  const plan = planRedaction(description, config.redaction);
  if (plan.problems.length > 0) {
    throw new ConfigError(
      "E_CONFIG_REFERENCE",
      `The redaction rules do not fit the source schema:\n  ${plan.problems.join("\n  ")}`,
      { hint: 'See docs/configuration.md, "Redaction".', details: { problems: plan.problems } },
    );
  }
  const redactors = new Map<string, RowRedactor>();
  for (const table of description.tables) {
    const redactor = createRowRedactor(table, config.redaction, key, description);
    if (redactor) redactors.set(table.name, redactor);
  }
  return {
    plan,
    redactors,
    uncovered: plan.uncovered,
    suggestedRules: formatSuggestedRules(plan.uncovered, config.origin),
  };
}

/**
 * The --owner values as the manifest records them: as given, except that when redacting an email
 * becomes the pseudonym of the stored address (what the owner's row holds in the snapshot).
 */
function recordedOwners(
  refs: readonly OwnerRef[],
  selection: SubsetSelection | null,
  description: SchemaDescription,
  config: ProjectConfig,
  key: string | null,
): string[] {
  const owners = config.owners;
  const table = owners ? description.tables.find((t) => t.name === owners.table) : undefined;
  return refs.map((ref) => {
    if (ref.kind !== "email" || key === null || !owners?.emailColumn || !table) return ref.given;
    const stored =
      selection?.owners.find((o) => o.email?.toLowerCase() === ref.email.toLowerCase())?.email ?? ref.email;
    const value = redactColumnValue(table, config.redaction, key, owners.emailColumn, stored, description);
    return typeof value === "string" ? value : "(redacted)";
  });
}

/** The configured owners table as the subset selection needs it (null: no owners, --owner refused). */
function ownerScope(config: ProjectConfig): OwnerScope | null {
  if (!config.owners) return null;
  const { table, idColumn, emailColumn, belongsThrough } = config.owners;
  return { table, idColumn, emailColumn, ...(belongsThrough ? { belongsThrough } : {}) };
}

/** Rows each table will give (same snapshot as the read): progress totals. */
async function countRows(
  client: pg.Client,
  description: SchemaDescription,
  selection: SubsetSelection | null,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of description.tables) {
    if (selection) {
      out[table.name] = selection.table(table.name).count;
      continue;
    }
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdent(description.schema)}.${quoteIdent(table.name)}`,
    );
    out[table.name] = Number(rows[0]?.n ?? 0);
  }
  return out;
}

interface StreamSettings {
  url: string;
  total: number;
  pageRows: number | undefined;
  readAheadBytes: number | undefined;
  /** Client-side watchdog per read: statement_timeout plus a margin (the server cancels first). */
  readTimeoutMs: number;
  onProgress: ProgressCallback | undefined;
  signal: AbortSignal | undefined;
}

/**
 * Every selected row, table by table in the description's (foreign-key) order. Rows are read
 * ahead of the writer (readAhead), across table boundaries, so PostgreSQL renders the next
 * chunks while Node frames, hashes and compresses the current one.
 */
async function* streamTables(
  client: pg.Client,
  description: SchemaDescription,
  selection: SubsetSelection | null,
  redactors: ReadonlyMap<string, RowRedactor>,
  settings: StreamSettings,
): AsyncGenerator<RowChunk> {
  async function* read(): AsyncGenerator<RowChunk> {
    for (const table of description.tables) {
      // A zero-row chunk marks the start of a table (for progress); the writer skips it.
      yield { table: table.name, rows: Buffer.alloc(0), count: 0 };
      try {
        yield* tableRows(client, table, redactors.get(table.name), {
          schema: description.schema,
          filter: selection ? selection.table(table.name).inlineCondition("t") : undefined,
          pageRows: settings.pageRows ?? DEFAULT_PAGE_ROWS,
          readTimeoutMs: settings.readTimeoutMs,
        });
      } catch (error) {
        throw classifyQueryError(error, `reading ${table.name}`, settings.url);
      }
    }
  }
  let done = 0;
  for await (const chunk of readAhead(read(), settings.readAheadBytes)) {
    if (settings.signal?.aborted) throw new InterruptedError(INTERRUPTED_MESSAGE);
    if (chunk.count > 0) yield chunk;
    done += chunk.count;
    await settings.onProgress?.({ label: chunk.table, done, total: settings.total });
  }
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

/** Without SELECT on a table the export cannot read it: say "permission", naming the tables. */
async function assertReadable(client: pg.Client, description: SchemaDescription): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT t AS name FROM unnest($1::text[]) AS t
      WHERE NOT has_table_privilege(quote_ident($2) || '.' || quote_ident(t), 'SELECT')`,
    [description.tables.map((t) => t.name), description.schema],
  );
  if (rows.length > 0) {
    throw new ConnectionError(
      "E_PERMISSION",
      `The export role may not read ${rows.map((r) => r.name).join(", ")}`,
      {
        hint: `Grant the export role SELECT on every table of schema ${description.schema} (see docs/readonly-role.md).`,
        details: { tables: rows.map((r) => r.name) },
      },
    );
  }
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
