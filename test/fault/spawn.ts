import type { ChildProcess } from "node:child_process";
import { type CliRun, type CliRunOptions, runBooksnap } from "../helpers/cli.js";

export interface RunningCli {
  child: ChildProcess;
  /** Settles when the process has exited (also after a SIGKILL: code null, signal set). */
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/cli.js …args` (as runBooksnap does) and hands back the process, so a test can kill it mid-run. */
export function startBooksnap(args: readonly string[], options: CliRunOptions = {}): RunningCli {
  let started: ChildProcess | undefined;
  const run = runBooksnap(args, {
    ...options,
    onSpawn: (child) => {
      started = child;
    },
  });
  // runBooksnap spawns synchronously, so the hook has run by now.
  const child = started as ChildProcess;
  return { child, done: run.then((result) => ({ ...result, signal: child.signalCode })) };
}
