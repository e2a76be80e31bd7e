import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { UsageError } from "../../src/errors.js";
import { exportSnapshot } from "../../src/export/export.js";
import { importSnapshot } from "../../src/import/import.js";
import type { ImportOptions } from "../../src/import/options.js";
import type { ImportSummary } from "../../src/import/summary.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { readRecords, testConnection } from "../helpers/export.js";
import {
  booksOf,
  combinedOrder,
  fingerprint,
  IMPORTED_TABLES,
  type ImportedTable,
  type ListView,
  listContent,
  listsOf,
  ownerLibrarySql,
} from "../helpers/owner-library.js";
import { importDeps, useCleanup } from "./import-support.js";

/**
 * Issue 12, "done when": owner modes (collapse / keep / keep --as), per-owner rules (one
 * FAVORITES_ALL list per owner, one FAVORITES_YEAR list per owner and year, entries renumbered by
 * 100) and idempotent merge, each checked by SQL on the target against the source library (see
 * test/helpers/owner-library.ts), not by the import's own report. One redacted export serves every case.
 */

const DEV_EMAIL = "dev@example.com";
const ALL_RULE = "one FAVORITES_ALL reading list per owner";
const YEAR_RULE = "one FAVORITES_YEAR reading list per owner and year";

let source: TestDatabase;
let work: string;
/** The snapshot's manifest path. */
let snapshot: string;
/** Source library by natural keys, emails as the source holds them. */
let sourceLists: ListView[];
let sourceBooks: Array<{ owner: string; isbn13: string }>;
/** Source email → the pseudonymised email the snapshot holds. */
const pseudonym = new Map<string, string>();
/** Snapshot owners: source id, pseudonymised email and Clerk id. */
let snapshotUsers: Array<{ id: string; email: string; clerkId: string }>;
let snapshotSettingsClerkId: string;

beforeAll(async () => {
  source = await createTestDatabase();
  await source.withClient((c) => c.query(ownerLibrarySql()));
  work = await mkdtemp(join(tmpdir(), "booksnap-owner-modes-"));
  const exported = await exportSnapshot(
    {
      connection: testConnection(source.url),
      outDir: work,
      name: "prod",
      config: presetProjectConfig(),
      redactionKey: "k".repeat(32),
    },
    { now: () => new Date() },
  );
  snapshot = exported.paths.manifestPath;
  sourceLists = await source.withClient(listsOf);
  sourceBooks = await source.withClient(booksOf);
  const records = (await readRecords(exported.paths.dataPath)) as unknown as Record<
    string,
    Array<Record<string, unknown>>
  >;
  snapshotUsers = (records.User ?? []).map((u) => ({
    id: String(u.id),
    email: String(u.email),
    clerkId: String(u.clerkId),
  }));
  snapshotSettingsClerkId = String(records.AppSettings?.[0]?.defaultUserClerkId);
  const sourceUsers = await source.withClient((c) =>
    c.query<{ id: number; email: string }>(`SELECT id, email FROM "User"`),
  );
  for (const u of sourceUsers.rows) {
    const held = snapshotUsers.find((s) => s.id === String(u.id));
    if (!held) throw new Error(`user ${u.id} is not in the snapshot`);
    pseudonym.set(u.email, held.email);
  }
});

