import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { UsageError } from "../errors.js";

/** The environment a command reads: the process environment overlaid by --env-file, if given. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Loads `--env-file` (dotenv syntax) over the process environment. Values in the file win for
 * the variables it sets: naming a file is an explicit choice (e.g. `.env.production`).
 */
export function loadEnvironment(base: Environment, envFile: string | undefined): Environment {
  if (!envFile) return base;
  let text: string;
  try {
    text = readFileSync(envFile, "utf8");
  } catch (error) {
    throw new UsageError(
      `Cannot read env file ${envFile}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      {
        code: "E_ENV_FILE",
        cause: error,
      },
    );
  }
  return { ...base, ...parseEnv(text) };
}

/** Reads an integer setting from flags, then the environment, then the default; rejects junk. */
export function intSetting(
  flag: number | undefined,
  env: Environment,
  variable: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  const raw = flag ?? env[variable];
  if (raw === undefined || raw === "") return fallback;
  const value = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    // Settings with no environment variable are named by their flag ("--lock-timeout").
    const source = flag !== undefined && !variable.startsWith("--") ? "flag" : variable;
    throw new UsageError(
      `Invalid value ${JSON.stringify(raw)} for ${source}: expected an integer from ${min} to ${max}`,
      {
        code: "E_BAD_SETTING",
      },
    );
  }
  return value;
}

/** What an environment variable's name looks like (POSIX: letters, digits, underscore). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

/**
 * Checks that a flag naming a variable (--from-env, --to-env, --passphrase-env) was given a
 * name. A URL or passphrase typed there by mistake is a secret: the error never repeats it.
 */
export function assertVariableName(name: string, flag: string): string {
  if (VARIABLE_NAME.test(name)) return name;
  throw new UsageError(
    `${flag} expects the name of an environment variable; the value given is not one (not shown: it may be a secret)`,
    {
      code: "E_BAD_ENV_NAME",
      hint: `Put the value in a variable (or an --env-file) and pass its name, e.g. ${flag} MY_VARIABLE.`,
    },
  );
}
