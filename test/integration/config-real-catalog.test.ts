import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkConfigAgainstSchema } from "../../src/config/config-check.js";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { planRedaction } from "../../src/redact/plan.js";
import { createRowRedactor } from "../../src/redact/row-redactor.js";
import { formatSuggestedRules } from "../../src/redact/uncovered.js";
import { introspectSchema } from "../../src/schema/introspect.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/**
 * The built-in configuration against the book app's schema as PostgreSQL's catalog describes it
 * (tables written the way the app's Prisma migrations create them, up to 20251125192739), then
 * after a migration the config has not caught up with.
 */
const APP_SCHEMA = `
  CREATE TYPE "BookVisibility" AS ENUM ('PRIVATE', 'PUBLIC', 'FRIENDS', 'UNLISTED');
  CREATE TYPE "ReadingListVisibility" AS ENUM ('PRIVATE', 'PUBLIC', 'FRIENDS', 'UNLISTED');
  CREATE TYPE "ReadingListType" AS ENUM ('STANDARD', 'FAVORITES_YEAR', 'FAVORITES_ALL');
  CREATE TABLE "User" (
    "id" SERIAL PRIMARY KEY, "clerkId" TEXT NOT NULL, "email" TEXT NOT NULL, "name" TEXT,
    "profileImageUrl" TEXT, "githubUrl" TEXT, "instagramUrl" TEXT, "linkedinUrl" TEXT,
    "letterboxdUrl" TEXT, "spotifyUrl" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL);
  CREATE UNIQUE INDEX "User_clerkId_key" ON "User"("clerkId");
  CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
  CREATE TABLE "Book" (
    "id" SERIAL PRIMARY KEY, "ownerId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
    "isbn10" VARCHAR(10) NOT NULL, "isbn13" VARCHAR(13) NOT NULL, "title" TEXT NOT NULL,
    "subjects" TEXT[], "visibility" "BookVisibility" NOT NULL DEFAULT 'PUBLIC', "readDate" TIMESTAMP(3));
  CREATE UNIQUE INDEX "Book_isbn13_key" ON "Book"("isbn13");
  CREATE TABLE "ReadingList" (
    "id" SERIAL PRIMARY KEY, "ownerId" INTEGER NOT NULL REFERENCES "User"("id") ON DELETE CASCADE,
    "title" TEXT NOT NULL, "description" TEXT,
    "visibility" "ReadingListVisibility" NOT NULL DEFAULT 'PRIVATE',
    "type" "ReadingListType" NOT NULL DEFAULT 'STANDARD', "year" TEXT, "coverImage" TEXT);
  CREATE TABLE "BookInReadingList" (
    "id" SERIAL PRIMARY KEY, "bookId" INTEGER NOT NULL REFERENCES "Book"("id") ON DELETE CASCADE,
    "readingListId" INTEGER NOT NULL REFERENCES "ReadingList"("id") ON DELETE CASCADE,
    "position" INTEGER NOT NULL DEFAULT 0, "notes" TEXT,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
  CREATE UNIQUE INDEX "BookInReadingList_bookId_readingListId_key" ON "BookInReadingList"("bookId", "readingListId");
  CREATE TABLE "AppSettings" (
    "id" INTEGER NOT NULL DEFAULT 1 PRIMARY KEY, "defaultUserClerkId" TEXT, "updatedAt" TIMESTAMP(3) NOT NULL);
  CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY, "migration_name" VARCHAR(255) NOT NULL);
`;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  await db.withClient((client) => client.query(APP_SCHEMA));
});
afterAll(async () => {
  await db?.drop();
});

async function describeDatabase(client: pg.Client) {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  try {
    const config = presetProjectConfig();
    const { description } = await introspectSchema(client, {
      schema: config.schema,
      exclude: config.tables.exclude,
    });
    return description;
  } finally {
    await client.query("ROLLBACK");
  }
}

describe("the built-in configuration on the book app's real catalog", () => {
  it("names only tables and columns that exist, and leaves no column uncovered", async () => {
    const description = await db.withClient(describeDatabase);
    expect(description.tables.map((t) => t.name).sort()).toEqual(
      ["AppSettings", "Book", "BookInReadingList", "ReadingList", "User"].sort(),
    );
    const config = presetProjectConfig();
    expect(checkConfigAgainstSchema(config, description)).toEqual({ errors: [], unused: [] });
    const plan = planRedaction(description, config.redaction);
    expect(plan.problems).toEqual([]);
    expect(plan.uncovered).toEqual([]);
    expect([...plan.tables.keys()].sort()).toEqual(["AppSettings", "User"]);
  });

  it("after the app adds columns, export would replace them and print the rules to add", async () => {
    await db.withClient((client) =>
      client.query(`
        ALTER TABLE "User" ADD COLUMN "bio" TEXT, ADD COLUMN "isPublic" BOOLEAN NOT NULL DEFAULT false,
          ADD COLUMN "websiteUrl" TEXT;
        ALTER TYPE "ReadingListType" ADD VALUE 'WISHLIST';`),
    );
    const description = await db.withClient(describeDatabase);
    const config = presetProjectConfig();
    expect(checkConfigAgainstSchema(config, description).errors).toEqual([]);
    const plan = planRedaction(description, config.redaction);
    expect(plan.uncovered.map((u) => [u.column, u.replacement, u.suggestedKind])).toEqual([
      ["bio", "null", "freeText"],
      ["isPublic", "false", "keep"],
      ["websiteUrl", "null", "url"],
    ]);
    expect(formatSuggestedRules(plan.uncovered, config.origin).slice(1)).toEqual([
      '  "redaction": {',
      '    "User": {',
      '      "bio": "freeText",',
      '      "isPublic": "keep",',
      '      "websiteUrl": "url"',
      "    }",
      "  }",
    ]);
    const user = description.tables.find((t) => t.name === "User");
    if (!user) throw new Error("User");
    const names = user.columns.map((c) => c.name);
    const row = names.map(
      (name) =>
        ({
          id: 1,
          clerkId: "user_2x",
          email: "a@b.org",
          bio: "Lives in Leeds",
          isPublic: true,
          websiteUrl: "https://a.org",
        })[name] ?? null,
    );
    const out = createRowRedactor(user, config.redaction, "k", description)?.(row) ?? [];
    expect(out[names.indexOf("bio")]).toBeNull();
    expect(out[names.indexOf("isPublic")]).toBe(false);
    expect(out[names.indexOf("websiteUrl")]).toBeNull();
    expect(out[names.indexOf("email")]).toMatch(/@example\.invalid$/);
  });
});
