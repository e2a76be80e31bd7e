import type pg from "pg";
import Cursor from "pg-cursor";
import { ConnectionError } from "../errors.js";
import type { ModelQuery } from "./selection.js";

/**
 * Rows per cursor fetch: a few MiB of book rows (≈2 KiB each) per round trip, so memory stays
 * flat while the number of round trips stays small.
 */
export const DEFAULT_FETCH_ROWS = 2000;

/**
 * Streams a query's rows through a server-side cursor in the client's current transaction.
 * Yields one batch at a time; stopping early (return/throw) closes the cursor.
 */
export async function* readInBatches(
  client: pg.Client,
  query: ModelQuery,
  fetchRows = DEFAULT_FETCH_ROWS,
  /** Give up on a fetch that gets no answer for this long (0 = wait forever); see readOrLost. */
  readTimeoutMs = 0,
): AsyncGenerator<Record<string, unknown>[]> {
  const cursor = client.query(new Cursor<Record<string, unknown>>(query.text, query.values));
  let failed = false;
  try {
    for (;;) {
      let rows: Record<string, unknown>[];
      try {
        rows = await readOrLost(cursor, client, fetchRows, readTimeoutMs);
      } catch (error) {
        failed = true;
        throw error;
      }
      if (rows.length === 0) return;
      yield rows;
    }
  } finally {
    // After a failed read the session is dead or its transaction aborted: pg-cursor's close()
    // would wait for a ReadyForQuery that never comes. The caller ends the connection instead.
    if (!failed) await closeCursor(cursor, client);
  }
}

/**
 * cursor.read(), but rejected when the connection dies. pg-cursor delivers the last batch only on
 * ReadyForQuery; if the session is killed between CommandComplete and ReadyForQuery (a DBA's
 * pg_terminate_backend, a network cut) its promise never settles and the process would hang.
 * A silent network (no reset, no data) is caught by `timeoutMs`: the socket is destroyed.
 */
function readOrLost(
  cursor: Cursor,
  client: pg.Client,
  rows: number,
  timeoutMs: number,
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => onError(new Error("Connection terminated unexpectedly"));
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            onError(
              new ConnectionError(
                "E_TIMEOUT",
                `No answer from the server for ${timeoutMs} ms while reading rows`,
                {
                  hint: "The network path to the database stalled; check VPN/bastion and try again.",
                },
              ),
            );
            (
              client as unknown as { connection?: { stream?: { destroy(): void } } }
            ).connection?.stream?.destroy();
          }, timeoutMs)
        : undefined;
    const cleanup = () => {
      clearTimeout(timer);
      client.removeListener("error", onError);
      client.removeListener("end", onEnd);
    };
    client.once("error", onError);
    client.once("end", onEnd);
    cursor.read(rows).then(
      (batch: Record<string, unknown>[]) => {
        cleanup();
        resolve(batch);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** Closes the cursor, but never waits on a connection that has gone away meanwhile. */
async function closeCursor(cursor: Cursor, client: pg.Client): Promise<void> {
  let onEnd: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve;
    client.once("end", onEnd);
  });
  try {
    await Promise.race([cursor.close().catch(() => {}), ended]);
  } finally {
    client.removeListener("end", onEnd);
  }
}
