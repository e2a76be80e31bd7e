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
  try {
    for (;;) {
      const rows = await cursor.read(fetchRows);
      if (rows.length === 0) return;
      yield* rows;
    }
  } finally {
    await cursor.close().catch(() => {});
  }
}
