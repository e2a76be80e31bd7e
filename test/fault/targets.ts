import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { generateLibrary, type LibraryShape } from "../../src/dataset/generate.js";
import type { SnapshotWriteOptions } from "../../src/snapshot/snapshot-writer.js";
import { type WrittenSnapshot, writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { runBooksnap } from "../helpers/cli.js";
import {
  adminUrl,
  createTestDatabase,
  databaseUrl,
  type TestDatabase,
  withAdmin,
  withClient,
} from "../helpers/db.js";
import { testDescription } from "../helpers/snapshot.js";
import { FaultProxy } from "./proxy.js";

/**
 * Import targets and snapshots for the fault, corpus and security tests: a prepared development
 * database with one user (cloned from a template, so dozens of fresh targets stay cheap), a
 * content dump that ignores generated ids, and a small snapshot made by the real writer.
 */

export const DEV_USER_EMAIL = "dev@example.com";

/** A migrated database holding one user: what `booksnap prepare` plus a sign-up leaves. */
export async function createPreparedTarget(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await db.withClient((c) =>
    c.query(
      `INSERT INTO "User" ("clerkId", email, name, "createdAt", "updatedAt")
       VALUES ('user_dev', $1, 'Dev', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
      [DEV_USER_EMAIL],
    ),
  );
  return db;
}

/** Fresh copies of one prepared target (CREATE DATABASE … TEMPLATE): ~10x cheaper than migrating each. */
export class TargetFactory {
  private constructor(private readonly template: TestDatabase) {}

  static async create(): Promise<TargetFactory> {
    return new TargetFactory(await createPreparedTarget());
  }

  async clone(): Promise<TestDatabase> {
    const name = `booksnap_t_${randomBytes(6).toString("hex")}`;
    await withAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${this.template.name}`));
    const url = databaseUrl(adminUrl(), name);
    return {
      name,
      url,
      withClient: (fn) => withClient(url, fn),
      drop: () =>
        withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
    };
  }

  drop(): Promise<void> {
    return this.template.drop();
  }
}

/**
 * The database's visible content without generated ids: every row of every application table
 * with its references replaced by natural keys, sorted. Equal dumps = same data, whatever ids the
 * sequences handed out (a crashed run advances them).
 */
export async function contentDump(db: TestDatabase): Promise<Record<string, string[]>> {
  return db.withClient(async (c) => {
    const rows = async (sql: string) =>
      (await c.query(sql)).rows.map((r) =>
        JSON.stringify(r, (_k, v) => (v instanceof Date ? v.toISOString() : v)),
      );
    return {
      User: await rows(`SELECT u.* FROM "User" u ORDER BY email`),
      Book: await rows(
        `SELECT b."isbn13", b."isbn10", b.title, b."titleLong", b.language, b.synopsis, b.image, b."imageOriginal",
                b.publisher, b.edition, b."pageCount", b."datePublished", b.subjects, b.authors, b.binding,
                b.visibility, b."readDate", b."createdAt", b."updatedAt", u.email AS owner
           FROM "Book" b JOIN "User" u ON u.id = b."ownerId" ORDER BY b."isbn13"`,
      ),
      ReadingList: await rows(
        `SELECT l.title, l.description, l.visibility, l.type, l.year, l."coverImage", l."createdAt", l."updatedAt",
                u.email AS owner
           FROM "ReadingList" l JOIN "User" u ON u.id = l."ownerId" ORDER BY l.title, l."createdAt"`,
      ),
      BookInReadingList: await rows(
        `SELECT b."isbn13", l.title AS list, l."createdAt" AS "listCreatedAt", e.position, e.notes, e."addedAt"
           FROM "BookInReadingList" e JOIN "Book" b ON b.id = e."bookId" JOIN "ReadingList" l ON l.id = e."readingListId"
          ORDER BY b."isbn13", l.title, l."createdAt"`,
      ),
    };
  });
}

/** Schemas other than the system ones and public: staging leftovers show up here. */
export async function extraSchemas(db: TestDatabase): Promise<string[]> {
  return db.withClient(async (c) => {
    const { rows } = await c.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace
        WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
    );
    return rows.map((r) => r.nspname);
  });
}

/** Sessions of a booksnap command still connected to the database. */
export async function sessionsOf(db: TestDatabase, applicationName: string): Promise<number[]> {
  return db.withClient(async (c) => {
    const { rows } = await c.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
      [applicationName],
    );
    return rows.map((r) => r.pid);
  });
}

