import { type BooksnapErrorOptions, UsageError } from "../errors.js";

/**
 * A configuration file or rule booksnap refuses: exit 2 (usage) with a stable code. Messages
 * name files, keys, tables and columns, never a value taken from the file: a config file
 * written by mistake over a secret must not be echoed to a terminal or a CI log.
 */
export type ConfigErrorCode =
  /** --config names a file that does not exist. */
  | "E_CONFIG_NOT_FOUND"
  /** The file cannot be opened (permissions, I/O). */
  | "E_CONFIG_UNREADABLE"
  /** The name is a symbolic link (refused: pass the real path with --config). */
  | "E_CONFIG_SYMLINK"
  /** A FIFO, device or directory. */
  | "E_CONFIG_NOT_REGULAR_FILE"
  /** Writable by other users, or owned by another (non-root) user. */
  | "E_CONFIG_PERMISSIONS"
  /** Larger than MAX_CONFIG_BYTES. */
  | "E_CONFIG_TOO_LARGE"
  /** Not UTF-8 JSON. */
  | "E_CONFIG_JSON"
  /** JSON that breaks the schema or its own rules (unknown keys, bad kinds, dangling sameAs…). */
  | "E_CONFIG_INVALID"
  /** A rule names a table or column the database does not have, or one of the wrong type. */
  | "E_CONFIG_REFERENCE";

export class ConfigError extends UsageError {
  constructor(code: ConfigErrorCode, message: string, options?: BooksnapErrorOptions) {
    super(message, { ...options, code });
  }
}
