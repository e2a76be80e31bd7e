import type pg from "pg";
import { describe, expect, it } from "vitest";
import { importSnapshot } from "../../src/import/import.js";
import {
  actualLibrary,
  addBook,
  addUser,
  collect,
  expectedLibrary,
  importDeps,
  importInto,
  makeSnapshot,
  useImportSetup,
} from "./import-support.js";

/**
 * Replace deletes the dev user's books and lists; tables booksnap does not copy may reference
 * them. Their rows must never disappear or change without the user being told and agreeing.
 */
const setup = useImportSetup();

const errorOf = (run: { json: () => Record<string, unknown> }) =>
  run.json().error as { code: string; message: string; details?: unknown };

/** A dev user with 3 books, another user with 1, and three tables booksnap knows nothing about. */
async function seed(c: pg.Client) {
  const devId = await addUser(c, "dev@example.com");
  const otherId = await addUser(c, "other@example.com");
  const devBooks = [
    await addBook(c, devId, "9990000000001"),
    await addBook(c, devId, "9990000000002"),
    await addBook(c, devId, "9990000000003"),
  ];
  const otherBook = await addBook(c, otherId, "9990000000004");
  await c.query(`CREATE TABLE "Review" (id serial PRIMARY KEY,
                   "bookId" integer NOT NULL REFERENCES "Book"(id) ON DELETE CASCADE, body text)`);
  // Reached only through Review's cascade: found recursively.
  await c.query(`CREATE TABLE "ReviewVote" (id serial PRIMARY KEY,
                   "reviewId" integer NOT NULL REFERENCES "Review"(id) ON DELETE CASCADE)`);
  await c.query(`CREATE TABLE "Loan" (id serial PRIMARY KEY,
                   "bookId" integer REFERENCES "Book"(id) ON DELETE SET NULL, borrower text)`);
  for (const book of [...devBooks, otherBook]) {
    await c.query(`INSERT INTO "Review" ("bookId", body) VALUES ($1, 'good')`, [book]);
  }
  await c.query(`INSERT INTO "ReviewVote" ("reviewId") SELECT id FROM "Review" WHERE "bookId" = ANY($1)`, [
    devBooks.slice(0, 2),
  ]);
  await c.query(`INSERT INTO "Loan" ("bookId", borrower) VALUES ($1, 'a'), ($2, 'b'), ($3, 'c')`, [
    devBooks[0],
    devBooks[1],
    otherBook,
  ]);
  return { devId, otherBook };
}

async function extraTables(c: pg.Client) {
  const n = async (sql: string) => Number((await c.query(sql)).rows[0].n);
  return {
    reviews: await n(`SELECT count(*) AS n FROM "Review"`),
    votes: await n(`SELECT count(*) AS n FROM "ReviewVote"`),
    loansWithBook: await n(`SELECT count(*) AS n FROM "Loan" WHERE "bookId" IS NOT NULL`),
  };
}

const before = { reviews: 4, votes: 2, loansWithBook: 3 };
const expectedDependents = [
  expect.objectContaining({ table: "public.Loan", deleted: 0, changed: 2, blocking: 0 }),
  expect.objectContaining({ table: "public.Review", deleted: 3, changed: 0, blocking: 0 }),
  expect.objectContaining({ table: "public.ReviewVote", deleted: 2, changed: 0, blocking: 0 }),
];

