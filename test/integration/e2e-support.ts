import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, expect } from "vitest";
import { applyMigrationFiles } from "../../src/db/migrate.js";
import { readMigrationsDir } from "../../src/db/migration-files.js";
import { type CliRun, runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/** Shared helpers of the end-to-end tests (issue 11 "Done when"); not a test file itself. */

/** The real CLI, with a budget that fits a slow embedded server. */
export function booksnap(args: readonly string[], cwd?: string): Promise<CliRun> {
  return runBooksnap(args, { timeoutMs: 50_000, ...(cwd ? { cwd } : {}) });
}

/** Fails with the run's output when it did not exit with `code`. */
export function expectExit(run: CliRun, code: number, what: string): void {
  expect(run.code, `${what}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(code);
}

/** The run's `--json` document. */
export function jsonOf<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

export type TextRow = Record<string, string | null>;

/**
 * Rows of `sql` with every value as PostgreSQL's own text output (no parsing in JavaScript, so
 * bigint, numeric, json text and arrays compare exactly, and NULL stays distinct from '{}').
 */
export async function textRows(
  client: pg.ClientBase,
  sql: string,
  values: unknown[] = [],
): Promise<TextRow[]> {
  const { rows } = await client.query<TextRow>({
    text: sql,
    values,
    types: { getTypeParser: () => (value: string) => value },
  });
  return rows;
}

/** Same text output in every session that is compared (dates, time zone, floats, bytea). */
export async function fixSession(client: pg.ClientBase): Promise<void> {
  await client.query(
    "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'",
  );
}

/** A work directory for the calling file, removed after it. */
export function useWorkDir(prefix: string): { path: string } {
  const dir = { path: "" };
  beforeAll(async () => {
    dir.path = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir.path) await rm(dir.path, { recursive: true, force: true });
  });
  return dir;
}

/** Databases the calling file creates, dropped after it. */
export function useDatabases(): (options?: { migrate?: boolean }) => Promise<TestDatabase> {
  const made: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of made.splice(0)) await db.drop();
  });
  return async (options = {}) => {
    const db = await createTestDatabase(options);
    made.push(db);
    return db;
  };
}

export const HISTORY = join(import.meta.dirname, "..", "fixtures", "app-history");
export const HISTORY_MIGRATIONS = join(HISTORY, "migrations");

/** The app-history migration files, in order (state k = the first k). */
export const historyFiles = await readMigrationsDir(HISTORY_MIGRATIONS);

/** Migrates an empty database to history state `state` (1-based), optionally loading that state's seed. */
export async function buildHistoryState(db: TestDatabase, state: number, seed: boolean): Promise<void> {
  await db.withClient(async (c) => {
    await applyMigrationFiles(c, historyFiles.slice(0, state), HISTORY_MIGRATIONS);
    if (seed) {
      const name = historyFiles[state - 1]?.name;
      await c.query(await readFile(join(HISTORY, "seeds", `${name}.sql`), "utf8"));
    }
  });
}

/** Column names of a table in `public`, in physical order; [] when the table does not exist. */
export async function columnsOf(client: pg.ClientBase, table: string): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute
      WHERE attrelid = to_regclass(format('public.%I', $1::text)) AND attnum > 0 AND NOT attisdropped
      ORDER BY attnum`,
    [table],
  );
  return rows.map((r) => r.name);
}

/** Quoted identifier. */
export const q = (name: string): string => `"${name.replaceAll('"', '""')}"`;
