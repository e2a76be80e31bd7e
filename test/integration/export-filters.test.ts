import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { type ExportOptions, exportSnapshot } from "../../src/export/export.js";
import { verifySnapshot } from "../../src/verify/verify.js";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { bookAppConfig, testConnection } from "../helpers/export.js";
import { readManifestV2, readRowsByTable } from "../helpers/format2.js";

type RowsByTable = Awaited<ReturnType<typeof readRowsByTable>>;

/** Rows of an export result, by table. */
async function rowsOf(result: { paths: { manifestPath: string; dataPath: string } }): Promise<RowsByTable> {
  return readRowsByTable(result.paths.dataPath, await readManifestV2(result.paths.manifestPath));
}

const ids = (records: Array<Record<string, unknown>>) => records.map((r) => r.id as number);

describe("export --owner and PII redaction", () => {
  let db: TestDatabase;
  let dir: string;
  const options = (name: string, extra: Partial<ExportOptions>): ExportOptions => ({
    connection: testConnection(db.url),
    outDir: dir,
    name,
    config: bookAppConfig(),
    redactionKey: "test-key",
    ...extra,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    // 4 users with 10 books each (book n belongs to user ((n-1) % 4) + 1), 2 lists each, 5 entries per list.
    await db.withClient(async (c) => {
      await loadLibrary(c, generateLibrary({ users: 4, books: 40, listsPerUser: 2, entriesPerList: 5 }));
      // User 1's first list also holds book 3, which belongs to user 3.
      await c.query(
        `INSERT INTO "BookInReadingList" (id, "bookId", "readingListId", "addedAt") VALUES (1000, 3, 1, now())`,
      );
    });
    dir = await mkdtemp(join(tmpdir(), "booksnap-filter-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("--owner exports that owner's data plus referenced books and their owners, closed under references", async () => {
    const result = await exportSnapshot(options("owner1", { owners: ["Reader1@Example.com"] }), {
      now: () => new Date(),
    });
    const records = (await rowsOf(result)) as Record<string, Array<Record<string, unknown>>> & {
      User: Array<Record<string, unknown>>;
      Book: Array<Record<string, unknown>>;
      ReadingList: Array<Record<string, unknown>>;
      BookInReadingList: Array<Record<string, unknown>>;
    };
    const user1Books = [1, 5, 9, 13, 17, 21, 25, 29, 33, 37];
    expect(ids(records.Book)).toEqual([1, 3, ...user1Books.slice(1)].sort((a, b) => a - b));
    expect(ids(records.User)).toEqual([1, 3]);
    expect(records.ReadingList.every((l) => l.ownerId === 1)).toBe(true);
    expect(ids(records.ReadingList)).toEqual([1, 2]);
    expect(records.BookInReadingList.every((e) => [1, 2].includes(e.readingListId as number))).toBe(true);
    expect(ids(records.BookInReadingList)).toContain(1000);
    expect(records.BookInReadingList).toHaveLength(11);
    expect(result.manifest.filters).toEqual({
      // The pseudonym of the stored address (matched case-insensitively), as in the User row.
      owners: [records.User.find((u) => u.id === 1)?.email],
      where: [],
      // Book 3 (in user 1's list) and its owner, user 3.
      addedByReference: { Book: 1, User: 1 },
    });
    // Every reference resolves inside the snapshot (verify checks them all).
    await expect(verifySnapshot(result.paths.manifestPath)).resolves.toMatchObject({
      lines: 2 + 11 + 2 + 11,
    });
  });

  it("pseudonymises user PII by default, deterministically, and keeps it with --no-redact", async () => {
    const redacted = await exportSnapshot(options("redacted", {}), { now: () => new Date() });
    const again = await exportSnapshot(options("redacted-again", {}), { now: () => new Date() });
    const kept = await exportSnapshot(options("kept", { redactionKey: null }), { now: () => new Date() });
    const r = await rowsOf(redacted);
    const a = await rowsOf(again);
    const k = await rowsOf(kept);
    expect(redacted.manifest.redaction.mode).toBe("pseudonymised");
    expect(redacted.manifest.redaction.rules.map((rule) => `${rule.table}.${rule.column}`)).toEqual(
      expect.arrayContaining(["User.email", "User.clerkId", "User.githubUrl"]),
    );
    expect(kept.manifest.redaction).toEqual({ mode: "none", rules: [], uncovered: [] });
    const user2 = (x: RowsByTable) => x.User?.find((u) => u.id === 2) as Record<string, unknown>;
    expect(user2(k)).toMatchObject({ email: "reader2@example.com", githubUrl: "https://github.com/reader2" });
    expect(user2(r).email).toMatch(/@example\.invalid$/);
    expect(user2(r).githubUrl).toMatch(/^https:\/\/example\.invalid\//);
    expect(JSON.stringify(r.User)).not.toContain("@example.com");
    expect(r.User).toEqual(a.User);
    expect(redacted.manifest.tables.User?.digest).toBe(again.manifest.tables.User?.digest);
    // Only users are touched: books are identical either way.
    expect(redacted.manifest.tables.Book?.digest).toBe(kept.manifest.tables.Book?.digest);
  });

  it("an unknown --owner is a usage error (exit 2) naming it", async () => {
    const run = await runBooksnap(
      ["export", "--owner", "nobody@example.com", "--owner", "2", "--from", db.url],
      {
        cwd: dir,
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("[E_UNKNOWN_OWNER] No such owner: nobody@example.com");
  });

  it("--owner by id through the CLI, --no-redact recorded in the manifest", async () => {
    const run = await runBooksnap(
      ["export", "--owner", "2", "--no-redact", "--name", "owner2", "--json", "--from-env", "SRC"],
      { cwd: dir, env: { SRC: db.url } },
    );
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.counts).toEqual({ User: 1, Book: 10, ReadingList: 2, BookInReadingList: 10 });
    expect(summary.filters).toEqual({ owners: ["2"], where: [], addedByReference: {} });
    expect(summary.redaction.mode).toBe("none");
  });
});
