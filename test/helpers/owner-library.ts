import type pg from "pg";

/**
 * A small multi-owner production library for the owner-mode tests (issue 12), and SQL views of a
 * database's library by natural keys (owner email, isbn13, list title/type/year), so that source
 * and target compare although import gives every row a new id.
 */

const ISBN_PREFIX = "978000000";

/** The isbn13 of source book `n` (books are per owner; isbns are globally unique). */
export const isbn = (n: number): string => `${ISBN_PREFIX}${String(n).padStart(4, "0")}`;

type BookRow = [id: number, ownerId: number, n: number];
type ListRow = [id: number, ownerId: number, title: string, type: string, year: string | null];
type EntryRow = [id: number, bookId: number, listId: number, position: number];

const USERS: Array<[id: number, clerkId: string, email: string]> = [
  [4, "user_alice", "alice@example.com"],
  [9, "user_bob", "bob@example.com"],
  [15, "user_carol", "carol@example.com"],
];

const BOOKS: BookRow[] = [
  [10, 4, 101],
  [11, 4, 102],
  [12, 4, 103],
  [20, 9, 201],
  [21, 9, 202],
  [22, 9, 203],
  [30, 15, 301],
  [31, 15, 302],
  [32, 15, 303],
];

/**
 * Every owner has a FAVORITES_ALL list, a FAVORITES_YEAR list for 2024 (Alice and Bob also for
 * 2025) and a STANDARD "To read" list (the same identity for all three once collapsed). List ids
 * interleave the owners (Carol's favourites sit between Alice's and Bob's), so "by source list id"
 * differs from "by owner".
 */
const LISTS: ListRow[] = [
  [40, 4, "All-time favourites", "FAVORITES_ALL", null],
  [41, 4, "Best of 2024", "FAVORITES_YEAR", "2024"],
  [42, 4, "Best of 2025", "FAVORITES_YEAR", "2025"],
  [43, 4, "To read", "STANDARD", null],
  [44, 4, "Shared", "STANDARD", null],
  [45, 15, "Favourites", "FAVORITES_ALL", null],
  [46, 15, "2024", "FAVORITES_YEAR", "2024"],
  [47, 15, "To read", "STANDARD", null],
  [50, 9, "Favorites", "FAVORITES_ALL", null],
  [51, 9, "2024 favourites", "FAVORITES_YEAR", "2024"],
  [52, 9, "2025 favourites", "FAVORITES_YEAR", "2025"],
  [53, 9, "To read", "STANDARD", null],
];

/**
 * Favourites are spaced by 100, as the app does. Entries naming another owner's book: Alice's
 * all-time favourites hold Bob's book 20, which Bob's favourites hold too (a duplicate once the two
 * lists are combined; Alice's entry comes first and has the lower id); Bob's 2024 list holds
 * Alice's book 12, which Alice's 2024 list holds too; Carol's 2024 list holds Alice's book 10; the
 * "Shared" list holds Carol's book 30. Entry ids do not follow positions (Carol's favourites and
 * Alice's), so "by old position" differs from "by entry id".
 */
const ENTRIES: EntryRow[] = [
  [103, 10, 40, 100],
  [101, 11, 40, 200],
  [102, 20, 40, 300],
  [110, 31, 45, 200],
  [111, 30, 45, 100],
  [120, 20, 50, 100],
  [121, 22, 50, 200],
  [130, 12, 41, 100],
  [131, 32, 46, 100],
  [132, 10, 46, 200],
  [133, 21, 51, 100],
  [134, 12, 51, 200],
  [140, 11, 42, 100],
  [141, 22, 52, 100],
  [150, 12, 43, 0],
  [151, 10, 43, 1],
  [152, 32, 47, 5],
  [153, 21, 53, 0],
  [154, 22, 53, 3],
  [160, 30, 44, 0],
];

const sqlText = (value: string | null) => (value === null ? "NULL" : `'${value.replaceAll("'", "''")}'`);