/** Waits (bounded) until no session of `applicationName` is left, e.g. after a SIGKILL. */
export async function waitForNoSessions(db: TestDatabase, applicationName: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await sessionsOf(db, applicationName)).length > 0) {
    if (Date.now() > deadline)
      throw new Error(`${applicationName} sessions still open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A snapshot of a seeded library written by the real snapshot writer (no export needed). */
export async function makeSnapshot(
  dir: string,
  name: string,
  shape: LibraryShape,
  source: { host: string; port: number; database: string } = {
    host: "db.prod.example.com",
    port: 5432,
    database: "books",
  },
  /** Data writer options, e.g. `{ encryption: { passphrase } }`. */
  writer: SnapshotWriteOptions = {},
): Promise<WrittenSnapshot> {
  return writeSnapshot(
    dir,
    name,
    generateLibrary(shape),
    testDescription({
      source: { ...source, tls: "verify-full" },
      redaction: { mode: "pseudonymised", fields: [] },
    }),
    writer,
  );
}

/** `import <snapshot> --to <url> --yes --batch-size 25 …extra`: small batches, so faults land between batches. */
export function importArgs(snapshot: WrittenSnapshot, url: string, extra: string[] = []): string[] {
  return [
    "import",
    join(snapshot.paths.dir, snapshot.paths.name),
    "--to",
    url,
    "--yes",
    "--batch-size",
    "25",
    ...extra,
  ];
}

/**
 * What a fault test file works in: a temporary directory, a factory of prepared targets and every
 * target cloned from it; `dispose` drops them all and removes the directory.
 */
export class FaultWorkspace {
  readonly targets: TestDatabase[] = [];

  private constructor(
    readonly work: string,
    readonly factory: TargetFactory,
  ) {}

  static async create(prefix: string): Promise<FaultWorkspace> {
    const work = await mkdtemp(join(tmpdir(), prefix));
    try {
      return new FaultWorkspace(work, await TargetFactory.create());
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
  }

  /** A fresh prepared target, dropped by `dispose`. */
  async freshTarget(): Promise<TestDatabase> {
    const db = await this.factory.clone();
    this.targets.push(db);
    return db;
  }

  async dispose(): Promise<void> {
    for (const db of this.targets) await db.drop();
    await this.factory.drop();
    await rm(this.work, { recursive: true, force: true });
  }
}

/**
 * A clean import into a fresh target through the fault proxy: the content a faulty import must
 * end with, and how many bytes a clean import sends each way (where to place the faults).
 */
export async function cleanImportThroughProxy(
  workspace: FaultWorkspace,
  args: (url: string) => string[],
): Promise<{ expected: Record<string, string[]>; toServer: number; toClient: number; connections: number }> {
  const reference = await workspace.freshTarget();
  const proxy = await FaultProxy.forUrl(reference.url);
  let bytes: { toServer: number; toClient: number };
  let connections: number;
  try {
    const run = await runBooksnap(args(proxy.url(reference.url)), { cwd: workspace.work });
    expect(run.code, run.stderr).toBe(0);
    bytes = { ...proxy.bytes };
    connections = proxy.connections;
  } finally {
    await proxy.close();
  }
  return { expected: await contentDump(reference), ...bytes, connections };
}

/** What a proxied import fault test file works with; the fields are set in beforeAll. */
export interface ProxiedImportSuite {
  workspace: FaultWorkspace;
  snapshot: WrittenSnapshot;
  /** The content a clean import of the snapshot leaves (contentDump). */
  expected: Record<string, string[]>;
  /** Bytes a clean import sends to the server and to the client: where to place faults. */
  toServer: number;
  toClient: number;
  /** Connections a clean import opens (lock and work session): a reconnect adds exactly one. */
  connections: number;
  /** importArgs for the suite's snapshot, with the suite's extra flags. */
  importArgs(url: string, extra?: string[]): string[];
}

/**
 * Registers the hooks of a fault test file that imports through the proxy: a workspace, a
 * snapshot of `shape`, and a clean reference import through the proxy (cleanImportThroughProxy);
 * the workspace is disposed after the file.
 */
export function useProxiedImportSuite(
  prefix: string,
  shape: LibraryShape,
  extraArgs: readonly string[] = [],
): ProxiedImportSuite {
  const suite = {
    importArgs: (url: string, extra: string[] = []) =>
      importArgs(suite.snapshot, url, [...extraArgs, ...extra]),
  } as ProxiedImportSuite;
  beforeAll(async () => {
    suite.workspace = await FaultWorkspace.create(prefix);
    suite.snapshot = await makeSnapshot(suite.workspace.work, "lib", shape);
    const clean = await cleanImportThroughProxy(suite.workspace, suite.importArgs);
    suite.expected = clean.expected;
    expect(suite.expected.Book).toHaveLength(shape.books);
    suite.toServer = clean.toServer;
    suite.toClient = clean.toClient;
    suite.connections = clean.connections;
  });
  afterAll(() => suite.workspace?.dispose());
  return suite;
}
