import type pg from "pg";
import { ConnectionError } from "../errors.js";
import type { ModelQuery } from "./selection.js";

/**
 * Rows per cursor fetch: a few MiB of book rows (≈2 KiB each) per round trip, so memory stays
 * flat while the number of round trips stays small.
 */
export const DEFAULT_FETCH_ROWS = 2000;

let cursorSequence = 0;

/**
 * Streams a query's rows through a server-side cursor in the client's current transaction.
 * Yields one batch at a time.
 *
 * An SQL cursor (DECLARE … / FETCH n), not a protocol-level portal: every FETCH is a statement
 * of its own, so `statement_timeout` bounds each fetch. With a suspended portal (pg-cursor) the
 * server keeps one statement timer running across the whole table, and a large export failed
 * with the default timeout. A cursor left open by an early exit ends with the transaction.
 */
export async function* readInBatches(
  client: pg.Client,
  query: ModelQuery,
  fetchRows = DEFAULT_FETCH_ROWS,
  /** Give up on a round trip that gets no answer for this long (0 = wait forever); see answeredOrLost. */
  readTimeoutMs = 0,
): AsyncGenerator<Record<string, unknown>[]> {
  cursorSequence += 1;
  const name = `booksnap_read_${cursorSequence}`;
  await answeredOrLost(
    client,
    client.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${query.text}`, query.values),
    readTimeoutMs,
  );
  for (;;) {
    const result = await answeredOrLost(
      client,
      client.query<Record<string, unknown>>(`FETCH FORWARD ${Math.trunc(fetchRows)} FROM ${name}`),
      readTimeoutMs,
    );
    if (result.rows.length === 0) break;
    yield result.rows;
  }
  await answeredOrLost(client, client.query(`CLOSE ${name}`), readTimeoutMs);
}

/**
 * The query's answer, but rejected when the connection dies or stays silent. A silent network
 * (no reset, no data) is caught by `timeoutMs`: the socket is destroyed so nothing waits forever.
 */
function answeredOrLost<T>(client: pg.Client, pending: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onEnd = () => onError(new Error("Connection terminated unexpectedly"));
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            onError(silentServerError(timeoutMs));
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
    pending.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/** The error for a round trip that got no answer for `timeoutMs`. */
export function silentServerError(timeoutMs: number): ConnectionError {
  return new ConnectionError(
    "E_TIMEOUT",
    `No answer from the server for ${timeoutMs} ms while reading rows`,
    {
      hint: "The network path to the database stalled; check VPN/bastion and try again.",
    },
  );
}
