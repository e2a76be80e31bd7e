import type { FileHandle } from "node:fs/promises";
import type pg from "pg";
import { type ModelName, modelSpec, quoteIdent } from "../snapshot/models.js";
import { cursorRows } from "./cursor.js";
import { REJECT_TABLE, STAGED_MODELS, stagedFields, stagingTable } from "./staging.js";

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

/** Column alias of a staged field in the reject query: one LEFT JOIN per staged model. */
const column = (model: ModelName, field: string) => quoteIdent(`${model}:${field}`);
const alias = (model: ModelName) => quoteIdent(`s_${model}`);

/**
 * One query for every rejected record in line order: validation rejects carry their record text;
 * constraint rejects are rebuilt from their staging row (source ids, snapshot field order).
 */
function rejectsQuery(): string {
  const select = ["r.line", "r.model", "r.reason", "r.category", "r.record", "r.raw"];
  const joins: string[] = [];
  const staged: string[] = [];
  for (const spec of STAGED_MODELS) {
    const s = alias(spec.name);
    select.push(`${s}.src_id AS ${column(spec.name, "src_id")}`);
    for (const f of stagedFields(spec))
      select.push(`${s}.${quoteIdent(f.name)} AS ${column(spec.name, f.name)}`);
    joins.push(
      `LEFT JOIN ${stagingTable(spec.name)} ${s} ON r.category <> 'validation' AND r.model = '${spec.name}' AND ${s}.line = r.line`,
    );
    staged.push(`${s}.line IS NOT NULL`);
  }
  return `SELECT ${select.join(", ")} FROM ${REJECT_TABLE} r ${joins.join(" ")}
           WHERE r.category = 'validation' OR ${staged.join(" OR ")}
           ORDER BY r.line`;
}

function toRejectedRecord(row: Record<string, unknown>): RejectedRecord {
  const base = {
    line: row.line as number,
    model: row.model as string | null,
    reason: row.reason as string,
    category: row.category as string,
  };
  if (base.category === "validation") {
    return {
      ...base,
      ...(row.record !== null ? { record: JSON.parse(row.record as string) } : {}),
      ...(row.raw !== null ? { raw: row.raw as string } : {}),
    };
  }
  const model = base.model as ModelName;
  const record: Record<string, unknown> = { id: row[`${model}:src_id`] };
  for (const f of stagedFields(modelSpec(model))) record[f.name] = row[`${model}:${f.name}`];
  return { ...base, record: orderFields(model, record) };
}

/** Every rejected record in line order, read through a cursor (one page in memory at a time). */
export async function* streamRejects(client: pg.Client, fetchRows?: number): AsyncGenerator<RejectedRecord> {
  for await (const row of cursorRows<Record<string, unknown>>(client, rejectsQuery(), [], fetchRows)) {
    yield toRejectedRecord(row);
  }
}

function orderFields(model: ModelName, record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(modelSpec(model).fields.map((f) => [f.name, record[f.name] ?? null]));
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
