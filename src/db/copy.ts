import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type FieldSpec, quoteIdent } from "../snapshot/models.js";

/** CSV field: quoted, quotes doubled. NULL is the unquoted empty field (COPY's CSV default). */
function csvText(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** PostgreSQL array literal for text[]: every element quoted, backslashes and quotes escaped. */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`).join(",")}}`;
}

/** One CSV line (with newline) for COPY … FROM STDIN WITH (FORMAT csv). */
export function csvLine(
  fields: readonly FieldSpec[],
  record: Readonly<Record<string, unknown>>,
  extra: readonly unknown[] = [],
): string {
  const parts: string[] = [];
  for (const value of extra) parts.push(value === null || value === undefined ? "" : csvText(String(value)));
  for (const field of fields) {
    const value = record[field.name];
    if (value === null || value === undefined) parts.push("");
    else if (field.type.kind === "textArray") parts.push(csvText(textArrayLiteral(value as string[])));
    else if (field.type.kind === "int") parts.push(String(value));
    else parts.push(csvText(String(value)));
  }
  return `${parts.join(",")}\n`;
}

/**
 * Streams CSV lines into a table with COPY. `lines` may be any (async) iterable of
 * strings; they are grouped into large chunks so the socket sees few, big writes.
 */
export async function copyCsvInto(
  client: pg.Client | pg.PoolClient,
  table: string,
  columns: readonly string[],
  lines: Iterable<string> | AsyncIterable<string>,
): Promise<number> {
  const sql = `COPY ${table} (${columns.map(quoteIdent).join(", ")}) FROM STDIN WITH (FORMAT csv)`;
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(grouped(lines)), stream);
  return Number(stream.rowCount ?? 0);
}

async function* grouped(lines: Iterable<string> | AsyncIterable<string>): AsyncGenerator<string> {
  let buffer: string[] = [];
  let size = 0;
  for await (const line of lines) {
    buffer.push(line);
    size += line.length;
    if (size >= 256 * 1024) {
      yield buffer.join("");
      buffer = [];
      size = 0;
    }
  }
  if (buffer.length > 0) yield buffer.join("");
}
