import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import type { CompatibilityReport, TableCompatibility } from "../../src/schema/compatibility.js";
import type { TestDatabase } from "../helpers/db.js";
import {
  booksnap,
  buildHistoryState,
  columnsOf,
  expectExit,
  fixSession,
  historyFiles,
  jsonOf,
  q,
  type TextRow,
  textRows,
  useDatabases,
  useWorkDir,
} from "./e2e-support.js";

/**
 * Issue 11, item 7 and "Done when" 2: the book app's schema history (test/fixtures/app-history,
 * 14 states). At each state the seeded database is exported; `booksnap check` reports what import
 * will do into a dev database one state behind and one state ahead, and the import (built CLI,
 * `--schema-drift tolerate` so the adaptations the report lists are allowed, `--max-rejects` so
 * the records it says go to the dead-letter file do) must do exactly that, checked by SQL on the
 * target: copied and cast columns equal the source's values, dropped columns are gone, filled
 * columns hold the target's default or NULL, rejected records are absent and in the dead-letter
 * file, and a refused load writes nothing.
 */

const newDatabase = useDatabases();
const work = useWorkDir("booksnap-e2e-history-");

const STATES = historyFiles.length;
const OWNER_TABLE = "User";
/** Natural keys (the import remaps serial ids) and the foreign keys they replace. */
const KEYS: Record<string, { key: string; joins: string; fks: string[] }> = {
  Book: { key: `t."isbn13"`, joins: "", fks: ["id", "ownerId"] },
  ReadingList: { key: `t."title"`, joins: "", fks: ["id", "ownerId"] },
  BookInReadingList: {
    key: `b."isbn13" || ' in ' || l."title"`,
    joins: `JOIN "Book" b ON b.id = t."bookId" JOIN "ReadingList" l ON l.id = t."readingListId"`,
    fks: ["id", "bookId", "readingListId"],
  },
  AppSettings: { key: `t."id"::text`, joins: "", fks: [] },
};
/**
 * What the report says for each step (from → to), as the schema history implies: required columns
 * without a default refuse, a type change that may lose values refuses, a column only on one side
 * adapts, a NOT NULL the snapshot's rows may break, a new unique constraint and a missing enum
 * label reject records.
 */
const EXPECTED_VERDICTS: Record<string, string> = {
  "1→2": "records-rejected", // unique isbn10/isbn13 added (the seed has no duplicates)
  "2→1": "adapt", // subjects dropped, genres NULL
  "2→3": "refuse", // date_published, image_original NOT NULL without default
  "3→2": "refuse",
  "3→4": "refuse",
  "4→3": "refuse",
  "4→5": "refuse", // publisher NOT NULL without default
  "5→4": "adapt", // publisher dropped
  "5→6": "refuse", // timestamp → text is not in the lossless list
  "6→5": "refuse", // text → timestamp
  "6→7": "ok", // edition became nullable
  "7→6": "records-rejected", // a NULL edition
  "7→8": "adapt", // isPublic, visibility filled by their defaults
  "8→7": "adapt", // and dropped
  "8→9": "refuse", // visibility text → enum
  "9→8": "adapt", // enum → text; isPublic filled by its default
  "9→10": "adapt",
  "10→9": "adapt",
  "10→11": "adapt",
  "11→10": "adapt",
  "11→12": "adapt",
  "12→11": "adapt",
  "12→13": "ok", // AppSettings only in the target: untouched
  "13→12": "adapt", // AppSettings only in the snapshot: skipped
  "13→14": "ok", // an enum label added
  "14→13": "records-rejected", // WISHLIST missing
};

/** Redacted on export by the built-in rules: compared as "not the source's value". */
const REDACTED = new Set(["AppSettings.defaultUserClerkId"]);

interface ImportJson {
  ok: boolean;
  user: { id: number };
  models: Record<string, { inSnapshot: number; imported: number; rejected: number }>;
  rejectsFile?: string;
}

/** A dev database migrated to `state` (no seed) with the dev user. */
async function devDatabase(state: number): Promise<TestDatabase> {
  const db = await newDatabase({ migrate: false });
  await buildHistoryState(db, state, false);
  await db.withClient(async (c) => {
    const hasUpdatedAt = (await columnsOf(c, "User")).includes("updatedAt");
    await c.query(
      hasUpdatedAt
        ? `INSERT INTO "User" ("clerkId", "email", "updatedAt") VALUES ('user_dev', 'dev@example.com', '2025-01-01')`
        : `INSERT INTO "User" ("clerkId", "email") VALUES ('user_dev', 'dev@example.com')`,
    );
  });
  return db;
}

