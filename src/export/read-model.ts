import type pg from "pg";
import Cursor from "pg-cursor";
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
): AsyncGenerator<Record<string, unknown>[]> {
  const cursor = client.query(new Cursor<Record<string, unknown>>(query.text, query.values));
  try {
    for (;;) {
      const rows = await cursor.read(fetchRows);
      if (rows.length === 0) return;
      yield rows;
    }
  } finally {
    // After an error the connection may be unusable; closing must not mask the real failure.
    await cursor.close().catch(() => {});
  }
}
