import { UsageError } from "../errors.js";
import { classifyHost } from "./host-class.js";
import { type ConnectionEnvironment, resolveConnectionTarget } from "./target.js";

/** Query parameters whose values are secrets and must never be printed. */
const SECRET_PARAMS =
  /^(password|pass|pwd|api[_-]?key|apikey|token|access[_-]?token|secret|sslpassword|sslkey|auth)$/i;

const REDACTED = "***";

/** How to get what booksnap needs instead of an Accelerate URL; docs/readonly-role.md has the recipe. */
const DIRECT_CONNECTION_ADVICE =
  "Use a direct postgres:// connection string for the same database. Prisma Postgres: Console → your database → Connect to your database → Generate new connection string, then copy the direct one (postgres://USER:PASSWORD@db.prisma.io:5432/?sslmode=require); other hosts: the database's own connection string (often DIRECT_URL). For export, best make it a read-only role's (docs/readonly-role.md) and put it in DEWEY_DB_DATABASE_URL_READONLY.";

/** Where a connection string points, with nothing secret in it. Safe to print and record. */
export interface DatabaseLocation {
  host: string;
  port: number;
  database: string;
  user: string;
}

/**
 * Removes every credential from a connection string: the password, secret query parameters
 * (`password`, `api_key`, `token`…). Strings that do not parse are reduced to their scheme.
 */
export function sanitizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1];
    return scheme ? `${scheme}://${REDACTED}` : REDACTED;
  }
  if (url.password) url.password = REDACTED;
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAMS.test(key)) url.searchParams.set(key, REDACTED);
  }
  return url.toString();
}

/**
 * Replaces every occurrence of the given secrets (full URLs, their passwords and secret
 * parameters) in free text, e.g. an error message from a driver that echoes its input.
 */
export function redactSecrets(text: string, urls: readonly string[]): string {
  let out = text;
  for (const raw of urls) {
    if (!raw) continue;
    out = out.split(raw).join(sanitizeUrl(raw));
    for (const secret of secretsOf(raw)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

function secretsOf(raw: string): string[] {
  const secrets: string[] = [];
  try {
    const url = new URL(raw);
    if (url.password) secrets.push(url.password, decodeURIComponent(url.password));
    for (const [key, value] of url.searchParams) {
      if (SECRET_PARAMS.test(key) && value) secrets.push(value, encodeURIComponent(value));
    }
  } catch {
    // Unparseable: only the whole string can be redacted, which the caller already did.
  }
  // Very short values (e.g. "1") would shred unrelated text; they are not worth hiding.
  return [...new Set(secrets)].filter((s) => s.length >= 3);
}

/** Parses a PostgreSQL URL, refusing schemes this tool cannot use directly. */
export function parseDatabaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`Not a valid connection URL: ${sanitizeUrl(raw)}`, {
      code: "E_BAD_URL",
      hint: "Use postgresql://user@host:5432/database",
    });
  }
  if (url.protocol === "prisma+postgres:" || url.protocol === "prisma:") {
    throw new UsageError(
      "A direct PostgreSQL connection is needed; this is a Prisma Accelerate URL (prisma+postgres:// or prisma://), which goes through Prisma's proxy.",
      { code: "E_DIRECT_CONNECTION_NEEDED", hint: DIRECT_CONNECTION_ADVICE },
    );
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new UsageError(`Unsupported connection URL scheme '${url.protocol}' in ${sanitizeUrl(raw)}`, {
      code: "E_BAD_URL",
      hint: "Use postgresql://user@host:5432/database",
    });
  }
  return url;
}

/**
 * Where the driver will really connect: `?host=` / `?port=` over the URL's authority, then the
 * PG* variables of `env` (see resolveConnectionTarget). Without the password: safe to print.
 */
export function describeLocation(raw: string, env: ConnectionEnvironment = {}): DatabaseLocation {
  const { host, port, database, user } = resolveConnectionTarget(raw, env);
  return { host, port, database, user };
}

/** True for hosts that are this machine: loopback addresses, localhost, Unix sockets. */
export function isLoopbackHost(host: string): boolean {
  return classifyHost(host) === "loopback";
}

/** True for RFC 1918 / unique-local addresses and *.local names, typical of a developer's network. */
export function isPrivateHost(host: string): boolean {
  return classifyHost(host) === "private";
}