/** Rows of `table` keyed by natural key, the named columns as text. */
async function keyedRows(
  client: pg.ClientBase,
  table: string,
  columns: string[],
): Promise<Map<string, TextRow>> {
  const spec = KEYS[table];
  if (!spec) throw new Error(`no natural key for ${table}`);
  await fixSession(client);
  const list = columns.map((c) => `t.${q(c)}::text AS ${q(c)}`);
  const rows = await textRows(
    client,
    `SELECT ${[`${spec.key} AS "__key"`, ...list].join(", ")} FROM ${q(table)} t ${spec.joins}`,
  );
  return new Map(rows.map(({ __key, ...rest }) => [String(__key), rest]));
}

/** The value PostgreSQL gives a column left out of an INSERT, when it is a constant (else undefined). */
async function constantDefault(
  client: pg.ClientBase,
  expression: string | null,
): Promise<string | null | undefined> {
  if (expression === null) return null;
  if (/CURRENT_TIMESTAMP|now\(\)|nextval|random|gen_random/i.test(expression)) return undefined;
  await fixSession(client);
  const rows = await textRows(client, `SELECT (${expression})::text AS v`);
  return rows[0]?.v ?? null;
}

/** Checks one table of the target against the source and the report's plan for it. */
async function checkTable(
  source: TestDatabase,
  target: TestDatabase,
  plan: TableCompatibility,
  devId: number,
  rejected: number,
  where: string,
): Promise<void> {
  const spec = KEYS[plan.table];
  if (!spec) throw new Error(`no natural key for ${plan.table}`);
  const sourceColumns = await source.withClient((c) => columnsOf(c, plan.table));
  const targetColumns = await target.withClient((c) => columnsOf(c, plan.table));
  const carried = plan.columns.filter((a) => a.action === "copy" || a.action === "cast").map((a) => a.column);
  const compared = carried.filter((c) => !spec.fks.includes(c));
  const expected = await source.withClient((c) => keyedRows(c, plan.table, compared));
  const actual = await target.withClient((c) =>
    keyedRows(
      c,
      plan.table,
      plan.columns.filter((a) => a.action !== "drop").map((a) => a.column),
    ),
  );
  // The records the report sends to the dead-letter file are the ones missing.
  let expectedRejected = 0;
  for (const rule of plan.recordRules) {
    if (rule.rule === "enum-value-missing" || rule.rule === "null-not-allowed") {
      for (const [key, row] of expected) {
        const value = row[rule.column];
        const hit = rule.rule === "null-not-allowed" ? value === null : rule.values.includes(String(value));
        if (!hit) continue;
        expectedRejected += 1;
        expect(actual.has(key), `${where}: ${plan.table} ${key} should be rejected (${rule.rule})`).toBe(
          false,
        );
        expected.delete(key);
      }
    } else if (rule.rule === "unique-added") {
      // The seeds hold no duplicates: a unique constraint the snapshot lacked rejects nothing here.
      const seen = await source.withClient((c) =>
        textRows(
          c,
          `SELECT count(*)::text AS n FROM (SELECT 1 FROM ${q(plan.table)} GROUP BY ${rule.columns.map(q).join(", ")}
             HAVING count(*) > 1) d`,
        ),
      );
      expect(seen[0]?.n, `${where}: duplicates for ${rule.constraint}`).toBe("0");
    } else {
      throw new Error(`${where}: record rule ${rule.rule} is not modelled by this test`);
    }
  }
  expect(rejected, `${where}: ${plan.table} rejected`).toBe(expectedRejected);
  expect([...actual.keys()].sort(), `${where}: ${plan.table} rows`).toEqual([...expected.keys()].sort());

  for (const action of plan.columns) {
    const label = `${where}: ${plan.table}.${action.column} (${action.action})`;
    if (action.action === "drop") {
      expect(sourceColumns, label).toContain(action.column);
      expect(targetColumns, label).not.toContain(action.column);
      continue;
    }
    if (action.action === "fill-default") {
      expect(sourceColumns, label).not.toContain(action.column);
      const value = await target.withClient((c) => constantDefault(c, action.default));
      for (const [key, row] of actual) {
        if (value === undefined) expect(row[action.column], `${label} ${key}`).not.toBeNull();
        else expect(row[action.column], `${label} ${key}`).toBe(value);
      }
      continue;
    }
    if (action.column === "ownerId") {
      for (const [key, row] of actual) expect(row.ownerId, `${label} ${key}`).toBe(String(devId));
      continue;
    }
    if (spec.fks.includes(action.column)) continue; // compared through the natural key
    for (const [key, row] of actual) {
      const want = expected.get(key)?.[action.column];
      if (REDACTED.has(`${plan.table}.${action.column}`) && want !== null) {
        expect(row[action.column], `${label} ${key}`).not.toBe(want);
      } else {
        expect(row[action.column], `${label} ${key}`).toBe(want);
      }
    }
  }
}