describe("replace import and tables booksnap does not copy", () => {
  it("lists every dependent table in --dry-run, refuses --yes alone, and applies with --allow-cascade", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 5, seed: 11 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    const { devId, otherBook } = await db.withClient(seed);
    const flags = ["--user", "dev@example.com", "--log-dir", `${dir}/logs`];

    const dry = await importInto(paths.manifestPath, db.url, ...flags, "--dry-run", "--json");
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json().dependents).toEqual(expectedDependents);
    const dryHuman = await importInto(paths.manifestPath, db.url, ...flags, "--dry-run");
    expect(dryHuman.stdout).toContain(
      "would also affect tables booksnap does not copy: public.Loan: 2 row(s) changed (reference set to NULL); public.Review: 3 row(s) deleted; public.ReviewVote: 2 row(s) deleted",
    );

    // A script (no TTY) without --yes: the refusal names the other tables too.
    const unconfirmed = await importInto(paths.manifestPath, db.url, ...flags, "--json");
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.json().error).toMatchObject({ code: "E_CONFIRM_REQUIRED" });
    expect(errorOf(unconfirmed).message).toContain("public.Review: 3 row(s) deleted");

    // --yes answers "replace your books?", not "and delete 3 reviews": refused, nothing changed.
    const yesOnly = await importInto(paths.manifestPath, db.url, ...flags, "--yes", "--json");
    expect(yesOnly.code).toBe(2);
    expect(yesOnly.json().error).toMatchObject({
      code: "E_CASCADE_NOT_ALLOWED",
      details: { dependents: expectedDependents },
    });
    expect(await db.withClient(extraTables)).toEqual(before);

    const run = await importInto(paths.manifestPath, db.url, ...flags, "--yes", "--allow-cascade", "--json");
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().dependents).toEqual(expectedDependents);
    expect(await db.withClient(extraTables)).toEqual({ reviews: 1, votes: 0, loansWithBook: 1 });
    // The other user's review and loan are untouched.
    const kept = await db.withClient((c) =>
      c.query(
        `SELECT "bookId" FROM "Review" UNION ALL SELECT "bookId" FROM "Loan" WHERE "bookId" IS NOT NULL`,
      ),
    );
    expect(kept.rows).toEqual([{ bookId: otherBook }, { bookId: otherBook }]);
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
  });

  it("names the dependent rows in the confirmation question, and a yes there is the acknowledgement", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 2, seed: 12 }));
    await db.withClient(seed);
    const questions: string[] = [];
    const summary = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, user: "dev@example.com" },
      {
        ...importDeps(),
        confirm: async (q) => {
          questions.push(q);
          return true;
        },
      },
    );
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain("3 Book row(s)");
    expect(questions[0]).toContain("public.Review: 3 row(s) deleted");
    expect(questions[0]).toContain("public.Loan: 2 row(s) changed");
    expect(summary.dependents).toEqual(expectedDependents);
  });

  it("refuses before writing anything when a RESTRICT foreign key would make the delete fail", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 2, seed: 13 }));
    const bookCount = await db.withClient(async (c) => {
      const devId = await addUser(c, "dev@example.com");
      const book = await addBook(c, devId, "9990000000001");
      await c.query(`CREATE TABLE "Hold" (id serial PRIMARY KEY,
                       "bookId" integer NOT NULL REFERENCES "Book"(id) ON DELETE RESTRICT)`);
      await c.query(`INSERT INTO "Hold" ("bookId") VALUES ($1)`, [book]);
      return Number((await c.query(`SELECT count(*) AS n FROM "Book"`)).rows[0].n);
    });
    for (const extra of [["--dry-run"], ["--yes", "--allow-cascade"]]) {
      const run = await importInto(
        paths.manifestPath,
        db.url,
        "--user",
        "dev@example.com",
        ...extra,
        "--json",
      );
      expect(run.code).toBe(8);
      expect(run.json().error).toMatchObject({ code: "E_REPLACE_BLOCKED" });
      expect(errorOf(run).message).toContain("public.Hold: 1 row(s) block the delete");
    }
    await db.withClient(async (c) => {
      expect(Number((await c.query(`SELECT count(*) AS n FROM "Book"`)).rows[0].n)).toBe(bookCount);
      expect((await c.query(`SELECT to_regnamespace('booksnap_staging') AS s`)).rows[0].s).toBeNull();
    });
  });

  it("merge deletes nothing, so it needs no acknowledgement", async () => {
    const { db, dir } = await setup();
    const { paths } = await makeSnapshot(dir, "lib", await collect({ users: 1, books: 2, seed: 14 }));
    await db.withClient(seed);
    const run = await importInto(
      paths.manifestPath,
      db.url,
      "--user",
      "dev@example.com",
      "--mode",
      "merge",
      "--json",
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().dependents).toEqual([]);
    expect(await db.withClient(extraTables)).toEqual(before);
  });
});
