import type pg from "pg";
import { answeredOrLost } from "../db/answered.js";
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
