import { setImmediate } from "node:timers/promises";
import type { ProgressCallback } from "../cli/progress.js";
import { isTransientError } from "../db/connect.js";
import { CsvChunks, copyInto } from "../db/copy.js";
import { ConflictError, InterruptedError } from "../errors.js";
import { copyText, sessionSettingsSql } from "../schema/values.js";
import { type DataReaderOptions, readDataLines } from "../snapshot/data-reader.js";
import type { DataSource } from "../snapshot/data-source.js";
import { classifyImportError } from "./classify.js";
import { CopyTextRows } from "./copy-text-rows.js";
import { TableOrderCheck } from "./order-check.js";
import { type RetryPolicy, withRetries } from "./retry.js";
import type { RowDecoder } from "./row-decode.js";
import type { ImportSession } from "./session.js";
import {
  CHECKPOINT_TABLE,
  REJECT_TABLE,
  type StagingCheckpoint,
  stagedColumns,
  stagingTable,
} from "./staging.js";
import type { TablePlan } from "./table-plan.js";

/**
 * A batch is also cut once its COPY data reaches this size, whatever --batch-size says: one batch
 * is parsed while the previous one is written, so two batches are in memory at once, and books
 * with long synopses would otherwise make memory follow the record size. measured: 50k-book
 * import fit in a 96 MB heap with this cap (see docs/benchmarks.md for throughput).
 */
export const MAX_BATCH_COPY_BYTES = 8 * 1024 * 1024;

/**
 * Parsing gives the event loop a turn this often. Lines buffered in the decompressor are read
 * without one, so without this the replies of the batch being written (BEGIN, COPY, COMMIT…)
 * waited for a whole decompressed chunk to be parsed each, and PostgreSQL sat idle.
 * measured: 100k books, staging 9.2/8.7 s -> 6.1/7.6 s (A/B on a loaded 2-core machine).
 */
const LINES_PER_EVENT_LOOP_TURN = 32;

/** Keep at most this much of an undecodable line in the dead-letter file. */
const MAX_RAW_CHARS = 4096;
const REJECT_COLUMNS = ["line", "model", "src_key", "reason", "category", "record", "raw"];

export interface StagingLoadOptions {
  /** Where the data bytes come from (re-opened from the start on every run, resumed or not). */
  data: DataSource;
  decryption?: DataReaderOptions["decryption"];
  maxUncompressedBytes: number;
  /** Lines per batch transaction. */
  batchSize: number;
  /** statement_timeout / lock_timeout for each batch transaction. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  retry: RetryPolicy;
  /** Lines in the file, for progress. */
  totalLines: number;
  /** Snapshot tables in file order (their staging tables, COPY columns). */
  tables: readonly TablePlan[];
  /** Decodes and validates each line (format 1 or 2). */
  decoder: RowDecoder;
}

export interface StagingLoadDeps {
  signal: AbortSignal;
  onProgress?: ProgressCallback;
  /** Told about each retried failure (for warnings and the summary). */
  onRetry?: (error: unknown, attempt: number, batch: number) => void;
}

interface Batch {
  number: number;
  firstLine: number;
  lastLine: number;
  /** COPY input of each staging table, built as the lines are read. */
  rows: Map<string, CopyTextRows>;
  rejects: CsvChunks;
  /** Bytes of COPY data held by rows and rejects. */
  copyBytes: number;
  counts: Record<string, number>;
}

export interface StagingLoadResult {
  checkpoint: StagingCheckpoint;
  /** Bytes of the longest line in the whole file (staged by this run or before). */
  longestLineBytes: number;
  retried: number;
  batchesThisRun: number;
}

/**
 * Streams the data file line by line (decode → zod) into the staging tables. Each batch is one
 * short transaction: COPY of its valid rows and its rejects, plus the checkpoint update. Lines up
 * to `checkpoint.lastLine` are already staged and are skipped, so a resumed import neither
 * duplicates nor misses a line.
 */
