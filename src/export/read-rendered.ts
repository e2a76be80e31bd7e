import type pg from "pg";
import { copyOutLines, type LineChunk } from "../db/copy-out.js";
import { type ColumnDescription, carriedColumns, type TableDescription } from "../schema/description.js";
import { quoteIdent, quoteLiteral, rowJsonSql, scalarSqlType } from "./row-sql.js";

/**
 * Rows per COPY statement. Each page is its own statement, so `statement_timeout` bounds a page,
 * not a whole table; rows stream within a page, so memory does not depend on this.
 */
export const DEFAULT_PAGE_ROWS = 20_000;

export interface RenderedReadOptions {
  /** PostgreSQL schema of the table. */
  schema: string;
  /** WHERE condition over alias `t` selecting the rows to read (subset), or undefined for all. */
  filter: string | undefined;
  pageRows?: number;
  /** Give up on a page that sends nothing for this long (0 = wait forever). */
  readTimeoutMs?: number;
}

/**
 * Streams one table's rows as format-2 row JSON rendered by PostgreSQL ("<row>\n" per row),
 * ascending by primary key, page by page with keyset paging on the key, inside the caller's
 * transaction (whose session settings fix the value encoding). The rows never become JS values
 * except the last row of each page, whose key starts the next page.
 * A table without a primary key is read in one statement, ordered by all its columns.
 */
export async function* readRendered(
  client: pg.Client,
  table: TableDescription,
  options: RenderedReadOptions,
): AsyncGenerator<LineChunk> {
  const columns = carriedColumns(table);
  const from = `${quoteIdent(options.schema)}.${quoteIdent(table.name)} t`;
  const json = rowJsonSql(table, "t");
  const key = keyColumns(table, columns);
  if (!key) {
    const order = columns.map((c) => orderExpression(c)).join(", ");
    const where = options.filter ? ` WHERE ${options.filter}` : "";
    yield* copyOutLines(client, `SELECT ${json} FROM ${from}${where} ORDER BY ${order}`, {
      silenceTimeoutMs: options.readTimeoutMs,
    });
    return;
  }
  const pageRows = Math.max(1, Math.trunc(options.pageRows ?? DEFAULT_PAGE_ROWS));
  const keyList = key.map((k) => `t.${quoteIdent(k.column.name)}`).join(", ");
  let after: string | undefined;
  for (;;) {
    const conditions = [options.filter ? `(${options.filter})` : "", after ?? ""].filter((c) => c !== "");
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "";
    const query = `SELECT ${json} FROM ${from}${where} ORDER BY ${keyList} LIMIT ${pageRows}`;
    let rows = 0;
    let last: LineChunk | undefined;
    for await (const chunk of copyOutLines(client, query, { silenceTimeoutMs: options.readTimeoutMs })) {
      rows += chunk.lines;
      last = chunk;
      yield chunk;
    }
    if (rows < pageRows || !last) return;
    after = `(${keyList}) > (${lastKeyLiterals(last.bytes, key, options.schema).join(", ")})`;
  }
}

interface KeyColumn {
  column: ColumnDescription;
  /** Position of the column in the row. */
  index: number;
}

/** The primary key's columns with their positions in the row, or undefined without a primary key. */
function keyColumns(table: TableDescription, columns: ColumnDescription[]): KeyColumn[] | undefined {
  if (table.primaryKey.length === 0) return undefined;
  return table.primaryKey.map((name) => {
    const index = columns.findIndex((c) => c.name === name);
    const column = columns[index];
    if (!column) throw new Error(`BUG: primary key column ${table.name}.${name} is not carried`);
    return { column, index };
  });
}

/** json has no ordering operator: order by its text. */
function orderExpression(column: ColumnDescription): string {
  const ref = `t.${quoteIdent(column.name)}`;
  return column.type.kind === "json" ? `${ref}::text` : ref;
}

/**
 * SQL literals of the last row's key values, cast to the columns' types: the format-2 encoding of
 * a key value (a JSON number, boolean or string of the type's text output under the export
 * session settings) is valid input for its type.
 */
function lastKeyLiterals(bytes: Buffer, key: KeyColumn[], schema: string): string[] {
  const start = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
  const row = JSON.parse(bytes.toString("utf8", start, bytes.length - 1)) as unknown[];
  return key.map(({ column, index }) => {
    const value = row[index];
    if (value === null || value === undefined || typeof value === "object") {
      throw new Error(`BUG: key column ${column.name} rendered as ${JSON.stringify(value)}`);
    }
    return `${quoteLiteral(String(value))}::${scalarSqlType(column.type, schema)}`;
  });
}
