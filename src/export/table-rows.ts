import type pg from "pg";
import { NullRowError } from "../db/copy-out.js";
import { SchemaError, type UnsupportedValueError } from "../errors.js";
import type { RowRedactor } from "../redact/row-redactor.js";
import type { TableDescription, UnsupportedColumn } from "../schema/description.js";
import type { RowChunk } from "../snapshot/format2-writer.js";
import { readRendered } from "./read-rendered.js";
import { arrayShapeViolationsSql, quoteIdent, unsupportedArrayValueError } from "./row-sql.js";

export interface TableReadSettings {
  schema: string;
  /** WHERE condition over alias `t` (subset), or undefined for every row. */
  filter: string | undefined;
  pageRows: number | undefined;
  readTimeoutMs: number;
}

/**
 * One table's rows as format-2 row chunks. PostgreSQL renders every row's JSON; a table without
 * redaction passes those bytes through untouched (the fast path); a redacted table's rows are
 * parsed, redacted and re-serialised in Node, one COPY chunk at a time.
 */
export async function* tableRows(
  client: pg.Client,
  table: TableDescription,
  redactor: RowRedactor | undefined,
  settings: TableReadSettings,
): AsyncGenerator<RowChunk> {
  const pages = readRendered(client, table, settings);
  try {
    for await (const chunk of pages) {
      if (!redactor) {
        yield { table: table.name, rows: chunk.bytes, count: chunk.lines };
        continue;
      }
      yield { table: table.name, rows: redactLines(chunk.bytes, redactor), count: chunk.lines };
    }
  } catch (error) {
    if (error instanceof NullRowError) throw await unsupportedValueError(client, table, settings);
    throw error;
  }
}

/** "<row>\n" lines, each parsed, redacted and serialised again. */
function redactLines(bytes: Buffer, redactor: RowRedactor): Buffer {
  const text = bytes.toString("utf8");
  let out = "";
  let from = 0;
  while (from < text.length) {
    const end = text.indexOf("\n", from);
    const row = JSON.parse(text.slice(from, end)) as unknown[];
    out += `${JSON.stringify(redactor(row))}\n`;
    from = end + 1;
  }
  return Buffer.from(out, "utf8");
}

/**
 * A row holds an array format 2 cannot carry exactly (multi-dimensional, or not 1-based): the
 * row guard made it NULL. Finds the row and its columns, so the error names them (never mangled).
 */
async function unsupportedValueError(
  client: pg.Client,
  table: TableDescription,
  settings: TableReadSettings,
): Promise<UnsupportedValueError> {
  const violations = arrayShapeViolationsSql(table, "t");
  const where = [settings.filter ? `(${settings.filter})` : "", `cardinality(${violations}) > 0`]
    .filter((c) => c !== "")
    .join(" AND ");
  const key = table.primaryKey.map((c) => `t.${quoteIdent(c)}::text AS ${quoteIdent(`key_${c}`)}`);
  const { rows } = await client
    .query<Record<string, unknown> & { columns: string[] }>(
      `SELECT ${[`${violations} AS columns`, ...key].join(", ")} FROM ${quoteIdent(settings.schema)}.${quoteIdent(table.name)} t WHERE ${where} LIMIT 1`,
    )
    .catch(() => ({ rows: [] as Array<Record<string, unknown> & { columns: string[] }> }));
  const row = rows[0];
  const keyValues = Object.fromEntries(table.primaryKey.map((c) => [c, row?.[`key_${c}`]]));
  return unsupportedArrayValueError(table.name, row?.columns ?? [], row ? keyValues : {});
}

/** Columns booksnap cannot carry: refused before any row is read. */
export function unsupportedColumnsError(unsupported: readonly UnsupportedColumn[]): SchemaError {
  const lines = unsupported.map((u) => `${u.table}.${u.column} (${u.sqlType}): ${u.reason}`);
  return new SchemaError(
    "E_UNSUPPORTED_COLUMN",
    `The source has columns booksnap cannot carry exactly; no row was read:\n${lines.map((l) => `  - ${l}`).join("\n")}`,
    {
      hint: "Leave these tables out (tables.exclude in booksnap.config.json), or change the column types.",
      details: { columns: unsupported.map((u) => ({ ...u })) },
    },
  );
}
