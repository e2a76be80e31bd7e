import { assertUsableUrl } from "../db/connect.js";
import type { Environment } from "./env.js";

export interface DatabaseUrlChoice {
  /** --from / --to */
  url?: string | undefined;
  /** --from-env / --to-env */
  envName: string;
}

/** A URL given on the command line wins over the named environment variable. */
export function resolveDatabaseUrl(choice: DatabaseUrlChoice, env: Environment): string {
  if (choice.url) return assertUsableUrl(choice.url, "--from/--to");
  return assertUsableUrl(env[choice.envName], choice.envName);
}
