import { chmod, open } from "node:fs/promises";
import type pg from "pg";
import { type ModelName, modelSpec } from "../snapshot/models.js";
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

/**
 * Every rejected record, in line order: validation rejects carry their record text; constraint
 * rejects are rebuilt from staging (source ids, snapshot field order).
 */
export async function collectRejects(client: pg.Client): Promise<RejectedRecord[]> {
  const out: RejectedRecord[] = [];
  const { rows } = await client.query<{
    line: number;
    model: string | null;
    reason: string;
    category: string;
    record: string | null;
    raw: string | null;
  }>(`SELECT line, model, reason, category, record, raw FROM ${REJECT_TABLE} WHERE category = 'validation'`);
  for (const row of rows) {
    out.push({
      line: row.line,
      model: row.model,
      reason: row.reason,
      category: row.category,
      ...(row.record !== null ? { record: JSON.parse(row.record) } : {}),
      ...(row.raw !== null ? { raw: row.raw } : {}),
    });
  }
  for (const spec of STAGED_MODELS) {
    const fields = stagedFields(spec);
    const staged = await client.query<Record<string, unknown>>(
      `SELECT r.reason, r.category, s.* FROM ${REJECT_TABLE} r JOIN ${stagingTable(spec.name)} s ON s.line = r.line
        WHERE r.model = $1 AND r.category <> 'validation'`,
      [spec.name],
    );
    for (const row of staged.rows) {
      const record: Record<string, unknown> = { id: row.src_id };
      for (const f of fields) record[f.name] = row[f.name];
      out.push({
        line: row.line as number,
        model: spec.name,
        reason: row.reason as string,
        category: row.category as string,
        record: orderFields(spec.name, record),
      });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}

function orderFields(model: ModelName, record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(modelSpec(model).fields.map((f) => [f.name, record[f.name] ?? null]));
}

/** Writes the dead-letter file (mode 0600), replacing an older one. */
export async function writeRejectsFile(path: string, rejects: readonly RejectedRecord[]): Promise<void> {
  const handle = await open(path, "w", 0o600);
  try {
    await chmod(path, 0o600);
    let chunk = "";
    for (const reject of rejects) {
      chunk += `${JSON.stringify(reject)}\n`;
      if (chunk.length > 256 * 1024) {
        await handle.write(chunk);
        chunk = "";
      }
    }
    if (chunk) await handle.write(chunk);
  } finally {
    await handle.close();
  }
}
