import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importSnapshot } from "../../src/import/import.js";
import {
  actualLibrary,
  addBook,
  addUser,
  collect,
  expectedLibrary,
  importDeps,
  importInto,
  makeSnapshot,
  runImportCli,
  stagingExists,
  tableCounts,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

describe("import modes and the dev user", () => {
  it("replace makes the dev user's library exactly the snapshot's and leaves other users alone", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 2, books: 30, seed: 3 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    const { devId, otherId } = await db.withClient(async (c) => {
      const devId = await addUser(c, "dev@example.com");
      const otherId = await addUser(c, "other@example.com");
      await addBook(c, devId, "9990000000001", "Old dev book");
      await addBook(c, otherId, "9990000000002", "Other's book");
      return { devId, otherId };
    });
    // Non-TTY without --yes and existing data: refused, nothing changed (exit 2).
    const refused = await importInto(
      paths.manifestPath,
      db.url,
      "--user",
      "dev@example.com",
      "--log-dir",
      join(dir, "logs"),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("E_CONFIRM_REQUIRED");
    const run = await importInto(
      paths.dataPath,
      db.url,
      "--user",
      String(devId),
      "--yes",
      "--json",
      "--log-dir",
      join(dir, "logs"),
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = run.json();
    expect(summary.deleted).toEqual({ Book: 1, ReadingList: 0, BookInReadingList: 0 });
    const audit = (await readFile(join(dir, "logs", "audit.ndjson"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(audit.at(-1)).toMatchObject({ command: "import", status: "ok", snapshot: paths.dataPath });
    expect(JSON.stringify(audit)).toContain("E_CONFIRM_REQUIRED");
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
    const other = await db.withClient((c) =>
      c.query(`SELECT title FROM "Book" WHERE "ownerId" = $1`, [otherId]),
    );
    expect(other.rows).toEqual([{ title: "Other's book" }]);
    // Replacing again with the same snapshot gives the same content, no duplicates.
    await importSnapshot(
      {
        snapshot: `${paths.dir}/lib`,
        targetUrl: db.url,
        user: "dev@example.com",
        yes: true,
      },
      importDeps(),
    );
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
  });

  it("merge keeps existing books, skips snapshot books whose isbn13 exists, and repoints entries", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 10, listsPerUser: 1, entriesPerList: 10, seed: 5 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    const firstIsbn = (records.find((r) => r.model === "Book")?.record.isbn13 as string) ?? "";
    const secondIsbn = records.filter((r) => r.model === "Book")[1]?.record.isbn13 as string;
    const { devId, existingId } = await db.withClient(async (c) => {
      const devId = await addUser(c, "dev@example.com");
      const otherId = await addUser(c, "other@example.com");
      const existingId = await addBook(c, devId, firstIsbn, "My copy");
      await addBook(c, otherId, secondIsbn, "Their copy");
      return { devId, existingId };
    });
    const summary = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, user: "dev@example.com", mode: "merge" },
      importDeps(),
    );
    expect(summary.models.Book).toMatchObject({ imported: 8, skipped: 2, rejected: 0 });
    // The entry of the book owned by another user is skipped; the one of the dev user's own copy is kept.
    expect(summary.models.BookInReadingList).toMatchObject({ imported: 9, skipped: 1 });
    expect(summary.verification.Book?.comparedWith).toBe("staged");
    await db.withClient(async (c) => {
      const mine = await c.query(`SELECT title FROM "Book" WHERE id = $1`, [existingId]);
      expect(mine.rows[0]?.title).toBe("My copy");
      const entry = await c.query(`SELECT count(*)::int AS n FROM "BookInReadingList" WHERE "bookId" = $1`, [
        existingId,
      ]);
      expect(entry.rows[0]?.n).toBe(1);
      expect(
        (await c.query(`SELECT count(*)::int AS n FROM "Book" WHERE "ownerId" = $1`, [devId])).rows[0]?.n,
      ).toBe(9);
    });
    // Merging the same snapshot again adds nothing: books by isbn13, the list by (title, type, year), entries by pair.
    const again = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, user: "dev@example.com", mode: "merge" },
      importDeps(),
    );
    expect(again.models.Book?.imported).toBe(0);
    expect(again.models.ReadingList).toMatchObject({ imported: 0, skipped: 1 });
    expect(again.models.BookInReadingList?.imported).toBe(0);
  });

  it("chooses the dev user: the only one, several → error listing them, --create-user, empty table → hint", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 2, books: 6, seed: 9 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    const empty = await importInto(paths.manifestPath, db.url);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("E_NO_USERS");
    expect(empty.stderr).toContain("--create-user");
    const created = await importInto(paths.manifestPath, db.url, "--create-user", "me@dev.local", "--json");
    expect(created.code, created.stderr).toBe(0);
    const user = created.json().user as { id: number; created: boolean };
    expect(user.created).toBe(true);
    expect(await db.withClient((c) => actualLibrary(c, user.id))).toEqual(expectedLibrary(records));
    // Only user → used without a flag (replace needs --yes now that it has data).
    const only = await importInto(paths.manifestPath, db.url, "--yes", "--json");
    expect(only.code, only.stderr).toBe(0);
    expect((only.json().user as { id: number }).id).toBe(user.id);
    await db.withClient((c) => addUser(c, "second@dev.local"));
    const several = await importInto(paths.manifestPath, db.url, "--yes");
    expect(several.code).toBe(2);
    expect(several.stderr).toContain("E_USER_AMBIGUOUS");
    expect(several.stderr).toContain("me@dev.local");
    expect(several.stderr).toContain("second@dev.local");
    // On a TTY the CLI asks; the core takes the answer through deps.chooseUser.
    const chosen = await importSnapshot(
      // merge: the first user already owns these isbn13s, so a replace would reject them all.
      { snapshot: paths.manifestPath, targetUrl: db.url, mode: "merge" },
      {
        ...importDeps(),
        chooseUser: async (users) =>
          users.find((u) => u.email === "second@dev.local") ?? { id: 0, email: "none" },
      },
    );
    expect(chosen.user?.email).toBe("second@dev.local");
    expect(chosen.models.Book?.skipped).toBe(6);
    const unknown = await importInto(paths.manifestPath, db.url, "--user", "nobody@x");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("E_USER_NOT_FOUND");
  });

  it("dry run reports what would happen and changes nothing; the target guard refuses source and remote hosts", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 2, books: 20, seed: 11 });
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient(async (c) => {
      const dev = await addUser(c, "dev@example.com");
      await addBook(c, dev, "9990000000001");
    });
    const before = await db.withClient(tableCounts);
    // The target comes from DEWEY_DB_DATABASE_URL by default (here via --env-file).
    const envFile = join(dir, ".env");
    await writeFile(envFile, `DEWEY_DB_DATABASE_URL=${db.url}\n`);
    const dry = await runImportCli([
      "import",
      paths.manifestPath,
      "--env-file",
      envFile,
      "--dry-run",
      "--json",
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const summary = dry.json();
    expect(summary.dryRun).toBe(true);
    expect((summary.models as Record<string, { imported: number }>).Book?.imported).toBe(20);
    expect(summary.deleted).toMatchObject({ Book: 1 });
    expect(await db.withClient(tableCounts)).toEqual(before);
    expect(await stagingExists(db)).toBe(false);

    const source = await importInto(paths.manifestPath, "postgresql://u@prod-db.example.com:5432/books");
    expect(source.code).toBe(2);
    expect(source.stderr).toContain("E_TARGET_REFUSED");
    expect(source.stderr).toContain("source database");
    const remote = await importInto(paths.manifestPath, "postgresql://u@db.example.org:5432/dev");
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain("--allow-remote-target");
    // A snapshot taken from this very database (localhost and 127.0.0.1 are the same machine) is refused too.
    const target = new URL(db.url);
    const own = await makeSnapshot(dir, "own", records, {
      source: { host: "localhost", port: Number(target.port || 5432), database: db.name },
    });
    const loopback = db.url.replace(`@${target.hostname}:`, "@127.0.0.1:");
    const self = await importInto(own.paths.manifestPath, loopback, "--allow-remote-target");
    expect(self.code).toBe(2);
    expect(self.stderr).toContain("source database");
  });
});
