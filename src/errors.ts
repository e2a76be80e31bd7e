/**
 * Typed errors with stable codes. Every failure the tool can explain is a BooksnapError;
 * the CLI's error boundary maps `exitCode` to the process exit status (see README, "Exit codes").
 */

/** Broad class of a failure, shown in messages and summaries. */
export type ErrorCategory =
  | "usage"
  | "connection"
  | "integrity"
  | "schema"
  | "validation"
  | "constraint"
  | "verification"
  | "conflict"
  | "interrupted"
  | "io"
  | "store"
  | "internal";

/** Documented exit codes. Keep README's table in sync. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  connection: 3,
  integrity: 4,
  schema: 5,
  rejected: 6,
  verification: 7,
  conflict: 8,
  io: 9,
  store: 10,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const exitCodeByCategory: Record<ErrorCategory, ExitCode> = {
  usage: ExitCode.usage,
  connection: ExitCode.connection,
  integrity: ExitCode.integrity,
  schema: ExitCode.schema,
  validation: ExitCode.rejected,
  constraint: ExitCode.rejected,
  verification: ExitCode.verification,
  conflict: ExitCode.conflict,
  interrupted: ExitCode.interrupted,
  io: ExitCode.io,
  store: ExitCode.store,
  internal: ExitCode.unexpected,
};

export interface BooksnapErrorOptions {
  cause?: unknown;
  /** What the user can do about it; printed after the message. */
  hint?: string;
  /** Structured context (model, batch, line, SQLSTATE…), included in --json output. */
  details?: Record<string, unknown>;
}

export class BooksnapError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: string, category: ErrorCategory, message: string, options: BooksnapErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.category = category;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  get exitCode(): ExitCode {
    return exitCodeByCategory[this.category];
  }
}

export class UsageError extends BooksnapError {
  constructor(message: string, options?: BooksnapErrorOptions & { code?: string }) {
    super(options?.code ?? "E_USAGE", "usage", message, options);
  }
}

export class ConnectionError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "connection", message, options);
  }
}

export class SnapshotIntegrityError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "integrity", message, options);
  }
}

export class SchemaMismatchError extends BooksnapError {
  constructor(message: string, options?: BooksnapErrorOptions & { code?: string }) {
    super(options?.code ?? "E_SCHEMA_MISMATCH", "schema", message, options);
  }
}

/**
 * The source schema cannot be carried as introspected (exit 5, like a mismatch): a foreign-key
 * cycle between tables (E_SCHEMA_CYCLE), a foreign key to a table left out of the export
 * (E_SCHEMA_EXCLUDED_REFERENCE), a missing schema (E_SCHEMA_NOT_FOUND) or included table
 * (E_SCHEMA_UNKNOWN_TABLE). See src/schema/introspect.ts and src/schema/order.ts.
 */
export class SchemaError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "schema", message, options);
  }
}

export class ValidationError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "validation", message, options);
  }
}

export class ConstraintError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "constraint", message, options);
  }
}

export class VerificationError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "verification", message, options);
  }
}

export class ConflictError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "conflict", message, options);
  }
}

export class InterruptedError extends BooksnapError {
  constructor(message: string, options?: BooksnapErrorOptions) {
    super("E_INTERRUPTED", "interrupted", message, options);
  }
}

export class OutputError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "io", message, options);
  }
}

/** The snapshot store (S3-compatible bucket) refused or failed a request: see src/store/s3-client.ts. */
export class StoreError extends BooksnapError {
  constructor(code: string, message: string, options?: BooksnapErrorOptions) {
    super(code, "store", message, options);
  }
}

/**
 * A row holds a value format 2 cannot carry exactly (a multi-dimensional or non-1-based array in
 * an array column): export refuses it rather than write it changed. Code E_UNSUPPORTED_VALUE.
 */
export class UnsupportedValueError extends BooksnapError {
  constructor(message: string, options?: BooksnapErrorOptions) {
    super("E_UNSUPPORTED_VALUE", "schema", message, options);
  }
}

export function isBooksnapError(error: unknown): error is BooksnapError {
  return error instanceof BooksnapError;
}
