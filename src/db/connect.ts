import pg from "pg";
import { clampTimeout } from "../config/limits.js";
import { ConnectionError, InterruptedError, UsageError } from "../errors.js";
import { type ConnectionEnvironment, resolveConnectionTarget } from "./target.js";
import { describeLocation, isLoopbackHost, redactSecrets, sanitizeUrl } from "./url.js";

/**
 * How the connection is protected.
 * - `auto`: no TLS on loopback, `require` anywhere else.
 * - `disable`: plain TCP; the explicit waiver for a non-loopback host.
 * - `require`: encrypted, certificate not checked (libpq's sslmode=require).
 * - `verify-full`: encrypted and the server certificate must match the host.
 */
export type TlsMode = "auto" | "disable" | "require" | "verify-full";
export type ResolvedTlsMode = Exclude<TlsMode, "auto">;

export interface ConnectionSettings {
  /** Connection URL; may hold a password, never printed. */
  url: string;
  /**
   * The variables PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD are read from, for what the URL
   * leaves out (the CLI passes the command's environment). Absent: none.
   */
  env?: ConnectionEnvironment;
  /** Shown in pg_stat_activity so DBAs can see who is reading. */
  applicationName: string;
  /** Opens the session with default_transaction_read_only=on. */
  readOnly: boolean;
  tls: TlsMode;
  /** PEM certificates trusted for verify-full instead of the system's CAs (--tls-ca). */
  tlsCa?: string;
  connectTimeoutMs: number;
  /** statement_timeout for every statement of the session; 0 disables. */
  statementTimeoutMs: number;
  /** lock_timeout for every statement of the session; 0 disables. */
  lockTimeoutMs: number;
}

/** Timestamps are stored as UTC without a zone (Prisma's DateTime); read them as UTC ISO strings. */
const TIMESTAMP_OID = 1114;

export function timestampToIso(text: string): string {
  // "2024-01-02 03:04:05.12" → "2024-01-02T03:04:05.120Z"
  const match = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const millis = (match[3] ?? "").padEnd(3, "0").slice(0, 3);
  return `${match[1]}T${match[2]}.${millis}Z`;
}

const typeParsers = {
  getTypeParser(oid: number, format?: string) {
    if (oid === TIMESTAMP_OID) return timestampToIso;
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads do not accept a plain string format.
    return pg.types.getTypeParser(oid, format as any);
  },
} as pg.CustomTypesConfig;

/** The TLS mode for the host the driver will really connect to (see resolveConnectionTarget). */
export function resolveTlsMode(url: string, mode: TlsMode, env: ConnectionEnvironment = {}): ResolvedTlsMode {
  if (mode !== "auto") return mode;
  const { host, sslmode } = resolveConnectionTarget(url, env);
  if (sslmode === "verify-full" || sslmode === "verify-ca") return "verify-full";
  if (sslmode === "require" || sslmode === "prefer") return "require";
  // sslmode=disable is no waiver for a remote host: that takes an explicit --tls disable.
  return isLoopbackHost(host) ? "disable" : "require";
}

/**
 * URL parameters node-postgres would apply over booksnap's own session settings (a parameter in
 * the connection string wins over the client config): `options=-c default_transaction_read_only=off`
 * would silently undo the read-only session. booksnap decides these itself, for every command.
 */
export const SESSION_OVERRIDE_PARAMS = [
  "options",
  "application_name",
  "fallback_application_name",
  "statement_timeout",
  "lock_timeout",
  "idle_in_transaction_session_timeout",
  "query_timeout",
  "connect_timeout",
  "replication",
];

/**
 * Builds node-postgres settings from the resolved target: host, port, database, user and
 * password are given explicitly and no connection string is passed, so nothing in the URL
 * (`?host=`, `?options=`, `?connectionTimeoutMillis=`…) or in PG* variables can make the
 * driver connect elsewhere, or with other session settings, than booksnap decided.
 */
export function clientConfig(settings: ConnectionSettings): pg.ClientConfig & { tls: ResolvedTlsMode } {
  const target = resolveConnectionTarget(settings.url, settings.env);
  const tls = resolveTlsMode(settings.url, settings.tls, settings.env);
  const options = settings.readOnly ? "-c default_transaction_read_only=on" : undefined;
  return {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    ...(target.password === undefined ? {} : { password: target.password }),
    application_name: settings.applicationName,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs || undefined,
    lock_timeout: settings.lockTimeoutMs || undefined,
    idle_in_transaction_session_timeout: settings.statementTimeoutMs
      ? clampTimeout(settings.statementTimeoutMs * 2)
      : undefined,
    // A peer that vanishes without a RST must still be noticed. (No client-side query_timeout:
    // node-postgres would start it when a cursor or COPY is submitted and end long streams.)
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ssl:
      tls === "disable"
        ? false
        : { rejectUnauthorized: tls === "verify-full", ...(settings.tlsCa ? { ca: settings.tlsCa } : {}) },
    options,
    types: typeParsers,
    tls,
  };
}

/**
 * Opens one connection, translating failures into classified, credential-free errors. An abort
 * (Ctrl-C) while the server or the network keeps it waiting drops the socket at once and
 * throws InterruptedError instead of waiting for the connect timeout.
 */
