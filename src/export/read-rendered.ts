import type pg from "pg";
import { copyOutLines, type LineChunk } from "../db/copy-out.js";
import { canonicalJsonSql } from "../snapshot/canonical-sql.js";
import { type ModelSpec, quoteIdent } from "../snapshot/models.js";
import { inlineFilter, type Selection } from "./selection.js";

/**
 * Rows per COPY statement. Each page is its own statement, so `statement_timeout` bounds a page,
 * not a whole table; rows stream within a page, so memory does not depend on this.
 */
export const DEFAULT_PAGE_ROWS = 20_000;

export interface RenderedReadOptions {
  pageRows?: number;
  /** Give up on a page that sends nothing for this long (0 = wait forever). */
  readTimeoutMs?: number;
}

/**
 * Streams one model's selected rows as canonical JSON rendered by PostgreSQL ("<json>\n" per
 * row, ascending id), page by page with keyset paging on id, inside the caller's transaction.
 * The rows never become JS objects: export only frames, hashes and compresses the bytes.
 */
export async function* readRendered(
  client: pg.Client,
  spec: ModelSpec,
  selection: Selection,
  options: RenderedReadOptions = {},
): AsyncGenerator<LineChunk> {
  const pageRows = Math.max(1, Math.trunc(options.pageRows ?? DEFAULT_PAGE_ROWS));
  const json = canonicalJsonSql(spec, (field) => quoteIdent(field.name), "[]");
  const filter = inlineFilter(spec, selection);
  let afterId: number | undefined;
  for (;;) {
    const conditions = [filter ? `(${filter})` : "", afterId === undefined ? "" : `"id" > ${afterId}`];
    const where = conditions.filter((c) => c !== "").join(" AND ");
    const query = `SELECT ${json} FROM ${quoteIdent(spec.table)}${where ? ` WHERE ${where}` : ""} ORDER BY "id" LIMIT ${pageRows}`;
    let rows = 0;
    let last: LineChunk | undefined;
    for await (const chunk of copyOutLines(client, query, { silenceTimeoutMs: options.readTimeoutMs })) {
      rows += chunk.lines;
      last = chunk;
      yield chunk;
    }
    if (rows < pageRows || !last) return;
    afterId = lastRecordId(last.bytes);
  }
}

/** The id of the last line's record: canonical JSON starts with {"id":<n>, (id is the first field). */
function lastRecordId(bytes: Buffer): number {
  const start = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
  const head = bytes.subarray(start, Math.min(start + 32, bytes.length)).toString("latin1");
  const match = /^\{"id":(\d+),/.exec(head);
  if (!match) throw new Error(`unexpected rendered row: ${head}`);
  return Number(match[1]);
}
