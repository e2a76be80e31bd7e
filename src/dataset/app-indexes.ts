/**
 * The book app's indexes on its foreign-key columns (the app's prisma schema: ReadingList.ownerId,
 * BookInReadingList (readingListId, position) and bookId; Book.ownerId is already bundled).
 * Until the bundled migration carries them (issue 11 item 7), the subset tests and the bench add
 * them so subset queries are measured the way production runs them. IF NOT EXISTS: harmless after.
 */
export const APP_FOREIGN_KEY_INDEXES = `
CREATE INDEX IF NOT EXISTS "ReadingList_ownerId_idx" ON "ReadingList" ("ownerId");
CREATE INDEX IF NOT EXISTS "BookInReadingList_readingListId_position_idx" ON "BookInReadingList" ("readingListId", position);
CREATE INDEX IF NOT EXISTS "BookInReadingList_bookId_idx" ON "BookInReadingList" ("bookId");
CREATE INDEX IF NOT EXISTS "Book_ownerId_idx" ON "Book" ("ownerId");
`;
