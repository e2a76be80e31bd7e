import type { Argv } from "yargs";
import { CONFIG_FILE_NAME } from "../config/config-file.js";
import { type ProjectConfig, resolveProjectConfig } from "../config/project-config.js";

/** The flag of commands that need the project configuration (export, import, check). */
export interface ConfigArgs {
  config?: string;
}

export function withConfigOption<T>(yargs: Argv<T>): Argv<T & ConfigArgs> {
  return yargs.option("config", {
    type: "string",
    describe: `Project configuration file (default ./${CONFIG_FILE_NAME} if present, else the built-in book-app config; see docs/configuration.md)`,
  });
}

/** Resolves --config once, for the command's plan. */
export function resolveConfigOption(args: ConfigArgs, cwd: string): Promise<ProjectConfig> {
  return resolveProjectConfig({ path: args.config, cwd });
}

/** One line saying which configuration a command uses (for stderr / --verbose). */
export function describeConfigOrigin(config: ProjectConfig): string {
  const { origin } = config;
  if (origin.kind === "built-in") return `configuration: built-in (${origin.preset})`;
  return `configuration: ${origin.path}${origin.extends ? ` (extends ${origin.extends})` : ""}`;
}