export async function loadIntoStaging(
  session: ImportSession,
  start: StagingCheckpoint,
  options: StagingLoadOptions,
  deps: StagingLoadDeps,
): Promise<StagingLoadResult> {
  let checkpoint = { ...start, counts: { ...start.counts } };
  let retried = 0;
  let batchesThisRun = 0;
  let batch = newBatch(checkpoint.batches + 1, checkpoint.lastLine + 1, checkpoint.counts);

  // Batch N is written to the database while batch N+1 is parsed and validated (JS and
  // PostgreSQL work in parallel); batches still commit strictly one after another.
  const flush = async (current: Batch) => {
    const previousLine = current.firstLine - 1;
    let attempt = 0;
    await withRetries(
      async () => {
        attempt += 1;
        if (attempt > 1) {
          // After a reconnect: if the batch did commit (the COMMIT reply was lost), do not stage it twice.
          const committed = await session.client.query<{ last_line: number }>(
            `SELECT last_line FROM ${CHECKPOINT_TABLE}`,
          );
          if (committed.rows[0]?.last_line === current.lastLine) return;
        }
        try {
          await stageBatch(session, current, previousLine, options);
        } catch (error) {
          throw isTransientError(error)
            ? error
            : classifyImportError(
                error,
                `Staging batch ${current.number} (lines ${current.firstLine}-${current.lastLine}) failed`,
                {
                  batch: current.number,
                  firstLine: current.firstLine,
                  lastLine: current.lastLine,
                },
              );
        }
      },
      options.retry,
      {
        recover: () => session.reconnect(),
        onRetry: (error, attempt) => {
          retried += 1;
          deps.onRetry?.(error, attempt, current.number);
        },
      },
    );
    checkpoint = {
      ...checkpoint,
      lastLine: current.lastLine,
      batches: current.number,
      counts: current.counts,
    };
    batchesThisRun += 1;
    await deps.onProgress?.({ label: "staging", done: current.lastLine, total: options.totalLines });
    if (deps.signal.aborted) {
      throw new InterruptedError(
        `Import interrupted after line ${current.lastLine} of ${options.totalLines}; the checkpoint is kept`,
        {
          hint: "Run the same command again with --resume to continue, or 'booksnap import --abort' to discard.",
          details: { lastLine: current.lastLine, batches: current.number },
        },
      );
    }
  };

  let inFlight: Promise<void> = Promise.resolve();
  /** Waits for the previous batch to commit, then starts writing this one and begins the next. */
  const cut = async () => {
    await inFlight;
    const current = batch;
    batch = newBatch(current.number + 1, current.lastLine + 1, current.counts);
    inFlight = flush(current);
    // Observed when awaited; this only keeps an early failure from counting as unhandled.
    inFlight.catch(() => {});
  };

  // The same model-order rule as verify; lines staged by an earlier run are checked again (not
  // staged) so a resumed run knows which model the file had reached.
  const order = new TableOrderCheck(options.tables);
  let longestLineBytes = 0;
  try {
    for await (const line of readDataLines(options.data, {
      maxUncompressedBytes: options.maxUncompressedBytes,
      ...(options.decryption ? { decryption: options.decryption } : {}),
    })) {
      longestLineBytes = Math.max(longestLineBytes, line.bytes.length);
      if (line.lineNumber <= start.lastLine) {
        if (!line.overLong) order.accept(line.lineNumber, options.decoder.decode(line.bytes));
        continue;
      }
      batch.lastLine = line.lineNumber;
      stageLine(batch, order, options.decoder, line.lineNumber, line.bytes, line.overLong === true);
      if (line.lineNumber % LINES_PER_EVENT_LOOP_TURN === 0) await setImmediate();
      if (
        batch.lastLine - batch.firstLine + 1 >= options.batchSize ||
        batch.copyBytes >= MAX_BATCH_COPY_BYTES
      ) {
        await cut();
      }
    }
    if (batch.lastLine >= batch.firstLine) await cut();
  } catch (error) {
    // A problem in the file: let the batch being written finish before the caller cleans up.
    await inFlight.catch(() => {});
    throw error;
  }
  await inFlight;
  return { checkpoint, longestLineBytes, retried, batchesThisRun };
}

