import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type FieldSpec, quoteIdent } from "../snapshot/models.js";
import { ByteChunks } from "./byte-chunks.js";

/** CSV field: quoted, quotes doubled. NULL is the unquoted empty field (COPY's CSV default). */
function csvText(value: string): string {
  return `"${value.includes('"') ? value.replace(/"/g, '""') : value}"`;
}

/** PostgreSQL array literal for text[]: every element quoted, backslashes and quotes escaped. */
export function textArrayLiteral(values: readonly string[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string;
    const escaped = v.includes("\\") || v.includes('"') ? v.replace(/\\/g, "\\\\").replace(/"/g, '\\"') : v;
    out += i === 0 ? `"${escaped}"` : `,"${escaped}"`;
  }
  return `${out}}`;
}

/** One CSV line (with newline) for COPY … FROM STDIN WITH (FORMAT csv). */
export function csvLine(
  fields: readonly FieldSpec[],
  record: Readonly<Record<string, unknown>>,
  extra: readonly unknown[] = [],
): string {
  let line = "";
  let first = true;
  for (const value of extra) {
    if (!first) line += ",";
    first = false;
    if (value !== null && value !== undefined) line += csvText(String(value));
  }
  for (const field of fields) {
    if (!first) line += ",";
    first = false;
    const value = record[field.name];
    if (value === null || value === undefined) continue;
    if (field.type.kind === "textArray") line += csvText(textArrayLiteral(value as string[]));
    else if (field.type.kind === "int") line += String(value);
    else line += csvText(String(value));
  }
  return `${line}\n`;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/**
 * CSV lines (the same bytes as csvLine's, UTF-8) written straight into large buffers as they are
 * built: no string per line, no joining, no re-encoding on the way to the socket. Lines may span
 * chunks; COPY only sees the byte stream.
 */
export class CsvChunks extends ByteChunks {
  /** Appends csvLine(fields, record, extra). */
  addRow(
    fields: readonly FieldSpec[],
    record: Readonly<Record<string, unknown>>,
    extra: readonly unknown[] = [],
  ): void {
    let first = true;
    for (const value of extra) {
      if (!first) this.byte(COMMA);
      first = false;
      if (value !== null && value !== undefined) this.quoted(String(value));
    }
    for (const field of fields) {
      if (!first) this.byte(COMMA);
      first = false;
      const value = record[field.name];
      if (value === null || value === undefined) continue;
      if (field.type.kind === "textArray") this.quoted(textArrayLiteral(value as string[]));
      else if (field.type.kind === "int") this.text(String(value));
      else this.quoted(String(value));
    }
    this.byte(NEWLINE);
    this.rows += 1;
  }

  /** The bytes so far, as views of the chunks (not copies). */
  chunks(): Buffer[] {
    return this.views();
  }

  private quoted(value: string): void {
    const escaped = value.includes('"') ? value.replace(/"/g, '""') : value;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(escaped.length * 3 + 2);
    this.chunk[this.used++] = QUOTE;
    this.used += this.chunk.write(escaped, this.used);
    this.chunk[this.used++] = QUOTE;
  }

  private text(value: string): void {
    this.reserve(value.length * 3);
    this.used += this.chunk.write(value, this.used);
  }

  private byte(value: number): void {
    this.reserve(1);
    this.chunk[this.used++] = value;
  }
}

/**
 * COPY … FROM STDIN of `data` into a table: chunks of CSV text, or of binary COPY input
 * (CopyBinaryRows.chunks()). Returns the number of rows copied.
 */
export async function copyInto(
  client: pg.Client | pg.PoolClient,
  table: string,
  columns: readonly string[],
  format: "csv" | "binary" | "text",
  data: Iterable<Buffer | string> | AsyncIterable<Buffer | string>,
): Promise<number> {
  const sql = `COPY ${table} (${columns.map(quoteIdent).join(", ")}) FROM STDIN WITH (FORMAT ${format})`;
  const stream = client.query(copyFrom(sql));
  await pipeline(Readable.from(data), stream);
  return Number(stream.rowCount ?? 0);
}

/**
 * Streams CSV lines into a table with COPY. `lines` may be any (async) iterable of
 * strings; they are grouped into large chunks so the socket sees few, big writes.
 */
export function copyCsvInto(
  client: pg.Client | pg.PoolClient,
  table: string,
  columns: readonly string[],
  lines: Iterable<string> | AsyncIterable<string>,
): Promise<number> {
  return copyInto(client, table, columns, "csv", grouped(lines));
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