export async function connect(settings: ConnectionSettings, signal?: AbortSignal): Promise<pg.Client> {
  const interrupted = () =>
    new InterruptedError(`Interrupted while connecting to ${safeLocation(settings.url)}.`);
  if (signal?.aborted) throw interrupted();
  const { tls: _tls, ...config } = clientConfig(settings);
  const client = new pg.Client(config);
  // A connection that dies while idle must not crash the process; the next query reports it.
  client.on("error", () => {});
  // Not client.end(): while connecting, that waits for the server to answer.
  const dropSocket = () => client.connection.stream.destroy();
  signal?.addEventListener("abort", dropSocket, { once: true });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw signal?.aborted ? interrupted() : classifyConnectError(error, settings.url);
  } finally {
    signal?.removeEventListener("abort", dropSocket);
  }
  return client;
}

/** Ends a client, never throwing: cleanup must not mask the real error. */
export async function disconnect(
  client: pg.Client | undefined,
  warn?: (message: string) => void,
): Promise<void> {
  if (!client) return;
  try {
    await client.end();
  } catch (error) {
    warn?.(`closing the connection failed: ${(error as Error).message}`);
  }
}

interface PgLikeError {
  code?: string;
  message?: string;
}

export function classifyConnectError(error: unknown, url: string): Error {
  const e = (error ?? {}) as PgLikeError;
  const where = sanitizeUrl(url);
  const location = safeLocation(url);
  const message = redactSecrets(String(e.message ?? error), [url]);
  const opts = { cause: scrubError(error, url), details: { sqlstate: e.code, target: where } };
  if (e.code === "28P01" || e.code === "28000") {
    return new ConnectionError("E_AUTH", `Authentication failed for ${where}: ${message}`, {
      ...opts,
      hint: "Check the user and password in the connection URL (or the variable it comes from).",
    });
  }
  if (e.code === "3D000") {
    return new ConnectionError("E_NO_DATABASE", `Database does not exist at ${where}: ${message}`, {
      ...opts,
      hint: "Create it (createdb) and run 'booksnap prepare', or fix the database name in the URL.",
    });
  }
  if (/ssl|tls|certificate|self.signed/i.test(message)) {
    return new ConnectionError("E_TLS", `TLS negotiation with ${location} failed: ${message}`, {
      ...opts,
      hint: tlsHint(message),
    });
  }
  if (/timeout/i.test(message) || e.code === "ETIMEDOUT") {
    return new ConnectionError("E_TIMEOUT", `Timed out connecting to ${location}: ${message}`, {
      ...opts,
      hint: "Check the host and port, the network path (VPN, bastion) and --connect-timeout.",
    });
  }
  if (e.code === "57P03" || e.code === "53300") {
    return new ConnectionError("E_CONNECT", `The server at ${location} refused new connections: ${message}`, {
      ...opts,
      hint: "The server is starting up or out of connection slots; try again shortly.",
    });
  }
  return new ConnectionError("E_CONNECT", `Cannot connect to ${location}: ${message}`, {
    ...opts,
    hint: "Is PostgreSQL running and reachable at that host and port? Check the URL.",
  });
}

function tlsHint(message: string): string {
  if (/does not support SSL/i.test(message)) {
    return "The server does not accept TLS: enable ssl on it, or waive TLS explicitly with --tls disable (trusted networks only).";
  }
  if (/certificate|self.signed|altnames/i.test(message)) {
    return "The server certificate was not accepted: trust the CA that signed it with --tls-ca FILE (or PGSSLROOTCERT), and connect by a host name the certificate lists.";
  }
  return "The server must accept TLS for non-local hosts; use --tls verify-full with a trusted CA, or --tls disable to waive TLS explicitly.";
}

function safeLocation(url: string): string {
  try {
    const l = describeLocation(url);
    return `${l.host}:${l.port}/${l.database}`;
  } catch {
    return sanitizeUrl(url);
  }
}

/** A copy of a driver error with every credential removed from its message and stack. */
export function scrubError(error: unknown, url: string): unknown {
  if (!(error instanceof Error)) return error;
  const copy = new Error(redactSecrets(error.message, [url]));
  copy.name = error.name;
  copy.stack = redactSecrets(error.stack ?? "", [url]);
  for (const key of ["code", "detail", "hint", "severity", "routine"] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) (copy as unknown as Record<string, unknown>)[key] = value;
  }
  return copy;
}

/** SQLSTATEs and socket errors after which the same work may succeed if tried again. */
const TRANSIENT_SQLSTATES = new Set(["40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"]);
const TRANSIENT_SOCKET_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

export function isTransientError(error: unknown): boolean {
  const e = (error ?? {}) as PgLikeError & { cause?: unknown };
  if (
    e.code &&
    (TRANSIENT_SQLSTATES.has(e.code) || e.code.startsWith("08") || TRANSIENT_SOCKET_CODES.has(e.code))
  ) {
    return true;
  }
  if (e instanceof ConnectionError && e.code !== "E_AUTH" && e.code !== "E_NO_DATABASE" && e.code !== "E_TLS")
    return true;
  const message = String(e.message ?? "");
  if (
    /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return true;
  }
  return e.cause !== undefined && e.cause !== error ? isTransientError(e.cause) : false;
}

/** Rejects obviously unusable settings before any network traffic. */
export function assertUsableUrl(url: string | undefined, source: string): string {
  if (!url) {
    throw new UsageError(`No database URL: ${source} is not set.`, {
      code: "E_NO_URL",
      hint: "Set the variable (or pass --env-file FILE), or give the URL with --from/--to.",
    });
  }
  resolveConnectionTarget(url);
  return url;
}