/** The production library as SQL (ids with gaps, sequences past them, one AppSettings row). */
export function ownerLibrarySql(): string {
  const users = USERS.map(
    ([id, clerkId, email]) =>
      `(${id}, '${clerkId}', '${email}', 'Name ${id}', '2025-01-0${(id % 9) + 1} 00:00:00', '2025-02-01 00:00:00')`,
  );
  const books = BOOKS.map(
    ([id, owner, n]) =>
      `(${id}, ${owner}, '${isbn(n).slice(3)}', '${isbn(n)}', 'Book ${n}', 'Book ${n}, long', 'en', '', '', '', 'P', 100, '2001', 'Paperback', '2025-03-01 00:00:00')`,
  );
  const lists = LISTS.map(
    ([id, owner, title, type, year]) =>
      `(${id}, ${owner}, ${sqlText(title)}, '${type}', ${sqlText(year)}, '2025-04-01 00:00:00')`,
  );
  const entries = ENTRIES.map(
    ([id, book, list, position]) => `(${id}, ${book}, ${list}, ${position}, '2025-05-01 00:00:00')`,
  );
  return `
INSERT INTO "User" ("id", "clerkId", "email", "name", "createdAt", "updatedAt") VALUES ${users.join(",\n")};
INSERT INTO "Book" ("id", "ownerId", "isbn10", "isbn13", "title", "titleLong", "language", "synopsis", "image", "imageOriginal", "publisher", "pageCount", "datePublished", "binding", "updatedAt") VALUES ${books.join(",\n")};
INSERT INTO "ReadingList" ("id", "ownerId", "title", "type", "year", "updatedAt") VALUES ${lists.join(",\n")};
INSERT INTO "BookInReadingList" ("id", "bookId", "readingListId", "position", "addedAt") VALUES ${entries.join(",\n")};
INSERT INTO "AppSettings" ("id", "defaultUserClerkId", "updatedAt") VALUES (1, 'user_alice', '2025-06-01 00:00:00');
SELECT setval(pg_get_serial_sequence('"User"', 'id'), 100);
SELECT setval(pg_get_serial_sequence('"Book"', 'id'), 100);
SELECT setval(pg_get_serial_sequence('"ReadingList"', 'id'), 100);
SELECT setval(pg_get_serial_sequence('"BookInReadingList"', 'id'), 200);
`;
}

/** One list entry by natural keys; `id` is the row's own id (the source's, for the expected order). */
export interface EntryView {
  id: number;
  isbn13: string;
  /** Email of the book's owner (another owner's for a shared entry). */
  bookOwner: string;
  position: number;
}

export interface ListView {
  id: number;
  owner: string;
  title: string;
  type: string;
  year: string | null;
  /** Ordered by position, then id. */
  entries: EntryView[];
}

/** Every reading list of the database with its entries, by list id. */
export async function listsOf(client: pg.ClientBase): Promise<ListView[]> {
  const { rows } = await client.query<ListView>(
    `SELECT l.id, u.email AS owner, l.title, l.type::text AS type, l.year,
            coalesce(json_agg(json_build_object('id', e.id, 'isbn13', b.isbn13, 'bookOwner', bu.email, 'position', e.position)
                              ORDER BY e.position, e.id) FILTER (WHERE e.id IS NOT NULL), '[]') AS entries
       FROM "ReadingList" l
       JOIN "User" u ON u.id = l."ownerId"
       LEFT JOIN "BookInReadingList" e ON e."readingListId" = l.id
       LEFT JOIN "Book" b ON b.id = e."bookId"
       LEFT JOIN "User" bu ON bu.id = b."ownerId"
      GROUP BY l.id, u.email
      ORDER BY l.id`,
  );
  return rows;
}

/** Every book as owner email and isbn13, sorted. */
export async function booksOf(client: pg.ClientBase): Promise<Array<{ owner: string; isbn13: string }>> {
  const { rows } = await client.query<{ owner: string; isbn13: string }>(
    `SELECT u.email AS owner, b.isbn13 FROM "Book" b JOIN "User" u ON u.id = b."ownerId" ORDER BY 2`,
  );
  return rows;
}

/** The tables an import writes, in the order fingerprints list them. */
export const IMPORTED_TABLES = ["User", "Book", "ReadingList", "BookInReadingList", "AppSettings"] as const;
export type ImportedTable = (typeof IMPORTED_TABLES)[number];

/** md5 of every row (row_to_json, ordered by id) per table: equal fingerprints mean equal content and ids. */
export async function fingerprint(client: pg.ClientBase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of IMPORTED_TABLES) {
    const { rows } = await client.query<{ md5: string; n: number }>(
      `SELECT md5(coalesce(string_agg(row_to_json(t)::text, E'\\n' ORDER BY t.id), '')) AS md5, count(*)::int AS n
         FROM "${table}" t`,
    );
    out[table] = `${rows[0]?.n}:${rows[0]?.md5}`;
  }
  return out;
}

/**
 * The isbn13s a combined per-owner-rule list must hold, in order, by the brief's rule: the kept
 * list's entries first (here: the lowest source list id, or none when an existing target list
 * wins), then by source list id, old position, source entry id; a book already in the list is
 * dropped.
 */
export function combinedOrder(sourceLists: readonly ListView[], keptSourceListId: number | null): string[] {
  const entries = sourceLists.flatMap((list) => list.entries.map((entry) => ({ list: list.id, entry })));
  entries.sort(
    (a, b) =>
      Number(b.list === keptSourceListId) - Number(a.list === keptSourceListId) ||
      a.list - b.list ||
      a.entry.position - b.entry.position ||
      a.entry.id - b.entry.id,
  );
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { entry } of entries) {
    if (seen.has(entry.isbn13)) continue;
    seen.add(entry.isbn13);
    out.push(entry.isbn13);
  }
  return out;
}

/** A list's comparable content without ids: title, type, year and (isbn13, book owner, position) entries. */
export function listContent(list: ListView, owner: (email: string) => string = (e) => e): string {
  return JSON.stringify([
    owner(list.owner),
    list.title,
    list.type,
    list.year,
    list.entries.map((e) => [e.isbn13, owner(e.bookOwner), e.position]),
  ]);
}
