import { mkdtempSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type pg from "pg";
import { afterAll, afterEach } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { generateLibrary, type LibraryShape } from "../../src/dataset/generate.js";
import type { ImportDeps } from "../../src/import/options.js";
import { readDataLines } from "../../src/snapshot/data-reader.js";
import type { SnapshotManifest } from "../../src/snapshot/manifest.js";
import type { SnapshotRecord } from "../../src/snapshot/models.js";
import type { SnapshotPaths } from "../../src/snapshot/paths.js";
import { decodeRecordLine } from "../../src/snapshot/record-line.js";
import type { SnapshotWriteOptions } from "../../src/snapshot/snapshot-writer.js";
import {
  type OutgoingRecord,
  type WrittenSnapshot,
  writeSnapshot,
} from "../../src/snapshot/snapshot-writer.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { testDescription } from "../helpers/snapshot.js";

/** Shared helpers of the import tests (not a test file itself). */

/**
 * Per-test clean-up for the calling test file (registers its afterEach): returns `push`, whose
 * steps run in reverse order after each test.
 */
export function useCleanup(): (step: () => Promise<unknown>) => void {
  const steps: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return (step) => {
    steps.push(step);
  };
}

/** `setup()` for each test of the calling file: a fresh database and a temp directory, both removed afterwards. */
export function useImportSetup(): () => Promise<{ db: TestDatabase; dir: string }> {
  const cleanup = useCleanup();
  return async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(join(tmpdir(), "booksnap-import-"));
    cleanup(() => db.drop());
    cleanup(() => rm(dir, { recursive: true, force: true }));
    return { db, dir };
  };
}

/** ImportDeps of a run nobody interrupts. */
export const importDeps = (): ImportDeps => ({ now: () => new Date(), signal: new AbortController().signal });

/** 1-based line of a record in the snapshot written from `records`. */
export const lineOf = (records: readonly OutgoingRecord[], model: string, id: number): number =>
  records.findIndex((r) => r.model === model && r.record.id === id) + 1;

