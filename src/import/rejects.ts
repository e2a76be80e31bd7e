import type { FileHandle } from "node:fs/promises";
import type pg from "pg";
import type { ColumnDescription } from "../schema/description.js";
import { rowJsonSql } from "../schema/values.js";
import { cursorRows } from "./cursor.js";
import { named } from "./row-decode.js";
import { quoteIdent, quoteLiteral } from "./sql-names.js";
import { REJECT_TABLE, stagingTable } from "./staging.js";
import { type ImportPlan, renderTable, type TablePlan } from "./table-plan.js";

/** One line of the dead-letter file (<name>.rejects.ndjson). */
export interface RejectedRecord {
  /** 1-based line number in the snapshot's data file. */
  line: number;
  model: string | null;
  reason: string;
  /** "validation" (zod / undecodable line) or "constraint" (would violate a constraint, or points at a rejected record). */
  category: string;
  /** The record as in the snapshot, when it could be decoded. */
  record?: unknown;
  /** The raw line text (truncated), when it could not be decoded. */
  raw?: string;
}

/** What the final transaction reports about the rejects (the records themselves go to the file). */
export interface RejectsSummary {
  total: number;
  /** Rejected by zod / undecodable lines; the rest would have violated a constraint. */
  validation: number;
  /** The first rejected record in line order, for the error message. */
  first?: RejectedRecord;
}

/**
 * One query for every rejected record in line order: records rejected while staging carry their
 * text; those rejected by the final phase's checks are rendered from their staging row.
 */
function rejectsQuery(plan: ImportPlan): { sql: string; tables: TablePlan[] } {
  const tables = plan.tables.filter((t) => t.inserted);
  const select = ["r.line", "r.model", "r.reason", "r.category", "r.record", "r.raw"];
  const joins: string[] = [];
  tables.forEach((table, i) => {
    const a = `s${i}`;
    const columns = table.columns.map((c) => ({ name: c.name, type: c.type }) as ColumnDescription);
    const json = rowJsonSql(renderTable(table.name, columns), a, { guardArrayShapes: false });
    select.push(`CASE WHEN ${a}.line IS NOT NULL THEN ${json} END AS ${quoteIdent(`row${i}`)}`);
    joins.push(
      `LEFT JOIN ${stagingTable(table.name)} ${a} ON r.record IS NULL AND r.raw IS NULL AND r.model = ${quoteLiteral(table.name)} AND ${a}.line = r.line`,
    );
  });
  return {
    sql: `SELECT ${select.join(", ")} FROM ${REJECT_TABLE} r ${joins.join(" ")} ORDER BY r.line`,
    tables,
  };
}

/** Turns a staged row (named values in format 2's encoding) back into the record as the snapshot wrote it. */
export type RecordOfRow = (table: string, row: Record<string, unknown>) => unknown;

function toRejectedRecord(
  row: Record<string, unknown>,
  tables: readonly TablePlan[],
  recordOf: RecordOfRow,
): RejectedRecord {
  const base = {
    line: row.line as number,
    model: row.model as string | null,
    reason: row.reason as string,
    category: row.category as string,
  };
  if (row.record !== null) return { ...base, record: JSON.parse(row.record as string) };
  if (row.raw !== null) return { ...base, raw: row.raw as string };
  const index = tables.findIndex((t) => t.name === base.model);
  const rendered = index >= 0 ? (row[`row${index}`] as string | null) : null;
  if (rendered === null) return base;
  const table = tables[index] as TablePlan;
  return { ...base, record: recordOf(table.name, named(table, JSON.parse(rendered) as unknown[])) };
}

/** Every rejected record in line order, read through a cursor (one page in memory at a time). */
export async function* streamRejects(
  client: pg.Client,
  plan: ImportPlan,
  recordOf: RecordOfRow,
  fetchRows?: number,
): AsyncGenerator<RejectedRecord> {
  const { sql, tables } = rejectsQuery(plan);
  for await (const row of cursorRows<Record<string, unknown>>(client, sql, [], fetchRows)) {
    yield toRejectedRecord(row, tables, recordOf);
  }
}

/** Bytes of dead-letter lines gathered before each write. */
const WRITE_CHUNK_CHARS = 256 * 1024;

/**
 * Writes one line per rejected record to the dead-letter file (see DeadLetterFile for where and
 * how it is created) as the records arrive; returns their count, the validation count and the first.
 */
export async function writeRejectLines(
  handle: FileHandle,
  rejects: AsyncIterable<RejectedRecord> | Iterable<RejectedRecord>,
): Promise<RejectsSummary> {
  const summary: RejectsSummary = { total: 0, validation: 0 };
  let chunk = "";
  for await (const reject of rejects) {
    summary.first ??= reject;
    summary.total += 1;
    if (reject.category === "validation") summary.validation += 1;
    chunk += `${JSON.stringify(reject)}\n`;
    if (chunk.length > WRITE_CHUNK_CHARS) {
      await handle.write(chunk);
      chunk = "";
    }
  }
  if (chunk) await handle.write(chunk);
  return summary;
}
