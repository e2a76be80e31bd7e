import { join } from "node:path";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import type { TestDatabase } from "../helpers/db.js";
import {
  booksnap,
  columnsOf,
  expectExit,
  fixSession,
  q,
  type TextRow,
  textRows,
  useDatabases,
  useWorkDir,
} from "./e2e-support.js";

/**
 * Issue 11, "Done when" 1: against a database built from the bundled migrations (the app's current
 * schema), export → verify → import into another such database, with no flag beyond the
 * connection and the dev user, is exact for every field of every imported row. Everything goes
 * through the built CLI; the comparison is SQL on both databases, value by value in PostgreSQL's
 * own text output. Ids are remapped by import, so rows are matched by their natural keys (Book by
 * isbn13, ReadingList by title, entries by both) and owner columns must all name the dev user.
 */

const newDatabase = useDatabases();
const work = useWorkDir("booksnap-e2e-roundtrip-");

/** Three owners, ids with gaps; every nullable field both NULL and set; arrays NULL, {} and with values. */
const SEED = String.raw`
INSERT INTO "User" ("id", "clerkId", "email", "name", "profileImageUrl", "githubUrl", "instagramUrl", "linkedinUrl", "letterboxdUrl", "spotifyUrl", "createdAt", "updatedAt") VALUES
  (3, 'user_a', 'alice@example.com', 'Alice Ödegaard', 'https://img.example.com/a.png', 'https://github.com/a', 'https://instagram.com/a', 'https://linkedin.com/in/a', 'https://letterboxd.com/a', 'https://open.spotify.com/a', '2025-01-01 00:00:00.001', '2025-06-01 12:34:56.789'),
  (7, 'user_b', 'bob@example.com', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2025-02-02 02:02:02', '2025-02-02 02:02:02'),
  (11, 'user_c', 'chloé@example.com', '', '', NULL, '', NULL, NULL, NULL, '2025-03-03 03:03:03.3', '2025-03-03 03:03:03.3');

INSERT INTO "Book" ("id", "ownerId", "isbn10", "isbn13", "title", "titleLong", "language", "synopsis", "image", "imageOriginal", "publisher", "edition", "pageCount", "datePublished", "subjects", "authors", "binding", "visibility", "readDate", "createdAt", "updatedAt") VALUES
  (5, 3, '0140449132', '9780140449136', 'Crime and Punishment', 'Crime and Punishment (Penguin Classics)', 'en', 'A student''s crime: "a novel of ideas", \ and all.', 'https://i.example.com/1.jpg', 'https://i.example.com/o/1.jpg', 'Penguin', 'Reissue', 565, '2002-12-31', ARRAY['Fiction', 'Russian, literature', 'with "quotes"', 'back\slash', 'NULL']::TEXT[], ARRAY['Fyodor Dostoevsky']::TEXT[], 'Paperback', 'PUBLIC', '2024-03-02 10:11:12.345', '2025-01-05 00:00:00', '2025-01-06 00:00:00.5'),
  (6, 3, '3596294339', '9783596294336', 'Der Zauberberg', 'Der Zauberberg — Roman', 'de', 'Sieben Jahre in Davos. 🏔️ 日本語', '', '', 'S. Fischer', NULL, 1008, '1924', NULL, NULL, 'Taschenbuch', 'PRIVATE', NULL, '2025-01-07 00:00:00', '2025-01-07 00:00:00'),
  (9, 7, '0441478123', '9780441478125', 'The Left Hand of Darkness', 'The Left Hand of Darkness', 'en', '', '', '', 'Ace', '', 0, '1969-03', '{}'::TEXT[], '{}'::TEXT[], 'Mass Market', 'FRIENDS', '1999-12-31 23:59:59.999', '2025-02-10 00:00:00', '2025-02-11 00:00:00'),
  (12, 7, '000000000X', '9780000000002', E'Tab\there, newline\nthere', E'line1\r\nline2', 'fr', 'Ça va ? « oui »', 'x', 'y', 'Gallimard', '2e', 2147483647, '', ARRAY['', ' ', 'ü']::TEXT[], ARRAY['A', NULL, 'B']::TEXT[], 'Relié', 'UNLISTED', '2025-01-01 00:00:00', '2025-02-12 00:00:00', '2025-02-12 00:00:00'),
  (20, 11, '1234567890', '9781234567897', 'Emoji 📚 book', 'Emoji 📚 book, long', 'und', 'zero‍width joiner 👩‍👩‍👧', 'i', 'o', 'P', NULL, 1, '2020', ARRAY['one']::TEXT[], NULL, 'Ebook', 'PUBLIC', NULL, '2025-03-04 00:00:00', '2025-03-05 00:00:00');

INSERT INTO "ReadingList" ("id", "ownerId", "title", "description", "visibility", "type", "year", "coverImage", "createdAt", "updatedAt") VALUES
  (4, 3, 'Favourites 2024', NULL, 'PUBLIC', 'FAVORITES_YEAR', '2024', NULL, '2025-01-10 00:00:00', '2025-01-10 00:00:00'),
  (8, 3, 'All-time favourites', 'The ones I reread.', 'PRIVATE', 'FAVORITES_ALL', NULL, 'https://blob.example.com/l/8.jpg', '2025-01-11 00:00:00', '2025-01-12 00:00:00.123'),
  (15, 7, 'To read', '', 'UNLISTED', 'STANDARD', NULL, '', '2025-02-13 00:00:00', '2025-02-13 00:00:00'),
  (16, 7, 'Favourites 2023', 'année ✨', 'FRIENDS', 'FAVORITES_YEAR', '2023', NULL, '2025-02-14 00:00:00', '2025-02-14 00:00:00'),
  (30, 11, 'Empty list', NULL, 'PRIVATE', 'STANDARD', 'not a year', NULL, '2025-03-06 00:00:00', '2025-03-06 00:00:00');

INSERT INTO "BookInReadingList" ("id", "bookId", "readingListId", "position", "notes", "addedAt") VALUES
  (2, 5, 4, 0, 'Reread in summer', '2025-01-10 00:00:01'),
  (3, 6, 8, 0, NULL, '2025-01-11 00:00:01'),
  (7, 5, 8, 1, '', '2025-01-11 00:00:02'),
  (8, 5, 15, 0, 'Borrow from Alice — 🙏', '2025-02-13 00:00:01'),
  (9, 12, 15, -1, NULL, '2025-02-13 00:00:02'),
  (10, 9, 16, 2147483647, E'multi\nline', '2025-02-14 00:00:01');

INSERT INTO "AppSettings" ("id", "defaultUserClerkId", "updatedAt") VALUES (1, 'user_a', '2025-11-25 19:30:00.25');

SELECT setval(pg_get_serial_sequence('"User"', 'id'), 11);
SELECT setval(pg_get_serial_sequence('"Book"', 'id'), 20);
SELECT setval(pg_get_serial_sequence('"ReadingList"', 'id'), 30);
SELECT setval(pg_get_serial_sequence('"BookInReadingList"', 'id'), 10);
`;

