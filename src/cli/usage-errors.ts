import yargs, { type CommandModule } from "yargs";
import { UsageError } from "../errors.js";
import { withGlobalOptions } from "./global-options.js";
import { closestMatch } from "./suggest.js";

/**
 * Usage mistakes as UsageErrors (exit 2) with a "did you mean": an unknown command is caught
 * before yargs runs, unknown flags and missing or extra arguments from yargs' strict checks.
 */

/** Global flags that take no value, so the first other word is the command. */
const VALUELESS_GLOBALS = new Set([
  "--json",
  "--verbose",
  "--color",
  "--no-color",
  "--help",
  "-h",
  "--version",
]);

export function commandName(module: CommandModule<object, unknown>): string {
  const spec = Array.isArray(module.command) ? module.command[0] : module.command;
  return String(spec ?? "").split(/\s+/)[0] ?? "";
}

/** The first word that is not a global flag is the command; refuse it early if it is unknown. */
export function rejectUnknownCommand(argv: readonly string[], commandNames: readonly string[]): void {
  if (argv.some((arg) => arg.startsWith("--get-yargs-completions"))) return;
  const candidate = argv.find((arg) => !VALUELESS_GLOBALS.has(arg));
  if (candidate === undefined || candidate.startsWith("-") || commandNames.includes(candidate)) return;
  const suggestion = closestMatch(candidate, commandNames);
  throw new UsageError(`Unknown command '${candidate}'`, {
    code: "E_UNKNOWN_COMMAND",
    hint: `${suggestion ? `Did you mean '${suggestion}'? ` : ""}Commands: ${commandNames.join(", ")}. Run 'booksnap --help' for usage.`,
    details: suggestion ? { suggestion } : {},
  });
}

/** Every option name the command (and the global options) accept, for suggestions. */
export function optionNames(
  modules: readonly CommandModule<object, unknown>[],
  command: string | undefined,
): string[] {
  const probe = withGlobalOptions(yargs([])).help().version();
  const builder = modules.find((m) => commandName(m) === command)?.builder;
  if (typeof builder === "function") builder(probe as never);
  else if (builder) probe.options(builder);
  const options = (probe as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions();
  return Object.keys(options.key).filter((key) => !/[A-Z]/.test(key) && key.length > 1);
}

/** Turns a yargs validation message into a UsageError, with "did you mean" for unknown flags. */
export function usageFailure(
  message: string,
  argv: readonly string[],
  optionsOf: (command: string | undefined) => string[],
): UsageError {
  const command = argv.find((arg) => !arg.startsWith("-"));
  const helpHint = `Run 'booksnap ${command ? `${command} ` : ""}--help' for usage.`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (!unknown?.[1]) return new UsageError(message, { hint: helpHint });
  // yargs lists a dashed flag twice, also camel-cased; keep the spelling the user typed.
  const names = unknown[1].split(", ").filter((name) => !/[A-Z]/.test(name) || argv.includes(name));
  const isFlag = (name: string) =>
    argv.some(
      (arg) =>
        arg === `--${name}` || arg.startsWith(`--${name}=`) || arg === `--no-${name}` || arg === `-${name}`,
    );
  const flags = names.filter(isFlag);
  const positionals = names.filter((name) => !isFlag(name));
  const options = flags.length > 0 ? optionsOf(command) : [];
  /** The flag as typed (a negated boolean keeps its --no- prefix) → the closest real one. */
  const suggestions: Record<string, string> = {};
  const typed = (flag: string) => (argv.includes(`--no-${flag}`) ? `--no-${flag}` : `--${flag}`);
  const shown = flags.map((flag) => {
    const match = closestMatch(flag, options);
    if (!match) return typed(flag);
    const given = typed(flag);
    suggestions[given] = given.startsWith("--no-") ? `--no-${match}` : `--${match}`;
    return `${given} (did you mean ${suggestions[given]}?)`;
  });
  const parts = [
    ...(flags.length > 0 ? [`Unknown option${flags.length > 1 ? "s" : ""} ${shown.join(", ")}`] : []),
    ...(positionals.length > 0
      ? [
          `Unexpected argument${positionals.length > 1 ? "s" : ""} ${positionals.map((p) => `'${p}'`).join(", ")}`,
        ]
      : []),
  ];
  return new UsageError(parts.join("; "), {
    code: flags.length > 0 ? "E_UNKNOWN_OPTION" : "E_USAGE",
    hint: helpHint,
    details: { unknown: names, suggestions },
  });
}
