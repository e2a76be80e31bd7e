import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect } from "vitest";
import { type ProjectConfig, presetProjectConfig } from "../../src/config/project-config.js";
import { generateLibrary, type LibraryShape } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import type { ExportOptions } from "../../src/export/export.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import { parseManifest } from "../../src/snapshot/manifest.js";
import type { ModelName } from "../../src/snapshot/models.js";
import { decodeRecordLine } from "../../src/snapshot/record-line.js";
import { createTestDatabase, type TestDatabase } from "./db.js";
import { readRowsByTable } from "./format2.js";

/** The source connection in-process export tests use: TLS by host (none on loopback), test timeouts. */
export function testConnection(url: string): ExportOptions["connection"] {
  return { url, tls: "auto", connectTimeoutMs: 5_000, statementTimeoutMs: 30_000, lockTimeoutMs: 5_000 };
}

export type RecordsByModel = Record<ModelName, Array<Record<string, unknown>>>;

/**
 * Every record of a data file, by model (format 1) or table (format 2, rows as objects keyed by
 * column), in file order; a line that does not decode fails the test. The manifest next to the
 * data file says which format it is.
 */
export async function readRecords(dataPath: string): Promise<RecordsByModel> {
  const manifestPath = dataPath.replace(/\.ndjson\.zst$/, ".manifest.json");
  const manifest = parseManifest(await readFile(manifestPath, "utf8"), manifestPath);
  if (manifest.formatVersion === 2) return (await readRowsByTable(dataPath, manifest)) as RecordsByModel;
  const out: RecordsByModel = { User: [], Book: [], ReadingList: [], BookInReadingList: [] };
  for await (const line of readDataLines(dataPath)) {
    const decoded = decodeRecordLine(line.bytes);
    if (!decoded.ok) throw new Error(decoded.reason);
    out[decoded.model].push(decoded.record);
  }
  return out;
}

/** An export source for a test file: its database, loaded with a generated library, and a work directory. */
export interface LoadedSource {
  db: TestDatabase;
  work: string;
}

/**
 * Registers the hooks of a test file (or describe block) that exports from a loaded library: the
 * fields are set in beforeAll, and the database and directory are removed in afterAll.
 */
export function useLoadedSource(shape: LibraryShape, workPrefix: string): LoadedSource {
  const source = {} as LoadedSource;
  beforeAll(async () => {
    source.db = await createTestDatabase();
    await source.db.withClient((c) => loadLibrary(c, generateLibrary(shape)));
    source.work = await mkdtemp(join(tmpdir(), workPrefix));
  });
  afterAll(async () => {
    await source.db?.drop();
    if (source.work) await rm(source.work, { recursive: true, force: true });
  });
  return source;
}

/** The files in a snapshot directory; none if it does not exist. */
export async function filesIn(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** A failed export leaves nothing that looks like a snapshot: no data file, no manifest, no temp file. */
export function expectNothingLeft(files: string[]) {
  expect(files).toEqual([]);
}

/**
 * A data writer `wrapFileStream` for a full disk: writes go through to the file until more than
 * `capacityBytes` were written (over every file it wraps), then fail with ENOSPC.
 */
export function fullDiskAfter(capacityBytes: number): (file: NodeJS.WritableStream) => Writable {
  let written = 0;
  return (file) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (written > capacityBytes) {
          callback(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
          return;
        }
        file.write(chunk, callback);
      },
      final(callback) {
        file.end(callback);
      },
    });
}

/** The built-in book-app configuration (owners, belongsThrough, redaction rules). */
export function bookAppConfig(): ProjectConfig {
  return presetProjectConfig();
}