afterAll(async () => {
  await source?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

const cleanup = useCleanup();

/** A fresh dev database (bundled migrations) where one developer signed up; removed after the test. */
async function devDatabase(): Promise<{ db: TestDatabase; devId: number }> {
  const db = await createTestDatabase();
  cleanup(() => db.drop());
  const devId = await db.withClient(async (c) => {
    const { rows } = await c.query<{ id: number }>(
      `INSERT INTO "User" ("clerkId", "email", "updatedAt") VALUES ('user_dev', $1, '2025-01-01') RETURNING id`,
      [DEV_EMAIL],
    );
    return rows[0]?.id as number;
  });
  return { db, devId };
}

function run(db: TestDatabase, options: Partial<ImportOptions>): Promise<ImportSummary> {
  return importSnapshot({ snapshot, targetUrl: db.url, yes: true, ...options }, importDeps());
}

const emailOf = (sourceEmail: string) => pseudonym.get(sourceEmail) ?? `unmapped:${sourceEmail}`;
const aliceEmail = () => emailOf("alice@example.com");
const sorted = (values: string[]) => [...values].sort();

/** Rows per table in the target. */
async function counts(c: pg.ClientBase): Promise<Record<ImportedTable, number>> {
  const out = {} as Record<ImportedTable, number>;
  for (const table of IMPORTED_TABLES) {
    const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
    out[table] = rows[0]?.n ?? -1;
  }
  return out;
}

/** Per-owner rule breaches: owners with two FAVORITES_ALL lists, or two FAVORITES_YEAR lists of a year. */
async function ruleBreaches(c: pg.ClientBase): Promise<unknown[]> {
  const { rows } = await c.query(
    `SELECT "ownerId", type::text, CASE WHEN type = 'FAVORITES_YEAR' THEN year END AS year, count(*)::int AS n
       FROM "ReadingList" WHERE type IN ('FAVORITES_ALL', 'FAVORITES_YEAR')
      GROUP BY 1, 2, 3 HAVING count(*) > 1`,
  );
  return rows;
}

/** Source lists of a rule's group (FAVORITES_ALL, or FAVORITES_YEAR of one year). */
const sourceGroup = (type: string, year: string | null) =>
  sourceLists.filter((l) => l.type === type && (type === "FAVORITES_ALL" || l.year === year));

const hundreds = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) * 100);

/**
 * The collapsed library on the dev user: the dev user is the only user; one FAVORITES_ALL list and
 * one FAVORITES_YEAR list per year, holding their group's books without duplicates, renumbered
 * 100, 200, … in the brief's stable order; the STANDARD lists kept one by one with their own entries.
 * `existingFavourite` is the isbn13 of an entry an existing FAVORITES_ALL list already held at 100.
 */
async function expectCollapsed(c: pg.ClientBase, devId: number, existingFavourite?: string) {
  const users = await c.query(`SELECT id, email FROM "User" ORDER BY id`);
  expect(users.rows).toEqual([{ id: devId, email: DEV_EMAIL }]);
  const books = await booksOf(c);
  expect(books.every((b) => b.owner === DEV_EMAIL)).toBe(true);
  expect(sorted(books.map((b) => b.isbn13))).toEqual(
    sorted([...sourceBooks.map((b) => b.isbn13), ...(existingFavourite ? [existingFavourite] : [])]),
  );
  const lists = await listsOf(c);
  expect(lists.every((l) => l.owner === DEV_EMAIL)).toBe(true);
  expect(await ruleBreaches(c)).toEqual([]);

  const all = lists.filter((l) => l.type === "FAVORITES_ALL");
  expect(all).toHaveLength(1);
  const allGroup = sourceGroup("FAVORITES_ALL", null);
  const keptAll = existingFavourite ? null : Math.min(...allGroup.map((l) => l.id));
  const expectedAll = [
    ...(existingFavourite ? [existingFavourite] : []),
    ...combinedOrder(allGroup, keptAll),
  ];
  expect(all[0]?.entries.map((e) => e.isbn13)).toEqual(expectedAll);
  expect(all[0]?.entries.map((e) => e.position)).toEqual(hundreds(expectedAll.length));

  const years = lists.filter((l) => l.type === "FAVORITES_YEAR");
  expect(sorted(years.map((l) => String(l.year)))).toEqual(["2024", "2025"]);
  for (const list of years) {
    const group = sourceGroup("FAVORITES_YEAR", list.year);
    const expected = combinedOrder(group, Math.min(...group.map((l) => l.id)));
    expect(
      list.entries.map((e) => e.isbn13),
      `FAVORITES_YEAR ${list.year}`,
    ).toEqual(expected);
    expect(list.entries.map((e) => e.position)).toEqual(hundreds(expected.length));
  }

  // No rule covers STANDARD lists: all kept (three "To read" with one identity once collapsed),
  // each with its own entries at their own positions.
  const toDev = () => DEV_EMAIL;
  expect(sorted(lists.filter((l) => l.type === "STANDARD").map((l) => listContent(l, toDev)))).toEqual(
    sorted(sourceLists.filter((l) => l.type === "STANDARD").map((l) => listContent(l, toDev))),
  );
}

