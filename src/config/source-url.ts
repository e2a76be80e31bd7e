import { UsageError } from "../errors.js";
import { resolveDatabaseUrl } from "./database.js";
import type { Environment } from "./env.js";

/** Where export looks for the source URL by default: a read-only role's URL. */
export const SOURCE_URL_ENV = "DEWEY_DB_DATABASE_URL_READONLY";

/** The app's own name for its database URL (its `.env.production` holds it); the fallback. */
export const APP_URL_ENV = "DEWEY_DB_DATABASE_URL";

/** Which variable the source URL comes from, and whether that is the fallback. */
export interface SourceUrlVariable {
  variable: string;
  /** True when SOURCE_URL_ENV is unset and the app's APP_URL_ENV is used instead. */
  fallback: boolean;
}

/**
 * `--from-env NAME` names the variable exactly. Without it, SOURCE_URL_ENV is read, and when that
 * is unset or empty, the app's APP_URL_ENV: the export session is read-only either way.
 */
export function chooseSourceUrlVariable(named: string | undefined, env: Environment): SourceUrlVariable {
  if (named !== undefined) return { variable: named, fallback: false };
  if (!env[SOURCE_URL_ENV] && env[APP_URL_ENV]) return { variable: APP_URL_ENV, fallback: true };
  return { variable: SOURCE_URL_ENV, fallback: false };
}

/** Where a command's URL came from: `--from`/`--to`, or the variable that held it. */
export interface ResolvedSourceUrl extends SourceUrlVariable {
  url: string;
  /** `--from`, or the variable name. */
  from: string;
}

/** export's URL: `--from`, else the variable chosen by chooseSourceUrlVariable. */
export function resolveSourceUrl(
  flagUrl: string | undefined,
  named: string | undefined,
  env: Environment,
): ResolvedSourceUrl {
  if (flagUrl)
    return {
      url: resolveDatabaseUrl({ url: flagUrl, envName: SOURCE_URL_ENV }, env),
      from: "--from",
      variable: SOURCE_URL_ENV,
      fallback: false,
    };
  const choice = chooseSourceUrlVariable(named, env);
  if (named === undefined && !env[choice.variable]) {
    throw new UsageError(
      `No database URL: ${SOURCE_URL_ENV} is not set. Neither is the app's ${APP_URL_ENV}.`,
      {
        code: "E_NO_URL",
        hint: `Put a direct postgresql:// URL (ideally of a read-only role, see docs/readonly-role.md) in ${SOURCE_URL_ENV}, e.g. in .env.production and pass --env-file .env.production; or name another variable with --from-env.`,
      },
    );
  }
  return { ...choice, url: resolveDatabaseUrl({ envName: choice.variable }, env), from: choice.variable };
}
