/**
 * `npm run bench:subset -- [--books 30k,300k] [--repeat 5] [--no-write]`: what a one-owner subset
 * costs as the database grows (issue 11 item 8). For each size it seeds a production-like
 * database with the app's foreign-key indexes and, inside a READ ONLY REPEATABLE READ
 * transaction like export's, times:
 *   - the subset selection (src/export/subset.ts: index lookups per foreign-key edge), and
 *   - the selection SQL booksnap ≤ 0.2 ran (frozen copy below: `= ANY(…) OR IN (subquery)`),
 *     as the count(*) per table export ran before reading.
 * Only the selection is timed: the format-2 export engine that reads the rows is another
 * helper's branch. Results go to docs/benchmarks.md between this bench's markers.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import type pg from "pg";
import { APP_FOREIGN_KEY_INDEXES } from "../src/dataset/app-indexes.js";
import { parseOwnerRefs } from "../src/export/selection.js";
import { type OwnerScope, selectSubset } from "../src/export/subset.js";
import { introspectSchema } from "../src/schema/introspect.js";
import { DatabaseRegistry, libraryShape, seedProduction, withClient } from "./databases.js";
import { startBenchServer } from "./server.js";

const log = (message: string) =>
  process.stderr.write(`[bench:subset ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

const BOOK_OWNERS: OwnerScope = {
  table: "User",
  idColumn: "id",
  emailColumn: "email",
  belongsThrough: { BookInReadingList: ["readingListId"] },
};

/** The per-table selection of booksnap ≤ 0.2 (src/export/selection.ts before issue 11), frozen for comparison. */
function legacyFilters(owners: string): Record<string, string> {
  const lists = `SELECT l.id FROM "ReadingList" l WHERE l."ownerId" = ANY(${owners})`;
  const referenced = `SELECT e."bookId" FROM "BookInReadingList" e WHERE e."readingListId" IN (${lists})`;
  const books = `SELECT b.id FROM "Book" b WHERE b."ownerId" = ANY(${owners}) OR b.id IN (${referenced})`;
  return {
    User: `"id" = ANY(${owners}) OR "id" IN (SELECT b."ownerId" FROM "Book" b WHERE b.id IN (${books}))`,
    Book: `"id" IN (${books})`,
    ReadingList: `"ownerId" = ANY(${owners})`,
    BookInReadingList: `"readingListId" IN (${lists})`,
  };
}

async function inSnapshot<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    return await fn();
  } finally {
    await client.query("ROLLBACK");
  }
}

/** Best and median of the runs: on a shared machine the best is the cost, the median shows the noise. */
const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { best: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0 };
};
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

interface SizeResult {
  books: number;
  totalRows: number;
  subsetRows: number;
  statements: number;
  introspectMs: { best: number; median: number };
  subsetMs: { best: number; median: number };
  legacyMs: { best: number; median: number };
  /** Shared buffers (8 kB pages) the statements touched, from EXPLAIN (ANALYZE, BUFFERS): load-independent. */
  subsetPages: number;
  legacyPages: number;
}

/** Pages (shared hit + read) one statement touches when run. */
async function pagesTouched(client: pg.Client, text: string, values: unknown[]): Promise<number> {
  const { rows } = await client.query<{ "QUERY PLAN": Array<{ Plan: Record<string, number> }> }>({
    text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`,
    values,
  });
  const plan = rows[0]?.["QUERY PLAN"][0]?.Plan ?? {};
  return (plan["Shared Hit Blocks"] ?? 0) + (plan["Shared Read Blocks"] ?? 0);
}

async function measure(url: string, books: number, repeat: number): Promise<SizeResult> {
  return withClient(url, async (client) => {
    const users = libraryShape(books, 42).users;
    const owner = Math.ceil(users / 2);
    // Three entries of the owner's first list point at other readers' books: the closure has work to do.
    await client.query(
      `INSERT INTO "BookInReadingList" ("bookId", "readingListId", "addedAt")
       SELECT b.id, (SELECT min(id) FROM "ReadingList" WHERE "ownerId" = $1), now()
       FROM "Book" b WHERE b."ownerId" <> $1 ORDER BY b.id LIMIT 3`,
      [owner],
    );
    await client.query(APP_FOREIGN_KEY_INDEXES);
    await client.query("VACUUM ANALYZE");
    const total = await client.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM "User") + (SELECT count(*) FROM "Book") + (SELECT count(*) FROM "ReadingList") + (SELECT count(*) FROM "BookInReadingList") AS n`,
    );
    const runs: Array<{
      introspect: number;
      subset: number;
      legacy: number;
      rows: number;
      statements: number;
    }> = [];
    for (let i = 0; i < repeat; i++) {
      runs.push(
        await inSnapshot(client, async () => {
          let start = process.hrtime.bigint();
          const { description } = await introspectSchema(client);
          const introspect = ms(start);
          let statements = 0;
          start = process.hrtime.bigint();
          const subset = await selectSubset(client, description, {
            owners: BOOK_OWNERS,
            ownerRefs: parseOwnerRefs([`reader${owner}@example.com`]),
            where: [],
            onQuery: () => {
              statements += 1;
            },
          });
          const subsetMs = ms(start);
          start = process.hrtime.bigint();
          let legacyRows = 0;
          for (const [table, filter] of Object.entries(legacyFilters("$1::int[]"))) {
            const { rows } = await client.query<{ n: string }>(
              `SELECT count(*) AS n FROM "${table}" WHERE ${filter}`,
              [[owner]],
            );
            legacyRows += Number(rows[0]?.n ?? 0);
          }
          const legacy = ms(start);
          const rows = subset?.tables.reduce((sum, t) => sum + t.count, 0) ?? 0;
          if (rows !== legacyRows)
            throw new Error(`subset has ${rows} rows, the legacy selection ${legacyRows}`);
          return { introspect, subset: subsetMs, legacy, rows, statements };
        }),
      );
    }
    // Pages touched: one more selection, each statement re-run under EXPLAIN ANALYZE.
    const pages = await inSnapshot(client, async () => {
      const { description } = await introspectSchema(client);
      const statements: Array<{ text: string; values: string[] }> = [];
      await selectSubset(client, description, {
        owners: BOOK_OWNERS,
        ownerRefs: parseOwnerRefs([`reader${owner}@example.com`]),
        where: [],
        onQuery: (q) => statements.push(q),
      });
      let subset = 0;
      for (const q of statements) subset += await pagesTouched(client, q.text, q.values);
      let legacy = 0;
      for (const [table, filter] of Object.entries(legacyFilters("$1::int[]"))) {
        legacy += await pagesTouched(client, `SELECT count(*) FROM "${table}" WHERE ${filter}`, [[owner]]);
      }
      return { subset, legacy };
    });
    return {
      subsetPages: pages.subset,
      legacyPages: pages.legacy,
      books,
      totalRows: Number(total.rows[0]?.n ?? 0),
      subsetRows: runs[0]?.rows ?? 0,
      statements: runs[0]?.statements ?? 0,
      introspectMs: spread(runs.map((r) => r.introspect)),
      subsetMs: spread(runs.map((r) => r.subset)),
      legacyMs: spread(runs.map((r) => r.legacy)),
    };
  });
}