/** The kept library: every snapshot owner (pseudonymised; `asDev` → the dev user) has exactly its own rows. */
async function expectKept(c: pg.ClientBase, asDev?: string) {
  const owner = (sourceEmail: string) => (sourceEmail === asDev ? DEV_EMAIL : emailOf(sourceEmail));
  const users = await c.query<{ email: string; clerkId: string }>(
    `SELECT email, "clerkId" FROM "User" ORDER BY email`,
  );
  const expectedUsers = [
    { email: DEV_EMAIL, clerkId: "user_dev" },
    ...snapshotUsers
      .filter((u) => asDev === undefined || u.email !== emailOf(asDev))
      .map((u) => ({ email: u.email, clerkId: u.clerkId })),
  ].sort((a, b) => a.email.localeCompare(b.email));
  expect(users.rows.sort((a, b) => a.email.localeCompare(b.email))).toEqual(expectedUsers);
  expect(await booksOf(c)).toEqual(sourceBooks.map((b) => ({ owner: owner(b.owner), isbn13: b.isbn13 })));
  const lists = await listsOf(c);
  expect(sorted(lists.map((l) => listContent(l)))).toEqual(
    sorted(sourceLists.map((l) => listContent(l, owner))),
  );
  expect(await ruleBreaches(c)).toEqual([]);
}

/** Everything a second identical run must leave as it was. */
async function expectSecondRunAddsNothing(summary: ImportSummary) {
  for (const [table, n] of Object.entries(summary.models)) {
    expect(n.imported, `${table} imported`).toBe(0);
    expect(n.conflicting, `${table} conflicting`).toBe(0);
    expect(n.rejected, `${table} rejected`).toBe(0);
    expect(n.skipped, `${table} skipped`).toBe(n.alreadyPresent + n.conflicting + n.combined);
    // Collapse never places owner rows; every other record is already there or combined.
    if (table === "User" && summary.owners === "collapse") continue;
    expect(n.alreadyPresent + n.combined, `${table} accounted for`).toBe(n.inSnapshot);
  }
}

