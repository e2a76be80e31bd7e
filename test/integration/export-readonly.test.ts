import { describe, expect, it } from "vitest";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { connect, disconnect } from "../../src/db/connect.js";
import { exportConnectionSettings, exportSnapshot } from "../../src/export/export.js";
import { MODEL_NAMES } from "../../src/snapshot/models.js";
import { verifySnapshot } from "../../src/verify/verify.js";
import { readRecords, testConnection, useLoadedSource } from "../helpers/export.js";

describe("export is read-only in layers and reads one point in time", () => {
  const source = useLoadedSource({ users: 3, books: 30 }, "booksnap-ro-");

  it("opens its session with default_transaction_read_only=on as booksnap-export, and PostgreSQL refuses writes (25006)", async () => {
    const client = await connect(exportConnectionSettings(testConnection(source.db.url)));
    try {
      const settings = await client.query(
        "SELECT current_setting('default_transaction_read_only') AS ro, current_setting('application_name') AS app",
      );
      expect(settings.rows[0]).toEqual({ ro: "on", app: "booksnap-export" });
      await expect(
        client.query(`UPDATE "Book" SET title = 'overwritten' WHERE id = 1`),
      ).rejects.toMatchObject({ code: "25006" });
      await expect(client.query(`DELETE FROM "BookInReadingList"`)).rejects.toMatchObject({ code: "25006" });
    } finally {
      await disconnect(client);
    }
    const title = await source.db.withClient((c) => c.query(`SELECT title FROM "Book" WHERE id = 1`));
    expect(title.rows[0].title).not.toBe("overwritten");
  });

  it("stays read-only when the URL tries to override the session settings", async () => {
    const url = new URL(source.db.url);
    url.searchParams.set("options", "-c default_transaction_read_only=off");
    url.searchParams.set("application_name", "not-booksnap");
    const client = await connect(exportConnectionSettings(testConnection(url.toString())));
    try {
      const settings = await client.query(
        "SELECT current_setting('default_transaction_read_only') AS ro, current_setting('application_name') AS app",
      );
      expect(settings.rows[0]).toEqual({ ro: "on", app: "booksnap-export" });
      await expect(client.query(`DELETE FROM "BookInReadingList"`)).rejects.toMatchObject({ code: "25006" });
    } finally {
      await disconnect(client);
    }
  });

  it("does not see rows another session commits while it runs (REPEATABLE READ READ ONLY snapshot)", async () => {
    let inserted = false;
    const result = await exportSnapshot(
      {
        connection: testConnection(source.db.url),
        outDir: source.work,
        name: "during-writes",
        config: presetProjectConfig(),
        redactionKey: null,
        fetchRows: 5,
      },
      {
        now: () => new Date(),
        onProgress: async ({ label }) => {
          // Pause the export while it reads User (before Book, ReadingList, entries) and commit
          // rows into every later model from another connection.
          if (label !== "User" || inserted) return;
          inserted = true;
          await source.db.withClient(async (c) => {
            await c.query(`INSERT INTO "User" (id, "clerkId", email, "createdAt", "updatedAt")
                           VALUES (900, 'user_new', 'new@example.com', now(), now())`);
            await c.query(`INSERT INTO "Book" (id, "ownerId", isbn10, isbn13, title, "titleLong", language, synopsis,
                             image, "imageOriginal", publisher, "pageCount", "datePublished", subjects, authors, binding,
                             "createdAt", "updatedAt")
                           VALUES (900, 1, '0000000900', '9790000000900', 'Inserted later', 'x', 'en', 'x', 'x', 'x',
                             'x', 1, '2020', '{}', '{}', 'x', now(), now())`);
            await c.query(`INSERT INTO "ReadingList" (id, "ownerId", title, "createdAt", "updatedAt")
                           VALUES (900, 1, 'Inserted later', now(), now())`);
            await c.query(`INSERT INTO "BookInReadingList" (id, "bookId", "readingListId", "addedAt")
                           VALUES (900, 900, 900, now())`);
            await c.query(`DELETE FROM "BookInReadingList" WHERE id = 1`);
          });
        },
      },
    );
    expect(inserted).toBe(true);
    expect(result.counts).toEqual({ User: 3, Book: 30, ReadingList: 9, BookInReadingList: 90 });
    const records = await readRecords(result.paths.dataPath);
    const ids = MODEL_NAMES.flatMap((m) => records[m].map((r) => `${m}:${r.id}`));
    expect(ids.filter((id) => id.endsWith(":900"))).toEqual([]);
    // The entry deleted mid-export is still there: it existed when the snapshot was taken.
    expect(ids).toContain("BookInReadingList:1");
    await expect(verifySnapshot(result.paths.manifestPath)).resolves.toMatchObject({ lines: 132 });
  });

  it("leaves no session behind once it is done", async () => {
    const rows = await source.db.withClient((c) =>
      c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'booksnap-export' AND datname = $1`,
        [source.db.name],
      ),
    );
    expect(rows.rows[0].n).toBe(0);
  });
});
