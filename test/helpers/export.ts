import type { ExportOptions } from "../../src/export/export.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import type { ModelName } from "../../src/snapshot/models.js";
import { decodeRecordLine } from "../../src/snapshot/record-line.js";

/** The source connection in-process export tests use: TLS by host (none on loopback), test timeouts. */
export function testConnection(url: string): ExportOptions["connection"] {
  return { url, tls: "auto", connectTimeoutMs: 5_000, statementTimeoutMs: 30_000, lockTimeoutMs: 5_000 };
}

export type RecordsByModel = Record<ModelName, Array<Record<string, unknown>>>;

/** Every record of a data file, by model, in file order; a line that does not decode fails the test. */
export async function readRecords(dataPath: string): Promise<RecordsByModel> {
  const out: RecordsByModel = { User: [], Book: [], ReadingList: [], BookInReadingList: [] };
  for await (const line of readDataLines(dataPath)) {
    const decoded = decodeRecordLine(line.bytes);
    if (!decoded.ok) throw new Error(decoded.reason);
    out[decoded.model].push(decoded.record);
  }
  return out;
}
