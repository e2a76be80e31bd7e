import { isUtf8 } from "node:buffer";

/**
 * Format-2 data lines: `["<table>",<row>]\n`, where <row> is the JSON array of the table's carried
 * columns in the manifest's column order. The table name is written exactly as JSON.stringify
 * writes it, with no whitespace around the row, so a reader can take the row's bytes back out of
 * the line (the per-table digest is over those bytes plus "\n", in file order).
 */

const NEWLINE = 0x0a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** What comes before a row on its line. */
export function rowLinePrefix(table: string): string {
  return `[${JSON.stringify(table)},`;
}

/** The data line of one row (without its "\n"), from the row's JSON array text. */
export function encodeRowLine(table: string, rowJson: string): string {
  return `${rowLinePrefix(table)}${rowJson}]`;
}

/**
 * Data lines for rows already rendered as JSON arrays by PostgreSQL ("<row>\n" each, a COPY
 * chunk): each framed as encodeRowLine does, byte for byte, without becoming a JS string.
 */
export function frameRowLines(table: string, rows: Buffer, count: number): Buffer {
  const prefix = Buffer.from(rowLinePrefix(table), "utf8");
  const out = Buffer.allocUnsafe(rows.length + count * (prefix.length + 1));
  let from = 0;
  let to = 0;
  let lines = 0;
  while (from < rows.length) {
    const end = rows.indexOf(NEWLINE, from);
    if (end < 0 || lines === count) break;
    to += prefix.copy(out, to);
    to += rows.copy(out, to, from, end);
    out[to++] = CLOSE_BRACKET;
    out[to++] = NEWLINE;
    from = end + 1;
    lines += 1;
  }
  if (lines !== count || from !== rows.length || to !== out.length) {
    throw new Error(`expected ${count} rendered rows for ${table}`);
  }
  return out;
}

/** Number of carried columns per table: what a line's row must hold. */
export type RowLayout = ReadonlyMap<string, number>;

export type DecodedRowLine =
  | {
      ok: true;
      table: string;
      row: unknown[];
      /** The row's JSON bytes as they appear in the line (a view into the line): what the digest hashes. */
      rowBytes: Buffer;
    }
  | { ok: false; reason: string; table?: string };

/**
 * Decodes one data line (without its "\n"); never throws. Malformed lines come back with a
 * reason for the dead-letter file. Strict: valid UTF-8 (no byte-order mark), no NUL, JSON, exactly
 * `["<known table>",[…]]` with the canonical framing, and as many values as the table has
 * carried columns. Values are not checked here (validateValue does that per column type).
 */
export function decodeRowLine(bytes: Buffer, layout: RowLayout): DecodedRowLine {
  if (!isUtf8(bytes)) return { ok: false, reason: "invalid UTF-8" };
  if (bytes.includes(0)) return { ok: false, reason: "NUL character in line" };
  const text = bytes.toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
  }
  if (!Array.isArray(value) || value.length !== 2) {
    return { ok: false, reason: 'line must be a JSON array ["<table>", [values…]]' };
  }
  const [table, row] = value as [unknown, unknown];
  if (typeof table !== "string") return { ok: false, reason: "table name is not a string" };
  const columns = layout.get(table);
  if (columns === undefined) return { ok: false, reason: `unknown table ${JSON.stringify(table)}` };
  if (!Array.isArray(row)) return { ok: false, reason: "row is not a JSON array", table };
  if (row.length !== columns) {
    return {
      ok: false,
      reason: `row has ${row.length} values, table ${table} has ${columns} columns`,
      table,
    };
  }
  const prefix = Buffer.from(rowLinePrefix(table), "utf8");
  const framed =
    bytes.subarray(0, prefix.length).equals(prefix) &&
    bytes[prefix.length] === OPEN_BRACKET &&
    bytes[bytes.length - 2] === CLOSE_BRACKET &&
    bytes[bytes.length - 1] === CLOSE_BRACKET;
  if (!framed) {
    return { ok: false, reason: `line is not framed as ${rowLinePrefix(table)}<row>]`, table };
  }
  return { ok: true, table, row, rowBytes: bytes.subarray(prefix.length, bytes.length - 1) };
}
