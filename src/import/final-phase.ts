import { ConstraintError, ValidationError } from "../errors.js";
import { type FinalOutcome, type FinalPlan, finalizeImport } from "./finalize.js";
import { type RetryPolicy, withRetries } from "./retry.js";
import type { ImportSession } from "./session.js";
import { readCheckpoint } from "./staging.js";

/**
 * The final transaction (finalizeImport), retried as a whole on transient failures (it rolled
 * back). When the connection broke after COMMIT was sent, the checkpoint tells whether it landed.
 */
export async function runFinalPhase(
  session: ImportSession,
  plan: FinalPlan,
  retry: RetryPolicy,
  onRetry: (error: unknown, attempt: number) => void,
): Promise<FinalOutcome> {
  let committedOutcome: FinalOutcome | undefined;
  return withRetries(
    async () => {
      if (committedOutcome) {
        // The COMMIT was sent before the connection broke: did it land?
        const after = await readCheckpoint(session.client);
        if (after?.finished) return committedOutcome;
        committedOutcome = undefined;
      }
      return finalizeImport(session.client, plan, (pending) => {
        committedOutcome = pending;
      });
    },
    retry,
    { recover: () => session.reconnect(), onRetry },
  );
}

/** More rejects than --max-rejects: nothing was imported (exit 6), the dead-letter file says why. */
export function tooManyRejectsError(
  outcome: FinalOutcome,
  maxRejects: number,
  rejectsPath: string,
): ValidationError | ConstraintError {
  const { total, validation, first } = outcome.rejects;
  const message = `${total} record(s) rejected (allowed: ${maxRejects}); nothing was imported. First: line ${first?.line} (${first?.model ?? "unknown model"}): ${first?.reason}`;
  const errorOptions = {
    hint: `See ${rejectsPath} for every rejected record with its line number and reason. Fix the data, or allow them with --max-rejects N.`,
    details: { rejectsFile: rejectsPath, rejected: total, first },
  };
  return validation === total
    ? new ValidationError("E_TOO_MANY_REJECTS", message, errorOptions)
    : new ConstraintError("E_TOO_MANY_REJECTS", message, errorOptions);
}
