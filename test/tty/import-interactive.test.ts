import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { loadLibrary } from "../../src/dataset/load.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { testDescription } from "../helpers/snapshot.js";
import { TmuxTerminal } from "./tmux.js";

/**
 * The interactive paths of `booksnap import`, driven through a real pseudo-terminal (tmux):
 * choosing the dev user, confirming a replace, and Ctrl-C followed by a resume.
 */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(books: number): Promise<{ db: TestDatabase; snapshot: string; cwd: string }> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const cwd = await mkdtemp(join(tmpdir(), "booksnap-tty-"));
  cleanups.push(() => rm(cwd, { recursive: true, force: true }));
  const { paths } = await writeSnapshot(
    cwd,
    "lib",
    generateLibrary({ users: 2, books, seed: 5 }),
    testDescription({
      source: { host: "db.internal", database: "books" },
      redaction: { mode: "pseudonymised", fields: [] },
    }),
  );
  return { db, snapshot: paths.manifestPath, cwd };
}

async function terminal(args: string[], cwd: string): Promise<TmuxTerminal> {
  const term = await TmuxTerminal.start(args, { cwd });
  cleanups.push(() => term.close());
  return term;
}

const addUser = (client: pg.Client, email: string) =>
  client
    .query<{ id: number }>(
      `INSERT INTO "User" ("clerkId", email, "updatedAt") VALUES ($1, $1, now()) RETURNING id`,
      [email],
    )
    .then((r) => r.rows[0]?.id as number);

const booksOf = (client: pg.Client, ownerId: number) =>
  client
    .query<{ n: number }>(`SELECT count(*)::int AS n FROM "Book" WHERE "ownerId" = $1`, [ownerId])
    .then((r) => r.rows[0]?.n);

describe("import in a terminal", () => {
  it("asks which user gets the books when the target has several, and imports for the one picked", async () => {
    const { db, snapshot, cwd } = await setup(40);
    const [first, second] = await db.withClient(async (c) => [
      await addUser(c, "first@example.com"),
      await addUser(c, "second@example.com"),
    ]);
    const term = await terminal(["import", snapshot, "--to", db.url], cwd);
    const screen = await term.waitFor("Who gets the imported books? number:");
    expect(screen).toMatch(/1\) first@example\.com \(id \d+\)/);
    expect(screen).toMatch(/2\) second@example\.com \(id \d+\)/);
    await term.answer("2");
    expect(await term.exitCode()).toBe(0);
    expect(await term.screen()).toMatch(/imported into .* for second@example\.com/);
    await db.withClient(async (c) => {
      expect(await booksOf(c, second as number)).toBe(40);
      expect(await booksOf(c, first as number)).toBe(0);
    });
  });

  it("asks before replacing the dev user's books: 'n' changes nothing (exit 2), 'y' replaces them", async () => {
    const { db, snapshot, cwd } = await setup(25);
    // The dev database already has reader1@example.com with 4 books and 3 reading lists.
    await db.withClient((c) => loadLibrary(c, generateLibrary({ users: 1, books: 4, seed: 9 })));
    const before = await db.withClient((c) => c.query(`SELECT id, title FROM "Book" ORDER BY id`));

    const refused = await terminal(["import", snapshot, "--to", db.url], cwd);
    await refused.waitFor("3 ReadingList row(s), 4 Book row(s) with the snapshot's? [y/N]");
    await refused.answer("n");
    expect(await refused.exitCode()).toBe(2);
    expect(await refused.screen()).toContain("Import cancelled; nothing was changed");
    const after = await db.withClient((c) => c.query(`SELECT id, title FROM "Book" ORDER BY id`));
    expect(after.rows).toEqual(before.rows);

    const accepted = await terminal(["import", snapshot, "--to", db.url], cwd);
    await accepted.waitFor("[y/N]");
    await accepted.answer("y");
    expect(await accepted.exitCode()).toBe(0);
    await db.withClient(async (c) => expect(await booksOf(c, 1)).toBe(25));
  });

  it("Ctrl-C stops after the current batch (exit 130) and the next run offers to resume", async () => {
    const books = 1500;
    const { db, snapshot, cwd } = await setup(books);
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    const args = ["import", snapshot, "--to", db.url, "--batch-size", "5", "--lock-timeout", "60000"];
    const term = await terminal(args, cwd);

    // Hold the import at a known point: once it has committed a batch, lock its checkpoint row
    // so the next batch waits; press Ctrl-C while it waits, then let that batch finish.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanups.push(() => client.end());
    const deadline = Date.now() + 30_000;
    let heldAt: number | undefined;
    while (heldAt === undefined) {
      if (Date.now() > deadline) throw new Error(`The import never staged a batch:\n${await term.screen()}`);
      await client.query("BEGIN");
      const row = await client
        .query<{ last_line: number }>("SELECT last_line FROM booksnap_staging.checkpoint FOR UPDATE")
        .then(
          (r) => r.rows[0],
          () => undefined,
        );
      if (row && row.last_line > 0) heldAt = row.last_line;
      else {
        await client.query("ROLLBACK");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    await term.interrupt();
    await term.waitFor("SIGINT received, stopping after the current batch");
    await client.query("COMMIT");
    expect(await term.exitCode()).toBe(130);
    const interrupted = await term.screen();
    expect(interrupted).toContain("E_INTERRUPTED");
    expect(interrupted).toContain("--resume");

    const checkpoint = await client.query<{ last_line: number }>(
      "SELECT last_line FROM booksnap_staging.checkpoint",
    );
    const stoppedAt = checkpoint.rows[0]?.last_line ?? 0;
    expect(stoppedAt).toBeGreaterThan(heldAt);
    expect(stoppedAt).toBeLessThanOrEqual(heldAt + 10);
    expect(await booksOf(client, devId)).toBe(0);

    const resumed = await terminal(["import", snapshot, "--to", db.url, "--batch-size", "200"], cwd);
    await resumed.waitFor(`stopped after line ${stoppedAt}. Resume it? [y/N]`);
    await resumed.answer("y");
    expect(await resumed.exitCode()).toBe(0);
    expect(await booksOf(client, devId)).toBe(books);
  });
});
