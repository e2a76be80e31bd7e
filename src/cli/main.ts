import yargs, { type CommandModule } from "yargs";
import { checkCommand } from "../commands/check.js";
import { demoCommand } from "../commands/demo.js";
import { exportCommand } from "../commands/export.js";
import { importCommand } from "../commands/import.js";
import { inspectCommand } from "../commands/inspect.js";
import { keygenCommand } from "../commands/keygen.js";
import { listCommand } from "../commands/list.js";
import { prepareCommand } from "../commands/prepare.js";
import { pruneCommand } from "../commands/prune.js";
import { pullCommand } from "../commands/pull.js";
import { pushCommand } from "../commands/push.js";
import { verifyCommand } from "../commands/verify.js";
import type { Environment } from "../config/env.js";
import { ExitCode } from "../errors.js";
import { storeSecrets } from "../store/settings.js";
import { TOOL_VERSION } from "../version.js";
import type { CommandContext } from "./context.js";
import { reportError } from "./error-boundary.js";
import { withGlobalOptions } from "./global-options.js";
import { Output, wantsColor } from "./output.js";
import { commandName, optionNames, rejectUnknownCommand, usageFailure } from "./usage-errors.js";

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
  checkCommand,
  verifyCommand,
  inspectCommand,
  listCommand,
  pushCommand,
  pullCommand,
  pruneCommand,
  prepareCommand,
  demoCommand,
  keygenCommand,
];

/** Runs the CLI and returns the exit code. The only place errors become exit codes. */
export async function runCli(rawArgv: readonly string[], io: CliIo): Promise<number> {
  // `booksnap help [command]` is what many people type first: same as `booksnap [command] --help`.
  const argv = rawArgv[0] === "help" ? [...rawArgv.slice(1), "--help"] : rawArgv;
  const json = argv.includes("--json");
  const colorFlag = argv.includes("--no-color") ? false : argv.includes("--color") ? true : undefined;
  const output = new Output(
    io.stdout as never,
    io.stderr as never,
    json,
    wantsColor(io.stderr, io.env as NodeJS.ProcessEnv, colorFlag),
    wantsColor(io.stdout, io.env as NodeJS.ProcessEnv, colorFlag),
  );
  // AWS secret keys and session tokens never reach the output, whichever command runs.
  for (const secret of storeSecrets(io.env)) output.protectUrl(secret);
  const ctx: CommandContext = {
    output,
    env: io.env,
    cwd: io.cwd,
    now: io.now ?? (() => new Date()),
    signal: io.signal,
    stdin: io.stdin,
  };
  const modules = COMMANDS.map((factory) => factory(ctx));
  const commandNames = [...modules.map(commandName), "completion"];
  const parser = withGlobalOptions(yargs([...argv]))
    .scriptName("booksnap")
    .locale("en")
    .usage(
      "$0 <command> [options]\n\nMove the book application's data from production to your laptop, safely.",
    )
    .version(TOOL_VERSION)
    .strict()
    .demandCommand(1, `Name a command: ${commandNames.join(", ")}`)
    .completion("completion", "Print a shell completion script (bash, or zsh when $SHELL is zsh)")
    .example("$0 demo", "See export → verify → import run against a throw-away PostgreSQL")
    .example("$0 export --env-file .env.production", "Snapshot the production database (read-only)")
    .example("$0 import snapshots/alice --env-file .env", "Load it into your dev database")
    .example("booksnap completion >> ~/.bashrc", "Enable tab completion (bash; zsh: >> ~/.zshrc)")
    .help()
    .alias("h", "help")
    .epilogue(
      "Exit codes: 0 ok, 1 unexpected, 2 usage/refused, 3 connection, 4 snapshot integrity, 5 schema mismatch (check: refused), 6 rejected records (check: some would be), 7 verification failed, 8 conflict, 9 output IO, 10 snapshot store, 130 interrupted.",
    )
    .wrap(Math.min(110, (io.stdout as { columns?: number }).columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // Throwing stops yargs here: a handler must never run after a usage failure.
      if (error) throw error;
      throw usageFailure(message, argv, (command) => optionNames(modules, command));
    });
  for (const module of modules) parser.command(module);
  try {
    rejectUnknownCommand(argv, commandNames);
    await parser.parseAsync();
  } catch (error) {
    return reportError(error, output, argv.includes("--verbose"));
  }
  return ctx.exitCode ?? ExitCode.ok;
}
