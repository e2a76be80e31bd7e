import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, disconnect } from "../../src/db/connect.js";
import { PrismaClient } from "../../src/generated/prisma/client.js";
import { canonicalJson } from "../../src/snapshot/canonical.js";
import { MODELS, type ModelSpec, selectList } from "../../src/snapshot/models.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/**
 * The migrated database, the generated Prisma client and booksnap's model table must agree:
 * every field written through Prisma reads back identically through booksnap's own row reader.
 */
describe("generated Prisma client against the migrated database", () => {
  let db: TestDatabase;
  let prisma: InstanceType<typeof PrismaClient>;
  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await db.drop();
  });

  it("round-trips every model and field", async () => {
    const at = (s: string) => new Date(s);
    const user = await prisma.user.create({
      data: {
        clerkId: "user_2abc",
        email: "ana@example.com",
        name: "Ana Ørsted 📚",
        profileImageUrl: "https://img/a.png",
        githubUrl: "https://github.com/ana",
        instagramUrl: "https://instagram.com/ana",
        linkedinUrl: "https://linkedin.com/in/ana",
        letterboxdUrl: "https://letterboxd.com/ana",
        spotifyUrl: "https://open.spotify.com/user/ana",
        createdAt: at("2024-01-02T03:04:05.678Z"),
      },
    });
    const book = await prisma.book.create({
      data: {
        ownerId: user.id,
        isbn10: "0123456789",
        isbn13: "9780123456789",
        title: "Straße nach 東京",
        titleLong: "Straße nach 東京: a long title",
        language: "de",
        synopsis: 'Line one\nline "two"\t\\ end',
        image: "https://img/b.jpg",
        imageOriginal: "https://img/b-orig.jpg",
        publisher: "Verlag",
        edition: "2nd",
        pageCount: 321,
        datePublished: "1999-12-31",
        subjects: ["Fiction", "a,b", 'quote"d', "back\\slash", ""],
        authors: [],
        binding: "Hardcover",
        visibility: "FRIENDS",
        readDate: at("2025-06-30T23:59:59.999Z"),
      },
    });
    const list = await prisma.readingList.create({
      data: {
        ownerId: user.id,
        title: "Favourites 2024",
        description: null,
        visibility: "UNLISTED",
        type: "FAVORITES_YEAR",
        year: "2024",
        coverImage: "https://img/l.jpg",
      },
    });
    const entry = await prisma.bookInReadingList.create({
      data: { bookId: book.id, readingListId: list.id, position: 7, notes: "re-read" },
    });

    const viaPrisma: Record<string, Record<string, unknown>> = {
      User: user,
      Book: book,
      ReadingList: list,
      BookInReadingList: entry,
    };
    const client = await connect({
      url: db.url,
      applicationName: "booksnap-test",
      readOnly: true,
      tls: "auto",
      connectTimeoutMs: 5000,
      statementTimeoutMs: 0,
      lockTimeoutMs: 0,
    });
    try {
      for (const spec of MODELS) {
        const fromPrisma = viaPrisma[spec.name] as Record<string, unknown>;
        // Every field booksnap knows is a field of the Prisma model, and vice versa.
        expect(Object.keys(fromPrisma).sort()).toEqual(spec.fields.map((f) => f.name).sort());
        const { rows } = await client.query(`SELECT ${selectList(spec)} FROM "${spec.table}" WHERE id = $1`, [
          fromPrisma.id,
        ]);
        expect(canonicalJson(spec, rows[0])).toBe(canonicalJson(spec, toSnapshotValues(spec, fromPrisma)));
      }
    } finally {
      await disconnect(client);
    }
  });
});

function toSnapshotValues(spec: ModelSpec, row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    spec.fields.map((f) => {
      const value = row[f.name];
      return [f.name, value instanceof Date ? value.toISOString() : value];
    }),
  );
}