describe("owners collapse (default) onto the dev user", () => {
  it("replace: one favourites list per kind, renumbered in the stable order; STANDARD lists kept; counts agree with SQL", async () => {
    const { db, devId } = await devDatabase();
    const summary = await run(db, { user: DEV_EMAIL });
    expect(summary).toMatchObject({ owners: "collapse", as: null, user: { id: devId, email: DEV_EMAIL } });
    await db.withClient((c) => expectCollapsed(c, devId));

    // The summary names both rules: 3 FAVORITES_ALL lists → 1; 2024: 3 → 1, 2025: 2 → 1.
    expect([...summary.combined].sort((a, b) => a.rule.localeCompare(b.rule))).toEqual([
      { rule: ALL_RULE, table: "ReadingList", into: 1, combined: 2 },
      { rule: YEAR_RULE, table: "ReadingList", into: 2, combined: 3 },
    ]);
    const inTarget = await db.withClient(counts);
    expect(summary.models.User).toMatchObject({ inSnapshot: 3, imported: inTarget.User - 1 });
    expect(summary.models.Book).toMatchObject({ inSnapshot: 9, imported: inTarget.Book, combined: 0 });
    expect(summary.models.ReadingList).toMatchObject({
      inSnapshot: 12,
      imported: inTarget.ReadingList,
      combined: 12 - inTarget.ReadingList,
    });
    // Two entries became duplicates by combining (book 20 in the favourites, book 12 in 2024).
    expect(summary.models.BookInReadingList).toMatchObject({
      inSnapshot: 20,
      imported: inTarget.BookInReadingList,
      combined: 20 - inTarget.BookInReadingList,
    });
    expect(inTarget.BookInReadingList).toBe(18);
    expect(summary.models.AppSettings).toMatchObject({ imported: inTarget.AppSettings });
    // Renumbered: at least the 7 kept entries of combined lists whose position changed, at most all 12 of them.
    expect(summary.models.BookInReadingList?.renumbered).toBeGreaterThanOrEqual(7);
    expect(summary.models.BookInReadingList?.renumbered).toBeLessThanOrEqual(12);
  });

  it("merge twice: the second run changes no row and accounts for every record as present or combined", async () => {
    const { db, devId } = await devDatabase();
    const first = await run(db, { user: DEV_EMAIL, mode: "merge" });
    await db.withClient((c) => expectCollapsed(c, devId));
    expect(first.models.BookInReadingList?.imported).toBe(18);
    const before = await db.withClient(fingerprint);
    const second = await run(db, { user: DEV_EMAIL, mode: "merge" });
    expect(await db.withClient(fingerprint)).toEqual(before);
    await expectSecondRunAddsNothing(second);
    // Every one of the 12 lists matched one-to-one or was combined: three "To read" lists, one identity.
    expect(second.models.ReadingList).toMatchObject({ alreadyPresent: 7, combined: 5 });
  });

  it("merge into a dev user who already has a FAVORITES_ALL list: that list wins, the snapshot's favourites are appended", async () => {
    const { db, devId } = await devDatabase();
    const own = "9789999999990";
    const listId = await db.withClient(async (c) => {
      const book = await c.query<{ id: number }>(
        `INSERT INTO "Book" ("ownerId", "isbn10", "isbn13", "title", "titleLong", "language", "synopsis", "image", "imageOriginal", "publisher", "pageCount", "datePublished", "binding", "updatedAt")
         VALUES ($1, '9999999990', $2, 'Mine', 'Mine', 'en', '', '', '', 'P', 1, '2000', 'B', '2025-01-01') RETURNING id`,
        [devId, own],
      );
      const list = await c.query<{ id: number }>(
        `INSERT INTO "ReadingList" ("ownerId", "title", "type", "updatedAt")
         VALUES ($1, 'My favourites', 'FAVORITES_ALL', '2025-01-01') RETURNING id`,
        [devId],
      );
      await c.query(
        `INSERT INTO "BookInReadingList" ("bookId", "readingListId", "position") VALUES ($1, $2, 100)`,
        [book.rows[0]?.id, list.rows[0]?.id],
      );
      return list.rows[0]?.id as number;
    });
    const summary = await run(db, { user: DEV_EMAIL, mode: "merge" });
    await db.withClient((c) => expectCollapsed(c, devId, own));
    const all = (await db.withClient(listsOf)).filter((l) => l.type === "FAVORITES_ALL");
    expect(all.map((l) => [l.id, l.title])).toEqual([[listId, "My favourites"]]);
    const positions = all[0]?.entries.map((e) => e.position) ?? [];
    expect(positions[0]).toBe(100);
    expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] as number))).toBe(true);
    // All three snapshot favourites lists went into the existing one.
    expect(summary.combined.find((r) => r.rule === ALL_RULE)).toEqual({
      rule: ALL_RULE,
      table: "ReadingList",
      into: 1,
      combined: 3,
    });
  });
});

