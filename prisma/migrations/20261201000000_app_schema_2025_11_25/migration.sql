-- Brings booksnap's database to the book app's current schema (its migrations up to
-- 20251125192739_add_app_settings). The init migration stays as it shipped in booksnap 0.2.0 so
-- that databases it prepared keep a history Prisma continues from.

-- The app keeps the favourites' year as text ("2024"); existing integers convert as written.
ALTER TABLE "ReadingList" ALTER COLUMN "year" SET DATA TYPE TEXT;

-- The app's lookup indexes on reading lists and their entries.
CREATE INDEX "ReadingList_ownerId_idx" ON "ReadingList"("ownerId");
CREATE INDEX "ReadingList_visibility_idx" ON "ReadingList"("visibility");
CREATE INDEX "ReadingList_type_idx" ON "ReadingList"("type");
CREATE INDEX "ReadingList_type_year_idx" ON "ReadingList"("type", "year");
CREATE INDEX "BookInReadingList_readingListId_position_idx" ON "BookInReadingList"("readingListId", "position");
CREATE INDEX "BookInReadingList_bookId_idx" ON "BookInReadingList"("bookId");

-- The app's settings: a single row with id 1 (a default, no sequence).
CREATE TABLE "AppSettings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "defaultUserClerkId" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AppSettings_pkey" PRIMARY KEY ("id")
);
