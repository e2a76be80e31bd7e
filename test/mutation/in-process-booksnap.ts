import { runInProcess } from "../fault/in-process-cli.js";
import { type CliRun, type CliRunOptions, cliEnvironment } from "../helpers/cli.js";

export { CLI_PATH, type CliRun, type CliRunOptions } from "../helpers/cli.js";

/**
 * Stand-in for test/helpers/cli.ts under mutation testing (vitest.mutation.config.ts aliases it):
 * the same `runBooksnap` contract, run through `runCli` inside the test process. A spawned
 * `node dist/cli.js` runs the built code, where Stryker's mutants never are, and reports no
 * per-test coverage; in-process, an end-to-end test kills mutants of the modules it crosses.
 * Options that need a real child process are refused, so such a test fails loudly here
 * instead of passing without its point.
 */
export async function runBooksnap(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  if (options.nodeArgs?.length || options.onSpawn) {
    throw new Error("runBooksnap in-process (mutation testing) cannot pass nodeArgs or onSpawn");
  }
  return runInProcess(args, {
    env: cliEnvironment(options.env),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}
