-- CreateEnum
CREATE TYPE "BookVisibility" AS ENUM ('PRIVATE', 'PUBLIC', 'FRIENDS', 'UNLISTED');

-- CreateEnum
CREATE TYPE "ReadingListVisibility" AS ENUM ('PRIVATE', 'PUBLIC', 'FRIENDS', 'UNLISTED');

-- CreateEnum
CREATE TYPE "ReadingListType" AS ENUM ('STANDARD', 'FAVORITES_YEAR', 'FAVORITES_ALL');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "clerkId" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "profileImageUrl" TEXT,
    "githubUrl" TEXT,
    "instagramUrl" TEXT,
    "linkedinUrl" TEXT,
    "letterboxdUrl" TEXT,
    "spotifyUrl" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Book" (
    "id" SERIAL NOT NULL,
    "ownerId" INTEGER NOT NULL,
    "isbn10" VARCHAR(10) NOT NULL,
    "isbn13" VARCHAR(13) NOT NULL,
    "title" TEXT NOT NULL,
    "titleLong" TEXT NOT NULL,
    "language" TEXT NOT NULL,
    "synopsis" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "imageOriginal" TEXT NOT NULL,
    "publisher" TEXT NOT NULL,
    "edition" TEXT,
    "pageCount" INTEGER NOT NULL,
    "datePublished" TEXT NOT NULL,
    "subjects" TEXT[],
    "authors" TEXT[],
    "binding" TEXT NOT NULL,
    "visibility" "BookVisibility" NOT NULL DEFAULT 'PUBLIC',
    "readDate" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Book_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReadingList" (
    "id" SERIAL NOT NULL,
    "ownerId" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "visibility" "ReadingListVisibility" NOT NULL DEFAULT 'PRIVATE',
    "type" "ReadingListType" NOT NULL DEFAULT 'STANDARD',
    "year" INTEGER,
    "coverImage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReadingList_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BookInReadingList" (
    "id" SERIAL NOT NULL,
    "bookId" INTEGER NOT NULL,
    "readingListId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "notes" TEXT,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BookInReadingList_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_clerkId_key" ON "User"("clerkId");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Book_isbn10_key" ON "Book"("isbn10");

-- CreateIndex
CREATE UNIQUE INDEX "Book_isbn13_key" ON "Book"("isbn13");

-- CreateIndex
CREATE INDEX "Book_ownerId_idx" ON "Book"("ownerId");

-- CreateIndex
CREATE INDEX "Book_visibility_idx" ON "Book"("visibility");

-- CreateIndex
CREATE INDEX "Book_title_idx" ON "Book"("title");

-- CreateIndex
CREATE INDEX "Book_readDate_idx" ON "Book"("readDate");

-- CreateIndex
CREATE INDEX "Book_ownerId_readDate_idx" ON "Book"("ownerId", "readDate");

-- CreateIndex
CREATE UNIQUE INDEX "BookInReadingList_bookId_readingListId_key" ON "BookInReadingList"("bookId", "readingListId");

-- AddForeignKey
ALTER TABLE "Book" ADD CONSTRAINT "Book_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReadingList" ADD CONSTRAINT "ReadingList_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BookInReadingList" ADD CONSTRAINT "BookInReadingList_bookId_fkey" FOREIGN KEY ("bookId") REFERENCES "Book"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BookInReadingList" ADD CONSTRAINT "BookInReadingList_readingListId_fkey" FOREIGN KEY ("readingListId") REFERENCES "ReadingList"("id") ON DELETE CASCADE ON UPDATE CASCADE;
