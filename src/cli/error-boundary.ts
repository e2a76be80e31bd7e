import { ExitCode, isBooksnapError } from "../errors.js";
import type { Output } from "./output.js";

/** Prints any error for a person (or as JSON) and returns the exit code it maps to. */
export function reportError(error: unknown, output: Output, verbose: boolean): number {
  if (isBooksnapError(error)) {
    if (output.json) {
      output.result({
        ok: false,
        error: {
          code: error.code,
          category: error.category,
          message: error.message,
          hint: error.hint,
          details: error.details,
        },
      });
    }
    output.note(`${output.paint("31", "error")} [${error.code}] ${error.message}`);
    if (error.hint) output.note(`  hint: ${error.hint}`);
    if (verbose && error.stack) output.note(error.stack);
    if (verbose && error.cause instanceof Error && error.cause.stack)
      output.note(`caused by: ${error.cause.stack}`);
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (output.json) {
    output.result({ ok: false, error: { code: "E_UNEXPECTED", category: "internal", message: err.message } });
  }
  output.note(`${output.paint("31", "error")} [E_UNEXPECTED] ${err.message}`);
  output.note(
    verbose ? (err.stack ?? "") : "  (run again with --verbose for details; this is a bug if it persists)",
  );
  return ExitCode.unexpected;
}