/** A database built by `booksnap prepare` from the bundled migrations. */
async function preparedDatabase(): Promise<TestDatabase> {
  const db = await newDatabase({ migrate: false });
  expectExit(await booksnap(["prepare", "--to", db.url]), 0, "prepare");
  return db;
}

/** The columns of `table` but `excluded`, as a select list. */
async function selectList(client: pg.ClientBase, table: string, alias: string, excluded: string[]) {
  const columns = (await columnsOf(client, table)).filter((c) => !excluded.includes(c));
  return columns.map((c) => `${alias}.${q(c)}`).join(", ");
}

/** Every imported table, rows keyed by natural key, FKs replaced by the referenced row's natural key. */
async function comparable(client: pg.ClientBase): Promise<Record<string, TextRow[]>> {
  await fixSession(client);
  const book = await selectList(client, "Book", "b", ["id", "ownerId"]);
  const list = await selectList(client, "ReadingList", "l", ["id", "ownerId"]);
  const entry = await selectList(client, "BookInReadingList", "e", ["id", "bookId", "readingListId"]);
  const settings = await selectList(client, "AppSettings", "s", ["defaultUserClerkId"]);
  return {
    Book: await textRows(client, `SELECT ${book} FROM "Book" b ORDER BY b."isbn13"`),
    ReadingList: await textRows(client, `SELECT ${list} FROM "ReadingList" l ORDER BY l."title"`),
    BookInReadingList: await textRows(
      client,
      `SELECT b."isbn13" AS "book", l."title" AS "list", ${entry}
         FROM "BookInReadingList" e JOIN "Book" b ON b.id = e."bookId" JOIN "ReadingList" l ON l.id = e."readingListId"
        ORDER BY 1, 2`,
    ),
    AppSettings: await textRows(client, `SELECT ${settings} FROM "AppSettings" s ORDER BY s.id`),
  };
}