/** The dead-letter file's lines, parsed. */
export async function readRejects(path: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

/** Whether the import's staging schema is (still) in the database. */
export async function stagingExists(db: TestDatabase): Promise<boolean> {
  const r = await db.withClient((c) =>
    c.query("SELECT 1 FROM pg_namespace WHERE nspname = 'booksnap_staging'"),
  );
  return (r.rowCount ?? 0) > 0;
}

export const PROD_SOURCE = {
  host: "prod-db.example.com",
  port: 5432,
  database: "books",
  tls: "require",
  isolation: "repeatable read, read only",
} as const;

export async function* fromArray(records: readonly OutgoingRecord[]): AsyncGenerator<OutgoingRecord> {
  yield* records;
}

export async function collect(shape: LibraryShape): Promise<OutgoingRecord[]> {
  const out: OutgoingRecord[] = [];
  for await (const r of generateLibrary(shape)) out.push(r);
  return out;
}

/** Writes a snapshot exactly as export does (same writer, same format), as if taken from PROD_SOURCE. */
export function makeSnapshot(
  dir: string,
  name: string,
  records: readonly OutgoingRecord[] | AsyncIterable<OutgoingRecord>,
  options: { source?: Partial<SnapshotManifest["source"]>; writer?: SnapshotWriteOptions } = {},
): Promise<WrittenSnapshot> {
  const source = Symbol.asyncIterator in records ? records : fromArray(records as readonly OutgoingRecord[]);
  return writeSnapshot(
    dir,
    name,
    source as AsyncIterable<OutgoingRecord>,
    testDescription({ source: { ...PROD_SOURCE, ...options.source } }),
    options.writer,
  );
}

/** Every record of a snapshot's data file, decoded. */
export async function readSnapshotRecords(paths: SnapshotPaths): Promise<OutgoingRecord[]> {
  const out: OutgoingRecord[] = [];
  for await (const line of readDataLines(paths.dataPath)) {
    const decoded = decodeRecordLine(line.bytes);
    if (!decoded.ok) throw new Error(`line ${line.lineNumber}: ${decoded.reason}`);
    out.push({ model: decoded.model, record: decoded.record });
  }
  return out;
}

/** A user's library with ids replaced by content (the documented remap), in a stable order. */
export interface ComparableLibrary {
  books: Record<string, unknown>[];
  lists: Record<string, unknown>[];
}

function sortByJson<T>(items: T[]): T[] {
  return items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/**
 * Expected content of the dev user after a replace import of these records: every book and list
 * of every owner (owners collapse), ids dropped, list entries identified by their book's isbn13.
 * The app's per-owner rules are applied as the README states them, written independently of the
 * engine: favourites lists of one kind (and year) are combined into the lowest-id one, an entry
 * whose book is already in the combined list is dropped (the first in the file wins), and the
 * combined list's entries are renumbered 100, 200, … (the kept list's first, then by source list,
 * old position, entry id).
 */
export function expectedLibrary(records: readonly OutgoingRecord[]): ComparableLibrary {
  const isbnById = new Map<unknown, unknown>();
  const books: Record<string, unknown>[] = [];
  const lists = new Map<number, Record<string, unknown>>();
  const keptBySlot = new Map<string, number>();
  const slotOf = (list: Record<string, unknown>) =>
    list.type === "FAVORITES_ALL" ? "all" : list.type === "FAVORITES_YEAR" ? `year:${list.year}` : undefined;
  for (const { model, record } of records) {
    const { id, ownerId: _owner, ...rest } = record as SnapshotRecord;
    if (model === "Book") {
      isbnById.set(id, rest.isbn13);
      books.push(rest);
    } else if (model === "ReadingList") {
      // Format-1 records carry the year as int (0.1-0.2 layout); the app's column holds its text.
      const year = rest.year === null ? null : String(rest.year);
      const list = { ...rest, year, entries: [] };
      lists.set(id as number, list);
      const slot = slotOf(list);
      if (slot !== undefined) keptBySlot.set(slot, Math.min(keptBySlot.get(slot) ?? Infinity, id as number));
    }
  }
  const keptOf = (listId: number) => {
    const list = lists.get(listId);
    const slot = list ? slotOf(list) : undefined;
    return slot === undefined ? listId : (keptBySlot.get(slot) as number);
  };
  const combined = new Set([...lists.keys()].filter((id) => keptOf(id) !== id).map(keptOf));
  const entries = records
    .filter((r) => r.model === "BookInReadingList")
    .map((r) => r.record as SnapshotRecord)
    .sort((a, b) => (a.id as number) - (b.id as number));
  const seen = new Set<string>();
  const placed = new Map<number, SnapshotRecord[]>();
  for (const entry of entries) {
    const into = keptOf(entry.readingListId as number);
    const pair = `${into}/${String(entry.bookId)}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    placed.set(into, [...(placed.get(into) ?? []), entry]);
  }
  for (const [listId, placedEntries] of placed) {
    if (combined.has(listId)) {
      placedEntries.sort(
        (a, b) =>
          Number(a.readingListId !== listId) - Number(b.readingListId !== listId) ||
          (a.readingListId as number) - (b.readingListId as number) ||
          (a.position as number) - (b.position as number) ||
          (a.id as number) - (b.id as number),
      );
    }
    placedEntries.forEach((entry, index) => {
      const { id: _id, bookId, readingListId: _list, position, ...rest } = entry;
      (lists.get(listId)?.entries as unknown[] | undefined)?.push({
        book: isbnById.get(bookId),
        ...rest,
        position: combined.has(listId) ? 100 * (index + 1) : position,
      });
    });
  }
  const kept = [...lists.entries()].filter(([id]) => keptOf(id) === id).map(([, list]) => list);
  for (const list of kept) sortByJson(list.entries as unknown[]);
  return { books: sortByJson(books), lists: sortByJson(kept) };
}

/** The dev user's content read back from the database, in the same comparable form. */
export async function actualLibrary(client: pg.Client, ownerId: number): Promise<ComparableLibrary> {
  const fix = (row: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(row)) if (v instanceof Date) row[k] = v.toISOString();
    return row;
  };
  const books = (
    await client.query(
      `SELECT "isbn10","isbn13","title","titleLong","language","synopsis","image","imageOriginal","publisher","edition",
              "pageCount","datePublished","subjects","authors","binding","visibility"::text AS visibility,
              to_char("readDate", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "readDate",
              to_char("createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
              to_char("updatedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "updatedAt"
         FROM "Book" WHERE "ownerId" = $1`,
      [ownerId],
    )
  ).rows.map(fix);
  const lists = (
    await client.query(
      `SELECT l.id, l.title, l.description, l.visibility::text AS visibility, l.type::text AS type, l.year, l."coverImage",
              to_char(l."createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt",
              to_char(l."updatedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "updatedAt"
         FROM "ReadingList" l WHERE l."ownerId" = $1`,
      [ownerId],
    )
  ).rows;
  const entries = (
    await client.query(
      `SELECT e."readingListId", b.isbn13 AS book, e.position, e.notes,
              to_char(e."addedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "addedAt"
         FROM "BookInReadingList" e JOIN "Book" b ON b.id = e."bookId"
         JOIN "ReadingList" l ON l.id = e."readingListId" WHERE l."ownerId" = $1`,
      [ownerId],
    )
  ).rows;
  const outLists = lists.map(({ id, ...rest }) => ({
    ...rest,
    entries: sortByJson(
      entries
        .filter((e) => e.readingListId === id)
        .map(({ readingListId: _l, ...e }) => e as Record<string, unknown>),
    ),
  }));
  return { books: sortByJson(books), lists: sortByJson(outLists) };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

/** Working directory of in-process CLI runs: audit logs (default logs/) land here, not in the repo. */
const CLI_CWD = mkdtempSync(join(tmpdir(), "booksnap-cli-"));
// This module is loaded once per test file: remove that file's directory when it is done.
afterAll(() => rm(CLI_CWD, { recursive: true, force: true }));

/** Runs the CLI in-process, as a user would call it (no TTY: no prompts). */
export async function runImportCli(
  argv: string[],
  env: Record<string, string> = {},
  cwd = CLI_CWD,
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => {
    out += c;
  });
  stderr.on("data", (c) => {
    err += c;
  });
  const code = await runCli(argv, {
    stdout,
    stderr,
    stdin,
    env: { PATH: process.env.PATH ?? "", ...env },
    cwd,
    signal: new AbortController().signal,
  });
  return { code, stdout: out, stderr: err, json: () => JSON.parse(out) };
}

/** `booksnap import <snapshot> --to <url> …flags`, in-process (see runImportCli). */
export function importInto(snapshot: string, url: string, ...flags: string[]): Promise<CliRun> {
  return runImportCli(["import", snapshot, "--to", url, ...flags]);
}

export async function addUser(client: pg.Client, email: string): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO "User" ("clerkId", email, "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
    [`clerk_${email}`, email],
  );
  return (rows[0] as { id: number }).id;
}

/** Inserts one book for a user directly (pre-existing dev data). */
export async function addBook(
  client: pg.Client,
  ownerId: number,
  isbn13: string,
  title = "Existing",
): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO "Book" ("ownerId", isbn10, isbn13, title, "titleLong", language, synopsis, image, "imageOriginal",
                         publisher, "pageCount", "datePublished", subjects, authors, binding, "updatedAt")
     VALUES ($1, $2, $3, $4, $4, 'en', 's', 'i', 'io', 'p', 100, '2000', '{}', '{}', 'Paperback', now()) RETURNING id`,
    [ownerId, isbn13.slice(-10), isbn13, title],
  );
  return (rows[0] as { id: number }).id;
}

export async function tableCounts(client: pg.Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ["User", "Book", "ReadingList", "BookInReadingList"]) {
    out[t] = Number((await client.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
  }
  return out;
}
