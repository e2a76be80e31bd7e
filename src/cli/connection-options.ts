import type { Argv } from "yargs";
import { resolveDatabaseUrl } from "../config/database.js";
import { assertVariableName, type Environment, intSetting, loadEnvironment } from "../config/env.js";
import { MAX_TIMEOUT_MS } from "../config/limits.js";
import { resolveSourceUrl } from "../config/source-url.js";
import type { TlsMode } from "../db/connect.js";
import { loadTlsCa, ROOT_CERT_ENV } from "../db/tls-ca.js";
import type { CommandContext } from "./context.js";

/** Which database a command connects to: export reads a source, import and prepare write a target. */
export type ConnectionRole = "source" | "target";

/** The connection flags shared by export, import and prepare (`from`/`from-env` or `to`/`to-env`). */
export interface ConnectionArgs {
  from?: string;
  "from-env"?: string;
  to?: string;
  "to-env"?: string;
  "env-file"?: string;
  tls: TlsMode;
  "tls-ca"?: string;
  "connect-timeout": number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

const ROLES = {
  source: {
    flag: "from",
    envDefault: "DEWEY_DB_DATABASE_URL_READONLY",
    envDescribe:
      "Environment variable holding the source URL (keeps the password off the command line; default DEWEY_DB_DATABASE_URL_READONLY, else the app's DEWEY_DB_DATABASE_URL)",
    urlDescribe: "Source URL (prefer --from-env)",
    envFileExample: ".env.production",
  },
  target: {
    flag: "to",
    envDefault: "DEWEY_DB_DATABASE_URL",
    envDescribe: "Environment variable holding the target URL",
    urlDescribe: "Target URL (prefer --to-env)",
    envFileExample: ".env",
  },
} as const;

/** Adds the URL/env-name pair, --env-file, --tls, --tls-ca and --connect-timeout to a command. */
export function withConnectionOptions<T>(yargs: Argv<T>, role: ConnectionRole): Argv<T> {
  const r = ROLES[role];
  return yargs
    .option(`${r.flag}-env`, { type: "string", default: envFlagDefault(role), describe: r.envDescribe })
    .option("env-file", {
      type: "string",
      describe: `Load variables from this dotenv file first (e.g. ${r.envFileExample})`,
    })
    .option(r.flag, { type: "string", describe: r.urlDescribe })
    .option("tls", {
      choices: ["auto", "disable", "require", "verify-full"] as const,
      default: "auto" as TlsMode,
      describe: "TLS mode; auto = none on loopback, required elsewhere; disable waives it explicitly",
    })
    .option("tls-ca", {
      type: "string",
      describe: `PEM file of the CA to trust for --tls verify-full (default ${ROOT_CERT_ENV}, else the system CAs)`,
    })
    .option("connect-timeout", {
      type: "number",
      default: DEFAULT_CONNECT_TIMEOUT_MS,
      describe: "Connect timeout (ms)",
    }) as unknown as Argv<T>;
}

/** export's default is resolved later, with its fallback, so that an explicit --from-env is recognisable. */
function envFlagDefault(role: ConnectionRole): string | undefined {
  return role === "source" ? undefined : ROLES.target.envDefault;
}

/** The connection a command's flags name, with its environment (after --env-file). */
export interface ResolvedConnection {
  env: Environment;
  url: string;
  /** Where the URL came from: `--from` / `--to` or the variable's name (never the URL itself). */
  urlFrom: string;
  /** True when export fell back to the app's DEWEY_DB_DATABASE_URL. */
  urlFallback: boolean;
  tls: TlsMode;
  tlsCa?: string;
  connectTimeoutMs: number;
}

/**
 * Reads the flags added by `withConnectionOptions`: loads --env-file, resolves the URL (and registers
 * it for redaction), reads the --tls-ca / PGSSLROOTCERT certificate and validates --connect-timeout.
 */
export function resolveConnection(
  ctx: CommandContext,
  args: ConnectionArgs,
  role: ConnectionRole,
): ResolvedConnection {
  const env = loadEnvironment(ctx.env, args["env-file"]);
  const { url, from: urlFrom, fallback: urlFallback } = resolveUrl(args, role, env);
  ctx.output.protectUrl(url);
  const tlsCa = loadTlsCa({
    flag: args["tls-ca"],
    env: env[ROOT_CERT_ENV],
    url,
    tls: args.tls,
    cwd: ctx.cwd,
  });
  return {
    env,
    url,
    urlFrom,
    urlFallback,
    tls: args.tls,
    ...(tlsCa ? { tlsCa } : {}),
    connectTimeoutMs: intSetting(
      args["connect-timeout"],
      env,
      "--connect-timeout",
      DEFAULT_CONNECT_TIMEOUT_MS,
      { max: MAX_TIMEOUT_MS },
    ),
  };
}

/** export reads `--from` or its variables (with the app's fallback); import and prepare `--to` / `--to-env`. */
function resolveUrl(args: ConnectionArgs, role: ConnectionRole, env: Environment) {
  if (role === "source") {
    const named = args["from-env"];
    return resolveSourceUrl(
      args.from,
      named === undefined ? undefined : assertVariableName(named, "--from-env"),
      env,
    );
  }
  const envName = assertVariableName(args["to-env"] ?? ROLES.target.envDefault, "--to-env");
  return {
    url: resolveDatabaseUrl({ url: args.to, envName }, env),
    from: args.to ? "--to" : envName,
    fallback: false,
  };
}