describe("the app's current schema: export → verify → import, exact, with no flag", () => {
  it("imports every field of every row exactly as the source holds it", async () => {
    const source = await preparedDatabase();
    const target = await preparedDatabase();
    await source.withClient((c) => c.query(SEED));
    // The dev user, and someone else's book the import must leave alone.
    const devId = await target.withClient(async (c) => {
      const { rows } = await c.query<{ id: number }>(
        `INSERT INTO "User" ("clerkId", "email", "updatedAt") VALUES ('user_dev', 'dev@example.com', '2025-01-01') RETURNING id`,
      );
      await c.query(
        `INSERT INTO "User" ("id", "clerkId", "email", "updatedAt") VALUES (100, 'user_other', 'other@example.com', '2025-01-01');
         INSERT INTO "Book" ("id", "ownerId", "isbn10", "isbn13", "title", "titleLong", "language", "synopsis", "image", "imageOriginal", "publisher", "pageCount", "datePublished", "binding", "updatedAt")
         VALUES (500, 100, '9999999999', '9999999999999', 'Other', 'Other', 'en', '', '', '', 'P', 1, '2000', 'B', '2025-01-01');
         SELECT setval(pg_get_serial_sequence('"Book"', 'id'), 500)`,
      );
      return rows[0]?.id as number;
    });
    const snapshot = join(work.path, "app");

    expectExit(
      await booksnap(["export", "--from", source.url, "--out", work.path, "--name", "app"]),
      0,
      "export",
    );
    expectExit(await booksnap(["verify", snapshot]), 0, "verify");
    const imported = await booksnap(["import", snapshot, "--to", target.url, "--user", "dev@example.com"]);
    expectExit(imported, 0, "import");

    const expected = await source.withClient(comparable);
    expect(Object.values(expected).map((rows) => rows.length)).toEqual([5, 5, 6, 1]);
    const actual = await target.withClient(async (c): Promise<Record<string, TextRow[]>> => {
      const all = await comparable(c);
      // Someone else's book stays, untouched, and is not part of the comparison.
      const other = all.Book?.filter((b) => b.isbn13 === "9999999999999") ?? [];
      expect(other).toHaveLength(1);
      return { ...all, Book: all.Book?.filter((b) => b.isbn13 !== "9999999999999") ?? [] };
    });
    expect(actual.Book).toEqual(expected.Book);
    expect(actual.ReadingList).toEqual(expected.ReadingList);
    expect(actual.BookInReadingList).toEqual(expected.BookInReadingList);
    expect(actual.AppSettings).toEqual(expected.AppSettings);

    await target.withClient(async (c) => {
      // Every imported book and list belongs to the dev user; the other user's book to them.
      const owners = await textRows(
        c,
        `SELECT 'Book' AS t, "ownerId"::text AS owner, count(*)::text AS n FROM "Book" WHERE id <> 500 GROUP BY 2
         UNION ALL SELECT 'ReadingList', "ownerId"::text, count(*)::text FROM "ReadingList" GROUP BY 2
         UNION ALL SELECT 'Other', "ownerId"::text, count(*)::text FROM "Book" WHERE id = 500 GROUP BY 2 ORDER BY 1`,
      );
      expect(owners).toEqual([
        { t: "Book", owner: String(devId), n: "5" },
        { t: "Other", owner: "100", n: "1" },
        { t: "ReadingList", owner: String(devId), n: "5" },
      ]);
      // Owner rows are not copied in: the dev user and the other user are the only users, unchanged.
      expect(await textRows(c, `SELECT id::text, "clerkId", email, name FROM "User" ORDER BY id`)).toEqual([
        { id: String(devId), clerkId: "user_dev", email: "dev@example.com", name: null },
        { id: "100", clerkId: "user_other", email: "other@example.com", name: null },
      ]);
      // New ids came from the target's sequences (past the other user's book), not from the source.
      const ids = await textRows(c, `SELECT min(id)::text AS lo FROM "Book" WHERE id <> 500`);
      expect(Number(ids[0]?.lo)).toBeGreaterThan(500);
      // The settings' Clerk id is pseudonymised by the built-in rule (User.clerkId's pseudonym), never copied in clear.
      const settings = await textRows(c, `SELECT "defaultUserClerkId" AS v FROM "AppSettings"`);
      expect(settings[0]?.v).toEqual(expect.any(String));
      expect(settings[0]?.v).not.toBe("user_a");
      // Nothing of the import's machinery is left behind.
      const staging = await textRows(c, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'booksnap%'`);
      expect(staging).toEqual([]);
    });
  }, 150_000); // six CLI runs (each a node start) on a loaded, shared server
});
