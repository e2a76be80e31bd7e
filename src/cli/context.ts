import type { Environment } from "../config/env.js";
import type { Output } from "./output.js";

/** What a command handler gets from the CLI runtime, so it never touches process globals itself. */
export interface CommandContext {
  output: Output;
  env: Environment;
  cwd: string;
  now: () => Date;
  /** Aborted on the first Ctrl-C / SIGTERM: work stops at the next safe point. */
  signal: AbortSignal;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Set by a handler that finished but must not report success (e.g. a dry run with rejects). */
  exitCode?: number;
}
