import { scrubError } from "../db/connect.js";
import { redactSecrets } from "../db/url.js";
import { BooksnapError, ConnectionError, isBooksnapError } from "../errors.js";

/** Socket errors that mean the connection is gone (Node's errno codes). */
const SOCKET_ERRORS = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_WRITE_AFTER_END",
]);

/**
 * Turns a failure of a query on the source into a classified, credential-free error that
 * keeps the SQLSTATE and says what the export was doing.
 */
export function classifyQueryError(error: unknown, doing: string, url: string): unknown {
  if (isBooksnapError(error)) return error;
  const e = (error ?? {}) as { code?: string; message?: string };
  const message = redactSecrets(String(e.message ?? error), [url]);
  const options = { cause: scrubError(error, url), details: { sqlstate: e.code, during: doing } };
  if (e.code === "57014" || e.code === "55P03" || e.code === "25P03") {
    return new ConnectionError("E_TIMEOUT", `Timed out while ${doing}: ${message}`, {
      ...options,
      hint: "The source was too slow or a lock was held; raise --statement-timeout / --lock-timeout (or SYNC_TIMEOUT_MS), or export at a quieter time.",
    });
  }
  if (e.code === "25006") {
    return new BooksnapError(
      "E_WRITE_REFUSED",
      "internal",
      `The source refused a write while ${doing}: ${message}`,
      {
        ...options,
        hint: "booksnap export only reads: something on the source tried to write during a read (a function called by a view, policy or default) and the read-only transaction refused it. Nothing was written.",
      },
    );
  }
  if (e.code === "42501") {
    return new ConnectionError("E_PERMISSION", `Permission denied while ${doing}: ${message}`, {
      ...options,
      hint: "The export role needs SELECT on every table it exports (docs/readonly-role.md shows how to grant it).",
    });
  }
  if (
    e.code?.startsWith("08") ||
    e.code?.startsWith("57P") ||
    SOCKET_ERRORS.has(e.code ?? "") ||
    /Connection terminated|connection error|ECONNRESET|EPIPE/i.test(message)
  ) {
    return new ConnectionError("E_CONNECTION_LOST", `Lost the connection while ${doing}: ${message}`, {
      ...options,
      hint: "The server went away or the network dropped; run the export again.",
    });
  }
  return new BooksnapError("E_QUERY", "internal", `Query failed while ${doing}: ${message}`, options);
}
