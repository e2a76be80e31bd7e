import yargs, { type CommandModule } from "yargs";
import { exportCommand } from "../commands/export.js";
import { importCommand } from "../commands/import.js";
import { inspectCommand } from "../commands/inspect.js";
import { prepareCommand } from "../commands/prepare.js";
import { verifyCommand } from "../commands/verify.js";
import type { Environment } from "../config/env.js";
import { ExitCode } from "../errors.js";
import { TOOL_VERSION } from "../version.js";
import type { CommandContext } from "./context.js";
import { reportError } from "./error-boundary.js";
import { withGlobalOptions } from "./global-options.js";
import { Output, wantsColor } from "./output.js";

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Environment;
  cwd: string;
  signal: AbortSignal;
  now?: () => Date;
}

// biome-ignore lint/suspicious/noExplicitAny: every command has its own argument type; yargs checks them.
export type CommandFactory = (ctx: CommandContext) => CommandModule<object, any>;

export const COMMANDS: readonly CommandFactory[] = [
  exportCommand,
  importCommand,
  verifyCommand,
  inspectCommand,
  prepareCommand,
];

/** Runs the CLI and returns the exit code. The only place errors become exit codes. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes("--json");
  const colorFlag = argv.includes("--no-color") ? false : argv.includes("--color") ? true : undefined;
  const output = new Output(
    io.stdout as never,
    io.stderr as never,
    json,
    wantsColor(io.stderr, io.env as NodeJS.ProcessEnv, colorFlag),
  );
  const ctx: CommandContext = {
    output,
    env: io.env,
    cwd: io.cwd,
    now: io.now ?? (() => new Date()),
    signal: io.signal,
    stdin: io.stdin,
  };
  let usageFailure: string | undefined;
  const parser = withGlobalOptions(yargs([...argv]))
    .scriptName("booksnap")
    .usage(
      "$0 <command> [options]\n\nMove the book application's data from production to your laptop, safely.",
    )
    .version(TOOL_VERSION)
    .strict()
    .recommendCommands()
    .demandCommand(1, "Name a command: export, import, verify, inspect, prepare…")
    .completion("completion", "Print a shell completion script (bash/zsh)")
    .help()
    .alias("h", "help")
    .wrap(Math.min(110, (io.stdout as { columns?: number }).columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      usageFailure = message;
    });
  for (const factory of COMMANDS) parser.command(factory(ctx));
  try {
    await parser.parseAsync();
  } catch (error) {
    return reportError(error, output, argv.includes("--verbose"));
  }
  if (usageFailure !== undefined) {
    output.note(usageFailure);
    output.note("Run 'booksnap --help' for usage.");
    return ExitCode.usage;
  }
  return ctx.exitCode ?? ExitCode.ok;
}