const START = "<!-- bench:subset:start (generated by npm run bench:subset; edit outside these markers) -->";
const END = "<!-- bench:subset:end -->";

function render(results: SizeResult[], version: string, repeat: number, loads: number[]): string {
  const f = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 1 });
  const t = (ms: { best: number; median: number }) => `${f(ms.best)} / ${f(ms.median)}`;
  const lines = [
    "## One-owner subset selection (issue 11 item 8)",
    "",
    `Generated by \`npm run bench:subset\` on ${new Date().toISOString().slice(0, 10)}: PostgreSQL ${version}, ` +
      `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"} (1-minute load average ${loads.map((l) => l.toFixed(1)).join(" → ")}); ${repeat} runs, times as best / median, each inside a READ ONLY ` +
      "REPEATABLE READ transaction, on a database with the app's foreign-key indexes. One owner (100 books, 3 lists, " +
      "30 entries, 3 of them pointing at other readers' books). **Only the selection is timed** (which rows of each " +
      "table an export reads), not reading the rows: the format-2 export engine is wired in separately. " +
      '"Before" is the selection SQL of booksnap ≤ 0.2 (`= ANY(…) OR id IN (subquery)`, one count per table); ' +
      "both select the same rows (checked on every run). Pages: shared buffers (8 kB) all statements touched, from " +
      "`EXPLAIN (ANALYZE, BUFFERS)` — the measure the machine's load cannot blur.",
    "",
    "| books | rows in database | rows in subset | statements | introspection (ms) | subset selection (ms) | pages | before (ms) | before: pages |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map(
      (r) =>
        `| ${f(r.books)} | ${f(r.totalRows)} | ${f(r.subsetRows)} | ${r.statements} | ${t(r.introspectMs)} | ${t(r.subsetMs)} | ${f(r.subsetPages)} | ${t(r.legacyMs)} | ${f(r.legacyPages)} |`,
    ),
  ];
  return lines.join("\n");
}

async function writeDoc(path: string, section: string): Promise<void> {
  const current = existsSync(path) ? await readFile(path, "utf8") : "# Benchmarks\n\n";
  const block = `${START}\n\n${section}\n\n${END}`;
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${block}${current.slice(end + END.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  await writeFile(path, next);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      books: { type: "string", default: "30000,300000" },
      repeat: { type: "string", default: "5" },
      "no-write": { type: "boolean", default: false },
      doc: { type: "string", default: "docs/benchmarks.md" },
    },
  });
  const sizes = values.books.split(",").map((s) => Number(s.replace(/k$/i, "000").replace(/_/g, "")));
  const repeat = Number(values.repeat);
  const loadAtStart = loadavg()[0] ?? 0;
  const server = await startBenchServer(process.env, log);
  const registry = new DatabaseRegistry(server.adminUrl);
  try {
    const results: SizeResult[] = [];
    for (const books of sizes) {
      const db = await registry.create("subset");
      log(`seeding ${books.toLocaleString("en-US")} books`);
      await seedProduction(db.url, libraryShape(books, 42));
      log("measuring");
      results.push(await measure(db.url, books, repeat));
      await registry.drop(db);
      log(JSON.stringify(results.at(-1)));
    }
    const section = render(results, server.version, repeat, [loadAtStart, loadavg()[0] ?? 0]);
    process.stdout.write(`${section}\n`);
    if (!values["no-write"]) await writeDoc(values.doc, section);
  } finally {
    await registry.dropAll();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
