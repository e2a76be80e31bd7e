import type { Argv } from "yargs";

/** Options every command understands. */
export interface GlobalOptions {
  json: boolean;
  verbose: boolean;
  color: boolean | undefined;
}

export function withGlobalOptions<T>(yargs: Argv<T>) {
  return yargs
    .option("json", {
      type: "boolean",
      default: false,
      describe: "Print one machine-readable JSON result on stdout",
    })
    .option("verbose", {
      type: "boolean",
      default: false,
      describe: "Show stack traces and more detail on errors",
    })
    .option("color", {
      type: "boolean",
      describe: "Colour output (default: on a TTY unless NO_COLOR is set)",
    });
}