describe("owners keep: every snapshot owner becomes its own user", () => {
  it("replace: each owner's books, lists and entries are theirs; a second replace matches the users by email", async () => {
    const { db } = await devDatabase();
    const summary = await run(db, { owners: "keep" });
    expect(summary).toMatchObject({ owners: "keep", as: null, user: null, combined: [] });
    await db.withClient((c) => expectKept(c));
    const inTarget = await db.withClient(counts);
    expect(inTarget).toEqual({ User: 4, Book: 9, ReadingList: 12, BookInReadingList: 20, AppSettings: 1 });
    expect(summary.models.User?.imported).toBe(3);
    expect(summary.models.Book?.imported).toBe(9);
    expect(summary.models.ReadingList?.imported).toBe(12);
    expect(summary.models.BookInReadingList?.imported).toBe(20);
    // The settings' pseudonymous Clerk id names Alice's pseudonymous user in the target.
    const settings = await db.withClient((c) =>
      c.query(`SELECT u.email FROM "AppSettings" s JOIN "User" u ON u."clerkId" = s."defaultUserClerkId"`),
    );
    expect(settings.rows).toEqual([{ email: aliceEmail() }]);
    expect(snapshotSettingsClerkId).toBe(snapshotUsers.find((u) => u.email === aliceEmail())?.clerkId);

    const usersBefore = await db.withClient((c) => c.query(`SELECT id, email FROM "User" ORDER BY id`));
    await run(db, { owners: "keep" });
    await db.withClient((c) => expectKept(c));
    const usersAfter = await db.withClient((c) => c.query(`SELECT id, email FROM "User" ORDER BY id`));
    expect(usersAfter.rows).toEqual(usersBefore.rows);
    expect(await db.withClient(counts)).toEqual(inTarget);
  });

  it("merge twice: the second run changes no row", async () => {
    const { db } = await devDatabase();
    await run(db, { owners: "keep", mode: "merge" });
    await db.withClient((c) => expectKept(c));
    const before = await db.withClient(fingerprint);
    const second = await run(db, { owners: "keep", mode: "merge" });
    expect(await db.withClient(fingerprint)).toEqual(before);
    await expectSecondRunAddsNothing(second);
    expect(second.models.User).toMatchObject({ alreadyPresent: 3, combined: 0 });
    expect(second.combined).toEqual([]);
  });

  it("--user with --as (the email the snapshot holds): that owner's rows land on the dev user, the others get users", async () => {
    const { db, devId } = await devDatabase();
    const summary = await run(db, { owners: "keep", user: DEV_EMAIL, as: aliceEmail() });
    expect(summary).toMatchObject({
      owners: "keep",
      as: aliceEmail(),
      user: { id: devId, email: DEV_EMAIL },
    });
    await db.withClient((c) => expectKept(c, "alice@example.com"));
    expect(summary.models.User?.imported).toBe(2);
  });

  it("--as by the owner's id, in merge mode", async () => {
    const { db, devId } = await devDatabase();
    const bob = snapshotUsers.find((u) => u.email === emailOf("bob@example.com"));
    const summary = await run(db, { owners: "keep", user: String(devId), as: bob?.id ?? "", mode: "merge" });
    expect(summary.user?.id).toBe(devId);
    await db.withClient((c) => expectKept(c, "bob@example.com"));
  });
});

describe("owner options the core refuses, before changing anything", () => {
  it("E_OWNERS_OPTIONS for --as without keep and keep's other mismatches; E_AS_NOT_IN_SNAPSHOT for an owner the snapshot lacks", async () => {
    const { db } = await devDatabase();
    const before = await db.withClient(fingerprint);
    const alice = snapshotUsers.find((u) => u.email === aliceEmail())?.id ?? "";
    const refusals: Array<[Partial<ImportOptions>, string]> = [
      [{ user: DEV_EMAIL, as: alice }, "E_OWNERS_OPTIONS"],
      [{ owners: "collapse", user: DEV_EMAIL, as: aliceEmail() }, "E_OWNERS_OPTIONS"],
      [{ owners: "keep", as: alice }, "E_OWNERS_OPTIONS"],
      [{ owners: "keep", user: DEV_EMAIL }, "E_OWNERS_OPTIONS"],
      [{ owners: "keep", user: DEV_EMAIL, as: "nobody@example.invalid" }, "E_AS_NOT_IN_SNAPSHOT"],
      [{ owners: "keep", user: DEV_EMAIL, as: "999" }, "E_AS_NOT_IN_SNAPSHOT"],
      // The email as production holds it is not in the (pseudonymised) snapshot.
      [{ owners: "keep", user: DEV_EMAIL, as: "alice@example.com" }, "E_AS_NOT_IN_SNAPSHOT"],
    ];
    for (const [options, code] of refusals) {
      const error = await run(db, options).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(options)).toBeInstanceOf(UsageError);
      expect((error as UsageError).code, JSON.stringify(options)).toBe(code);
      expect((error as UsageError).exitCode).toBe(2);
    }
    expect(await db.withClient(fingerprint)).toEqual(before);
  });
});
