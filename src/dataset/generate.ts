import type { OutgoingRecord } from "../snapshot/snapshot-writer.js";

/**
 * A realistic, seeded book library: users, books with long synopses, several subjects and
 * authors, unicode titles, reading lists and list entries. Used by tests, the demo and the
 * benchmark; the same seed always gives the same records.
 */
export interface LibraryShape {
  users: number;
  books: number;
  /** Reading lists per user (default 3). */
  listsPerUser?: number;
  /** Entries per reading list (default 10, capped at the owner's books). */
  entriesPerList?: number;
  seed?: number;
  /** Fixed clock for createdAt/updatedAt so datasets are reproducible. */
  epoch?: Date;
}

/** Mulberry32: tiny, fast, good enough for test data; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the of and a to in is was he for it with as his on be at by had are but from or have an they which one you were her " +
  "all she there would their we him been has when who will more no if out so said what up its about into than them can " +
  "only other new some could time these two may then do first any my now such like our over man me even most made after " +
  "also did many before must through back years where much your way well down should because each just those people"
).split(" ");
const TITLE_WORDS = [
  "Shadow",
  "River",
  "Garden",
  "Winter",
  "Empire",
  "Silence",
  "Orchard",
  "Glass",
  "Harbor",
  "Lantern",
  "Atlas",
  "Memory",
  "Café",
  "Naïve",
  "Ødegaard",
  "Straße",
  "Cœur",
  "Мир",
  "Война",
  "夜",
  "東京",
  "物語",
  "القمر",
  "שלום",
  "Ελπίδα",
  "🌙",
  "📚",
];
const SUBJECTS = [
  "Fiction",
  "History",
  "Science",
  "Poetry",
  "Philosophy",
  "Travel",
  "Biography",
  "Fantasy",
  "Mystery",
  "Art",
  "Économie",
  "Kochen",
];
const LANGUAGES = ["en", "fr", "de", "es", "ja", "ru", "ar", "he", "el"];
const BINDINGS = ["Hardcover", "Paperback", "Kindle Edition", "Mass Market Paperback"];
const BOOK_VISIBILITY = ["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"] as const;
const LIST_TYPES = ["STANDARD", "FAVORITES_YEAR", "FAVORITES_ALL"] as const;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function sentence(random: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(random, WORDS));
  const text = out.join(" ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function paragraph(random: () => number, minChars: number, maxChars: number): string {
  const target = minChars + Math.floor(random() * (maxChars - minChars));
  const parts: string[] = [];
  let length = 0;
  while (length < target) {
    const s = sentence(random, 6 + Math.floor(random() * 14));
    parts.push(s);
    length += s.length + 1;
  }
  return parts.join(" ");
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Yields the library in snapshot order: users, books, reading lists, entries (ids ascending from 1). */
export async function* generateLibrary(shape: LibraryShape): AsyncGenerator<OutgoingRecord> {
  const random = seededRandom(shape.seed ?? 42);
  const epoch = (shape.epoch ?? new Date("2025-01-01T00:00:00.000Z")).getTime();
  const users = Math.max(1, shape.users);
  for (let id = 1; id <= users; id++) {
    const created = epoch - Math.floor(random() * 400 * 86_400_000);
    yield {
      model: "User",
      record: {
        id,
        clerkId: `user_${(id * 7919).toString(36).padStart(8, "0")}`,
        email: `reader${id}@example.com`,
        name: id % 5 === 0 ? null : `Reader ${pick(random, TITLE_WORDS)} ${id}`,
        profileImageUrl: id % 3 === 0 ? null : `https://img.example.com/u/${id}.png`,
        githubUrl: id % 2 === 0 ? `https://github.com/reader${id}` : null,
        instagramUrl: null,
        linkedinUrl: id % 4 === 0 ? `https://linkedin.com/in/reader${id}` : null,
        letterboxdUrl: null,
        spotifyUrl: id % 7 === 0 ? `https://open.spotify.com/user/${id}` : null,
        createdAt: iso(created),
        updatedAt: iso(created + 86_400_000),
      },
    };
  }
  const ownerOf = (bookId: number) => ((bookId - 1) % users) + 1;
  for (let id = 1; id <= shape.books; id++) {
    const title = `${pick(random, TITLE_WORDS)} ${pick(random, TITLE_WORDS)} ${id}`;
    const created = epoch - Math.floor(random() * 300 * 86_400_000);
    const subjects = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(random, SUBJECTS));
    const authors = Array.from(
      { length: 1 + Math.floor(random() * 3) },
      () => `${pick(random, TITLE_WORDS)} ${pick(random, WORDS)}`,
    );
    yield {
      model: "Book",
      record: {
        id,
        ownerId: ownerOf(id),
        isbn10: String(1_000_000_000 + id).slice(-10),
        isbn13: String(9_780_000_000_000 + id),
        title,
        titleLong: `${title}: ${sentence(random, 5)}`,
        language: pick(random, LANGUAGES),
        synopsis: paragraph(random, 300, 3000),
        image: `https://images.example.com/${id}.jpg`,
        imageOriginal: `https://images.example.com/original/${id}.jpg`,
        publisher: `${pick(random, TITLE_WORDS)} Press`,
        edition: random() < 0.3 ? null : `${1 + Math.floor(random() * 5)}th`,
        pageCount: 80 + Math.floor(random() * 900),
        datePublished: String(1900 + Math.floor(random() * 125)),
        subjects,
        authors,
        binding: pick(random, BINDINGS),
        visibility: pick(random, BOOK_VISIBILITY),
        readDate: random() < 0.4 ? null : iso(created + Math.floor(random() * 50 * 86_400_000)),
        createdAt: iso(created),
        updatedAt: iso(created + 3_600_000),
      },
    };
  }
  const listsPerUser = shape.listsPerUser ?? 3;
  const entriesPerList = shape.entriesPerList ?? 10;
  const booksPerUser = (user: number) =>
    Math.floor(shape.books / users) + (user <= shape.books % users ? 1 : 0);
  let listId = 0;
  const lists: Array<{ id: number; owner: number }> = [];
  for (let owner = 1; owner <= users; owner++) {
    // The app allows one FAVORITES_ALL list per owner and one FAVORITES_YEAR list per owner and
    // year (checked in its code): a drawn type that would break that becomes STANDARD. The
    // random draws stay the same, so a seed gives the same data otherwise.
    const favourites = new Set<string>();
    for (let n = 0; n < listsPerUser; n++) {
      listId += 1;
      lists.push({ id: listId, owner });
      const drawn = pick(random, LIST_TYPES);
      const created = epoch - Math.floor(random() * 200 * 86_400_000);
      const title = `${pick(random, TITLE_WORDS)} list ${listId}`;
      const description = random() < 0.5 ? null : sentence(random, 12);
      const visibility = pick(random, BOOK_VISIBILITY);
      const drawnYear = drawn === "FAVORITES_YEAR" ? String(2000 + Math.floor(random() * 26)) : null;
      const slot = drawn === "STANDARD" ? null : `${drawn}:${drawnYear ?? ""}`;
      const type = slot !== null && favourites.has(slot) ? "STANDARD" : drawn;
      if (slot !== null) favourites.add(slot);
      yield {
        model: "ReadingList",
        record: {
          id: listId,
          ownerId: owner,
          title,
          description,
          visibility,
          type,
          year: type === "FAVORITES_YEAR" ? Number(drawnYear) : null,
          coverImage: random() < 0.5 ? null : `https://images.example.com/lists/${listId}.jpg`,
          createdAt: iso(created),
          updatedAt: iso(created + 60_000),
        },
      };
    }
  }
  let entryId = 0;
  for (const list of lists) {
    const owned = booksPerUser(list.owner);
    const count = Math.min(entriesPerList, owned);
    const start = Math.floor(random() * Math.max(owned, 1));
    for (let k = 0; k < count; k++) {
      // The k-th book of this owner (books are dealt round-robin to owners).
      const nth = (start + k) % owned;
      const bookId = nth * users + list.owner;
      entryId += 1;
      yield {
        model: "BookInReadingList",
        record: {
          id: entryId,
          bookId,
          readingListId: list.id,
          position: k,
          notes: random() < 0.7 ? null : sentence(random, 8),
          addedAt: iso(epoch - Math.floor(random() * 100 * 86_400_000)),
        },
      };
    }
  }
}
