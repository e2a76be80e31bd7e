import { PrismaPg } from "@prisma/adapter-pg";
import { generateLibrary, type LibraryShape } from "../src/dataset/generate.js";
import { PrismaClient } from "../src/generated/prisma/client.js";
import type { OutgoingRecord } from "../src/snapshot/snapshot-writer.js";

/** The batch size the old review proposed (sync-script-review.md, "Batched Transaction Processing"). */
export const CREATE_MANY_BATCH = 100;

export interface CreateManyResult {
  /** Rows written (books, reading lists, list entries). */
  rows: number;
  ms: number;
}

/**
 * The design the old review proposed, as a reference: the rows in memory, then
 * `prisma.$transaction(async (tx) => tx.<model>.createMany({ data: batch }))` per 100 rows
 * (maxWait 10 s, timeout 30 s, as in the review), through the generated Prisma client and the
 * pg driver adapter. Records are generated before the clock starts; only the writes are timed.
 * Ids are kept and every book and list belongs to the dev user, as in the COPY baseline.
 */
export async function createManyReference(
  devUrl: string,
  devUserId: number,
  shape: LibraryShape,
): Promise<CreateManyResult> {
  const books: Array<Record<string, unknown>> = [];
  const lists: Array<Record<string, unknown>> = [];
  const entries: Array<Record<string, unknown>> = [];
  for await (const item of generateLibrary(shape) as AsyncIterable<OutgoingRecord>) {
    if (item.model === "Book") books.push({ ...item.record, ownerId: devUserId });
    else if (item.model === "ReadingList") {
      // The generator speaks format 1 (year int); the app's column is text.
      const year = item.record.year === null ? null : String(item.record.year);
      lists.push({ ...item.record, year, ownerId: devUserId });
    } else if (item.model === "BookInReadingList") entries.push({ ...item.record });
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: devUrl }) });
  try {
    await prisma.$connect();
    const options = { maxWait: 10_000, timeout: 30_000 };
    const started = process.hrtime.bigint();
    for (let i = 0; i < books.length; i += CREATE_MANY_BATCH) {
      const data = books.slice(i, i + CREATE_MANY_BATCH) as never;
      await prisma.$transaction(async (tx) => tx.book.createMany({ data }), options);
    }
    for (let i = 0; i < lists.length; i += CREATE_MANY_BATCH) {
      const data = lists.slice(i, i + CREATE_MANY_BATCH) as never;
      await prisma.$transaction(async (tx) => tx.readingList.createMany({ data }), options);
    }
    for (let i = 0; i < entries.length; i += CREATE_MANY_BATCH) {
      const data = entries.slice(i, i + CREATE_MANY_BATCH) as never;
      await prisma.$transaction(async (tx) => tx.bookInReadingList.createMany({ data }), options);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { rows: books.length + lists.length + entries.length, ms };
  } finally {
    await prisma.$disconnect();
  }
}
