import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { answeredOrLost } from "./answered.js";

/**
 * Streams a query's rows out with COPY … TO STDOUT as raw lines, for queries returning one text
 * column whose values never contain a newline, a carriage return, \x01 or \x02 (JSON text, for
 * one). In CSV format with quote \x01 and delimiter \x02 PostgreSQL then writes every value
 * verbatim, one per line: the stream is exactly "<value>\n" per row, with no escaping to undo,
 * and the bytes go from the socket to the consumer without becoming JS strings.
 */
export function copyOutSql(query: string): string {
  return `COPY (${query}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;
}

/** Complete lines ("<value>\n" each) from a COPY-out stream. */
export interface LineChunk {
  bytes: Buffer;
  lines: number;
}

export interface CopyOutOptions {
  /**
   * Give up when the server sends nothing for this long (0 = wait forever): the socket is
   * destroyed and the read fails with E_TIMEOUT, so a stalled network cannot hang it.
   */
  silenceTimeoutMs?: number;
}

const NEWLINE = 0x0a;

/**
 * Runs `copyOutSql(query)` and yields its output in chunks that end on line boundaries (rows can
 * arrive split across network reads). A NULL value (an empty line) is an error: the query
 * must always produce text.
 */
export async function* copyOutLines(
  client: pg.Client,
  query: string,
  options: CopyOutOptions = {},
): AsyncGenerator<LineChunk> {
  const stream = client.query(copyTo(copyOutSql(query)));
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let carry: Buffer | undefined;
  try {
    for (;;) {
      const next = await answeredOrLost(client, chunks.next(), options.silenceTimeoutMs ?? 0);
      if (next.done) break;
      let data = carry ? Buffer.concat([carry, next.value]) : next.value;
      carry = undefined;
      const end = data.lastIndexOf(NEWLINE) + 1;
      if (end < data.length) {
        // Copy the partial row: a view would pin the whole network buffer.
        carry = Buffer.from(data.subarray(end));
        data = data.subarray(0, end);
      }
      if (end === 0) continue;
      yield { bytes: data, lines: countLines(data) };
    }
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
  if (carry && carry.length > 0) throw new Error("COPY output ended in the middle of a row");
}

/** The query produced NULL for a row (e.g. a row guard refusing a value it cannot render). */
export class NullRowError extends Error {
  constructor() {
    super("COPY output holds an empty row (the query produced NULL)");
    this.name = "NullRowError";
  }
}

/** Number of "\n"-terminated lines; an empty line means the query produced NULL. */
function countLines(data: Buffer): number {
  let lines = 0;
  let start = 0;
  for (;;) {
    const end = data.indexOf(NEWLINE, start);
    if (end < 0) return lines;
    if (end === start) throw new NullRowError();
    lines += 1;
    start = end + 1;
  }
}
