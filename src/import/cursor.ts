import type pg from "pg";
import Cursor from "pg-cursor";

/** Rows per cursor fetch while verifying: a few MiB of book rows per round trip. */
export const VERIFY_FETCH_ROWS = 2000;

/** Streams a query's rows through a server-side cursor (flat memory); closes the cursor on exit. */
export async function* cursorRows<Row extends Record<string, unknown>>(
  client: pg.Client,
  text: string,
  values: unknown[] = [],
  fetchRows = VERIFY_FETCH_ROWS,
): AsyncGenerator<Row> {
  const cursor = client.query(new Cursor<Row>(text, values));
  let readFailed = false;
  try {
    for (;;) {
      let rows: Row[];
      try {
        rows = await cursor.read(fetchRows);
      } catch (error) {
        readFailed = true;
        throw error;
      }
      if (rows.length === 0) return;
      yield* rows;
    }
  } finally {
    // After a failed read the connection is broken or the transaction aborted: close() would wait
    // for a ReadyForQuery that never comes (a dropped connection would hang the import).
    if (!readFailed) await cursor.close().catch(() => {});
  }
}
