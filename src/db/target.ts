import { parse } from "pg-connection-string";
import { UsageError } from "../errors.js";
import { parseDatabaseUrl, sanitizeUrl } from "./url.js";

/** Environment variables that fill in what a connection URL leaves out (libpq's PG* defaults). */
export type ConnectionEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * The connection node-postgres will really make for a URL: host and port from `?host=` /
 * `?port=` over the URL's authority, then PGHOST / PGPORT / PGDATABASE / PGUSER / PGPASSWORD,
 * then the driver's defaults. The guard, the TLS decision, the manifest and every message use
 * this, and `clientConfig` hands exactly these values to the driver, so they cannot disagree.
 */
export interface ConnectionTarget {
  /** Host name, IP address, or Unix socket directory (starts with "/"). */
  host: string;
  port: number;
  /** The database name as the driver sends it (the URL path decoded with decodeURI, as pg does). */
  database: string;
  user: string;
  /** Never printed. */
  password?: string;
  /** The URL's sslmode, if any (read by the TLS decision; booksnap configures TLS itself). */
  sslmode?: string;
}

/** URL parameters naming files pg-connection-string would read at parse time; TLS is booksnap's. */
const TLS_FILE_PARAMS = ["sslcert", "sslkey", "sslrootcert", "sslmode", "ssl", "uselibpqcompat"];

/** node-postgres' default port (pg/lib/defaults.js). */
const DEFAULT_PORT = 5432;

/**
 * Resolves the effective target with pg-connection-string's own parser, then the PG*
 * variables of `env` the way pg/lib/connection-parameters.js applies them (a value wins only
 * when the URL leaves the field empty). `env` is the command's environment; pass `{}` for none.
 */
export function resolveConnectionTarget(raw: string, env: ConnectionEnvironment = {}): ConnectionTarget {
  const url = parseDatabaseUrl(raw);
  const sslmode = url.searchParams.get("sslmode") ?? undefined;
  for (const key of TLS_FILE_PARAMS) url.searchParams.delete(key);
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(url.toString());
  } catch (error) {
    throw badUrl(raw, `it does not parse (${(error as Error).name})`, error);
  }
  const pick = (value: unknown, variable: string): string | undefined =>
    (typeof value === "string" && value !== "" ? value : undefined) ?? (env[variable] || undefined);
  const host = pick(parsed.host, "PGHOST") ?? "localhost";
  const portText = pick(parsed.port, "PGPORT") ?? String(DEFAULT_PORT);
  // Stricter than the driver's parseInt ("5432abc" → 5432): a port that is not a plain number is refused.
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 1 && port <= 65_535))
    throw badUrl(raw, `the port '${portText}' is not a number from 1 to 65535`);
  if (/[\0]/.test(host)) throw badUrl(raw, "the host contains a NUL byte");
  const user = pick(parsed.user, "PGUSER") ?? env.USER ?? "";
  const database = pick(parsed.database, "PGDATABASE") ?? user;
  const password = pick(parsed.password, "PGPASSWORD");
  return {
    host,
    port,
    database,
    user,
    ...(password === undefined ? {} : { password }),
    ...(sslmode === undefined ? {} : { sslmode }),
  };
}

function badUrl(raw: string, why: string, cause?: unknown): UsageError {
  return new UsageError(`Not a usable connection URL (${why}): ${sanitizeUrl(raw)}`, {
    code: "E_BAD_URL",
    hint: "Use postgresql://user@host:5432/database",
    ...(cause === undefined ? {} : { cause: new Error((cause as Error).name) }),
  });
}
