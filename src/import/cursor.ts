import type pg from "pg";
import Cursor from "pg-cursor";

/** Rows per cursor fetch while verifying: a few MiB of book rows per round trip. */
export const VERIFY_FETCH_ROWS = 2000;
/**
 * Memory one fetch may take, whatever the rows hold. A row read back and compared takes about
 * ROW_BYTES_PER_LINE_BYTE times its snapshot line in heap (staged and imported copies, canonical
 * JSON of each, protocol buffers). measured: 615 KB lines, 13 rows per fetch → heap 60–214 MB;
 * 3 rows per fetch → see docs/security.md. Lines of a few KB still get ~700 rows per fetch.
 */
const FETCH_BYTES = 16 * 1024 * 1024;
const ROW_BYTES_PER_LINE_BYTE = 8;

/**
 * Rows per fetch so that one fetch stays within FETCH_BYTES when the longest line of the
 * snapshot is `longestLineBytes`: memory follows bytes, not row counts (600 KB records in
 * fetches of 2,000 rows took 1.7 GB).
 */
export function rowsPerFetch(longestLineBytes: number): number {
  const rows = Math.floor(FETCH_BYTES / (Math.max(longestLineBytes, 1) * ROW_BYTES_PER_LINE_BYTE));
  return Math.min(VERIFY_FETCH_ROWS, Math.max(1, rows));
}

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