/** Row counts of every table of the target but the owners table. */
async function dataCounts(db: TestDatabase): Promise<Record<string, number>> {
  return db.withClient(async (c) => {
    const { rows } = await c.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
          AND relname NOT IN ('_prisma_migrations', '${OWNER_TABLE}') ORDER BY 1`,
    );
    const out: Record<string, number> = {};
    for (const { name } of rows) {
      const counted = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${q(name)}`);
      out[name] = counted.rows[0]?.n ?? 0;
    }
    return out;
  });
}

/** Export at `from`, check and import into a dev database at `to`, compare with the report. */
async function exportCheckImport(from: number, to: number, source: TestDatabase, snapshot: string) {
  const where = `state ${from} → ${to}`;
  const target = await devDatabase(to);
  const checked = await booksnap(["check", snapshot, "--to", target.url, "--json"]);
  const report = jsonOf<{ report: CompatibilityReport }>(checked).report;
  expect(report.verdict, `${where}: verdict`).toBe(EXPECTED_VERDICTS[`${from}→${to}`]);
  const exitByVerdict = { ok: 0, adapt: 0, "records-rejected": 6, refuse: 5 } as const;
  expectExit(checked, exitByVerdict[report.verdict], `${where}: check`);

  const before = await dataCounts(target);
  const rejects = join(work.path, `${from}-to-${to}.rejects.ndjson`);
  const run = await booksnap([
    "import",
    snapshot,
    "--to",
    target.url,
    "--user",
    "dev@example.com",
    "--schema-drift",
    "tolerate",
    "--max-rejects",
    "100",
    "--rejects",
    rejects,
    "--json",
  ]);
  if (report.verdict === "refuse") {
    expectExit(run, 5, `${where}: import of a refused load`);
    expect(await dataCounts(target), `${where}: nothing written`).toEqual(before);
    return report.verdict;
  }
  expectExit(run, 0, `${where}: import`);
  const summary = jsonOf<ImportJson>(run);
  for (const plan of report.tables) {
    if (plan.table === OWNER_TABLE) continue;
    await checkTable(source, target, plan, summary.user.id, summary.models[plan.table]?.rejected ?? 0, where);
  }
  // Tables only in the snapshot are skipped, tables only in the target untouched.
  for (const table of report.skippedTables) {
    expect(await target.withClient((c) => columnsOf(c, table)), `${where}: ${table}`).toEqual([]);
  }
  const after = await dataCounts(target);
  for (const table of report.untouchedTables) expect(after[table], `${where}: ${table}`).toBe(before[table]);
  // Every rejected record is in the dead-letter file, with the reason the report gave.
  const totalRejected = Object.values(summary.models).reduce((n, m) => n + m.rejected, 0);
  if (totalRejected > 0) {
    const lines = (await readFile(rejects, "utf8")).trim().split("\n");
    expect(lines, `${where}: dead-letter file`).toHaveLength(totalRejected);
    for (const line of lines) expect(JSON.parse(line), where).toMatchObject({ reason: expect.any(String) });
  }
  return report.verdict;
}

describe("the app's schema history: export at each state, import one state behind and one ahead", () => {
  it.concurrent.each(Array.from({ length: STATES }, (_, i) => i + 1))(
    "state %i: export, then check and import into its neighbours as the report promised",
    async (state) => {
      const source = await newDatabase({ migrate: false });
      await buildHistoryState(source, state, true);
      const name = `state-${state}`;
      expectExit(
        await booksnap(["export", "--from", source.url, "--out", work.path, "--name", name]),
        0,
        `state ${state}: export`,
      );
      const snapshot = join(work.path, name);
      for (const to of [state - 1, state + 1]) {
        if (to < 1 || to > STATES) continue;
        await exportCheckImport(state, to, source, snapshot);
      }
    },
    // Five CLI runs and three databases per state, several states at once on a shared server.
    180_000,
  );
});
