import { isTransientError } from "../db/connect.js";
import { BooksnapError, ConnectionError, ConstraintError } from "../errors.js";

interface PgError {
  code?: string;
  detail?: string;
  constraint?: string;
  message?: string;
}

/**
 * Turns a driver error into a classified BooksnapError that says where it happened
 * (phase, batch, lines) and keeps the SQLSTATE, detail and constraint.
 */
export function classifyImportError(error: unknown, where: string, details: Record<string, unknown>): Error {
  if (error instanceof BooksnapError) return error;
  const e = (error ?? {}) as PgError;
  const context = {
    ...details,
    sqlstate: e.code,
    ...(e.detail ? { detail: e.detail } : {}),
    ...(e.constraint ? { constraint: e.constraint } : {}),
  };
  const message = `${where}: ${e.message ?? String(error)}`;
  if (e.code === READ_ONLY_SQLSTATE) return readOnlyTargetError(message, error, context);
  if (isTransientError(error)) {
    return new ConnectionError("E_CONNECTION_LOST", message, {
      cause: error,
      details: context,
      hint: "The connection kept failing after all retries; check the database and run again with --resume.",
    });
  }
  if (e.code?.startsWith("23")) {
    return new ConstraintError("E_CONSTRAINT", message, { cause: error, details: context });
  }
  return new BooksnapError("E_IMPORT_FAILED", "internal", message, { cause: error, details: context });
}

/** read_only_sql_transaction: a hot standby, or default_transaction_read_only=on on the target. */
export const READ_ONLY_SQLSTATE = "25006";

/** The target refused a write because it is read-only: exit 3, with what to do about it. */
export function readOnlyTargetError(
  message: string,
  cause: unknown,
  details: Record<string, unknown>,
): Error {
  return new ConnectionError("E_TARGET_READ_ONLY", message, {
    cause,
    details,
    hint: "The target database is read-only (a standby, or default_transaction_read_only=on); import into a writable dev database.",
  });
}
