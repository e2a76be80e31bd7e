import type pg from "pg";
import { copyCsvInto, csvLine } from "../db/copy.js";
import { MODEL_NAMES, type ModelName, modelSpec, quoteIdent } from "../snapshot/models.js";
import type { OutgoingRecord } from "../snapshot/snapshot-writer.js";

/**
 * Loads records (in model order) straight into the application tables with COPY, keeping
 * their ids, then moves the id sequences past them. For seeding test, demo and benchmark
 * databases; not the import path (that validates, remaps and verifies).
 */
export async function loadLibrary(
  client: pg.Client,
  records: AsyncIterable<OutgoingRecord>,
): Promise<Record<ModelName, number>> {
  const counts = Object.fromEntries(MODEL_NAMES.map((m) => [m, 0])) as Record<ModelName, number>;
  const iterator = records[Symbol.asyncIterator]();
  let next = await iterator.next();
  while (!next.done) {
    const model = next.value.model;
    const spec = modelSpec(model);
    async function* sameModel(): AsyncGenerator<string> {
      while (!next.done && next.value.model === model) {
        yield csvLine(spec.fields, next.value.record);
        counts[model] += 1;
        next = await iterator.next();
      }
    }
    await copyCsvInto(
      client,
      quoteIdent(spec.table),
      spec.fields.map((f) => f.name),
      sameModel(),
    );
  }
  for (const model of MODEL_NAMES) {
    const table = quoteIdent(modelSpec(model).table);
    await client.query(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), COALESCE((SELECT max(id) FROM ${table}), 0) + 1, false)`,
    );
  }
  return counts;
}