function newBatch(number: number, firstLine: number, counts: Record<string, number>): Batch {
  return {
    number,
    firstLine,
    lastLine: firstLine - 1,
    rows: new Map(),
    rejects: new CsvChunks(),
    copyBytes: 0,
    counts: { ...counts },
  };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/**
 * The record as JSON text for the dead-letter file, or undefined when it cannot be written back
 * (nested too deep for JSON.stringify); the raw line is kept instead.
 */
function recordText(record: unknown): string | undefined {
  try {
    return JSON.stringify(record);
  } catch {
    return undefined;
  }
}

function stageLine(
  batch: Batch,
  order: TableOrderCheck,
  decoder: RowDecoder,
  lineNumber: number,
  bytes: Buffer,
  overLong: boolean,
): void {
  const reject = (table: TablePlan | undefined, reason: string, record: unknown, raw?: string) => {
    bump(batch.counts, "rejected");
    bump(batch.counts, `rejected:${table?.name ?? "unknown"}`);
    const text = record === undefined ? undefined : recordText(record);
    const before = batch.rejects.byteLength;
    batch.rejects.addRow([], {}, [
      lineNumber,
      table?.name ?? null,
      keyText(table, record),
      reason,
      "validation",
      text ?? null,
      raw ?? (record !== undefined && text === undefined ? rawText(bytes) : null),
    ]);
    batch.copyBytes += batch.rejects.byteLength - before;
  };
  if (overLong) {
    reject(undefined, "line is longer than the reader accepts", undefined, rawText(bytes));
    return;
  }
  const decoded = decoder.decode(bytes);
  order.accept(lineNumber, decoded);
  if (!decoded.ok) {
    reject(
      decoded.table,
      decoded.reason,
      decoded.record,
      decoded.record === undefined ? rawText(bytes) : undefined,
    );
    return;
  }
  const { table, row } = decoded;
  bump(batch.counts, table.name);
  if (table.owners && !table.inserted) return; // validated, never inserted (owners collapse onto the dev user)
  let rows = batch.rows.get(table.name);
  if (!rows) {
    rows = new CopyTextRows();
    batch.rows.set(table.name, rows);
  }
  const values: Array<string | null> = [String(lineNumber)];
  for (const column of table.columns) {
    const value = row[column.index];
    values.push(value === null ? null : copyText(column.type, value));
  }
  const before = rows.byteLength;
  rows.addRow(values);
  batch.copyBytes += rows.byteLength - before;
}

/** The key of a rejected record as text (references to it name its line), when it has one. */
function keyText(table: TablePlan | undefined, record: unknown): string | null {
  if (!table?.key || record === null || typeof record !== "object") return null;
  const value = Array.isArray(record)
    ? record[table.key.index]
    : (record as Record<string, unknown>)[table.key.column];
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

function rawText(bytes: Buffer): string {
  // NUL cannot be stored in text; show it escaped, like JSON would.
  return bytes.subarray(0, MAX_RAW_CHARS).toString("utf8").split("\u0000").join("\\u0000");
}

async function stageBatch(
  session: ImportSession,
  batch: Batch,
  previousLine: number,
  options: StagingLoadOptions,
): Promise<void> {
  const client = session.client;
  try {
    // One round trip. Staging is UNLOGGED: a crash empties it whatever we do, so waiting for the
    // WAL flush buys nothing.
    await client.query(
      `BEGIN; SET LOCAL statement_timeout = ${Math.trunc(options.statementTimeoutMs)};
       SET LOCAL lock_timeout = ${Math.trunc(options.lockTimeoutMs)}; SET LOCAL synchronous_commit = off;
       ${sessionSettingsSql({ local: true })}`,
    );
    for (const table of options.tables) {
      const rows = batch.rows.get(table.name);
      if (rows && rows.rows > 0) {
        await copyInto(client, stagingTable(table.name), stagedColumns(table), "text", rows.chunks());
      }
    }
    if (batch.rejects.rows > 0)
      await copyInto(client, REJECT_TABLE, REJECT_COLUMNS, "csv", batch.rejects.chunks());
    // Only from the line this batch continues: anything else means someone else moved the checkpoint.
    const updated = await client.query(
      `UPDATE ${CHECKPOINT_TABLE} SET last_line = $1, batches = $2, counts = $3, updated_at = now() WHERE last_line = $4`,
      [batch.lastLine, batch.number, JSON.stringify(batch.counts), previousLine],
    );
    if (updated.rowCount !== 1) {
      throw new ConflictError(
        "E_CHECKPOINT_MOVED",
        `The staging checkpoint is no longer at line ${previousLine}, where batch ${batch.number} continues`,
        { hint: "Another process touched the staging tables; run 'booksnap import --abort' and start over." },
      );
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
