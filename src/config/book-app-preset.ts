import type { ConfigFile } from "./config-file-schema.js";

/**
 * The book app's configuration (moonejon/penumbra, schema as of its migration
 * 20251125192739_add_app_settings), written in the config file's own language so the built-in
 * default and `"extends": "book-app"` are the same thing as a file a user could write.
 */
export const BOOK_APP_PRESET: ConfigFile = {
  owners: {
    table: "User",
    emailColumn: "email",
    idColumn: "id",
    // An entry belongs to the list it is in, not to the owner of the book it names.
    belongsThrough: { BookInReadingList: ["readingListId"] },
  },
  redaction: {
    User: {
      id: "keep",
      clerkId: "opaqueId",
      email: "email",
      name: "name",
      profileImageUrl: "url",
      githubUrl: "url",
      instagramUrl: "url",
      linkedinUrl: "url",
      letterboxdUrl: "url",
      spotifyUrl: "url",
      createdAt: "keep",
      updatedAt: "keep",
    },
    // The admin's choice of the home page's user, by Clerk id (no foreign key): it keeps
    // pointing at the same (pseudonymous) user.
    AppSettings: {
      id: "keep",
      defaultUserClerkId: { kind: "opaqueId", sameAs: "User.clerkId" },
      updatedAt: "keep",
    },
  },
  identity: {
    Book: ["isbn13"],
    ReadingList: ["ownerId", "title", "type", "year"],
    BookInReadingList: ["bookId", "readingListId"],
  },
  // Enforced by the app in code (it reads them with findFirst), not by a constraint.
  perOwnerRules: [
    {
      name: "one FAVORITES_ALL reading list per owner",
      table: "ReadingList",
      owner: "ownerId",
      where: { type: "FAVORITES_ALL" },
      uniqueBy: [],
      renumber: { table: "BookInReadingList", parent: "readingListId", column: "position", step: 100 },
    },
    {
      name: "one FAVORITES_YEAR reading list per owner and year",
      table: "ReadingList",
      owner: "ownerId",
      where: { type: "FAVORITES_YEAR" },
      uniqueBy: ["year"],
      renumber: { table: "BookInReadingList", parent: "readingListId", column: "position", step: 100 },
    },
  ],
};
