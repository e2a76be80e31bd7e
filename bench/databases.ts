import { randomBytes } from "node:crypto";
import { generateLibrary, type LibraryShape } from "../src/dataset/generate.js";
import { loadLibrary } from "../src/dataset/load.js";
import { applyMigrations } from "../src/db/migrate.js";
import { databaseUrl, withClient } from "../src/db/plain-client.js";
import type { ModelName } from "../src/snapshot/models.js";

export { databaseUrl, withClient };

/** A database the bench created and must drop. */
export interface BenchDatabase {
  name: string;
  url: string;
}

/**
 * Creates and drops the bench's databases on one server, remembering every one it created so
 * that `dropAll` leaves the server as it was even after a failure.
 */
export class DatabaseRegistry {
  private readonly live = new Set<string>();
  constructor(private readonly adminUrl: string) {}

  async create(role: string): Promise<BenchDatabase> {
    const name = `booksnap_bench_${role}_${randomBytes(4).toString("hex")}`;
    await withClient(this.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    this.live.add(name);
    return { name, url: databaseUrl(this.adminUrl, name) };
  }

  async drop(db: BenchDatabase): Promise<void> {
    await withClient(this.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`));
    this.live.delete(db.name);
  }

  async dropAll(): Promise<void> {
    for (const name of [...this.live]) await this.drop({ name, url: "" });
  }
}

/** The dataset shape for N books: 100 books per user, 3 reading lists per user, 10 entries per list. */
export function libraryShape(books: number, seed: number): LibraryShape {
  return { users: Math.max(1, Math.ceil(books / 100)), books, listsPerUser: 3, entriesPerList: 10, seed };
}

/** Migrated "prod" database loaded with the seeded library (COPY), analyzed like a live one. */
export async function seedProduction(url: string, shape: LibraryShape): Promise<Record<ModelName, number>> {
  return withClient(url, async (client) => {
    await applyMigrations(client);
    const counts = await loadLibrary(client, generateLibrary(shape));
    await client.query("VACUUM ANALYZE");
    return counts;
  });
}

/** The developer's one user of a fresh dev database. */
export const DEV_USER = {
  clerkId: "user_dev_bench",
  email: "dev@booksnap.local",
  name: "Bench Developer",
};

/** An empty dev database as a new teammate has it: migrations applied, one dev user. Returns its id. */
export async function prepareDevDatabase(url: string): Promise<number> {
  return withClient(url, async (client) => {
    await applyMigrations(client);
    const result = await client.query<{ id: number }>(
      `INSERT INTO "User" ("clerkId", email, name, "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
      [DEV_USER.clerkId, DEV_USER.email, DEV_USER.name],
    );
    return Number(result.rows[0]?.id);
  });
}

/** Row counts of the four tables. */
export async function tableCounts(url: string): Promise<Record<ModelName, number>> {
  return withClient(url, async (client) => {
    const result = await client.query<Record<ModelName, string>>(
      `SELECT (SELECT count(*) FROM "User") AS "User", (SELECT count(*) FROM "Book") AS "Book",
              (SELECT count(*) FROM "ReadingList") AS "ReadingList",
              (SELECT count(*) FROM "BookInReadingList") AS "BookInReadingList"`,
    );
    const row = result.rows[0] as Record<ModelName, string>;
    return {
      User: Number(row.User),
      Book: Number(row.Book),
      ReadingList: Number(row.ReadingList),
      BookInReadingList: Number(row.BookInReadingList),
    };
  });
}
