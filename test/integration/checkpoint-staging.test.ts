import { describe, expect, it } from "vitest";
import { BooksnapError } from "../../src/errors.js";
import {
  acquireImportLock,
  CHECKPOINT_TABLE,
  createStaging,
  dropStaging,
  readCheckpoint,
  STAGING_SCHEMA,
} from "../../src/import/staging.js";
import { beginStaging, leftoverToResume, type StagingIdentity } from "../../src/import/staging-phase.js";
import { buildImportPlan } from "../../src/import/table-plan.js";
import { FORMAT1_DESCRIPTION } from "../../src/snapshot/format1.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

/** The staging layout of a format-1 snapshot imported into a schema like its own. */
const FORMAT1_PLAN = buildImportPlan({
  snapshot: FORMAT1_DESCRIPTION,
  target: FORMAT1_DESCRIPTION,
  owners: { table: "User", emailColumn: "email", idColumn: "id" },
  ownerMode: "collapse",
  identity: {},
  dropped: {},
  skippedTables: [],
});

/**
 * The staging checkpoint in a real database: written at the start, read back for --resume,
 * cleared when it can no longer be trusted, and guarded by the import lock. Written against
 * mutants that survived the resume tests (docs/security.md, "Mutation testing").
 */
const identity: StagingIdentity = {
  snapshotSha256: "c".repeat(64),
  snapshotName: "lib",
  mode: "merge",
  userRef: "create:dev@example.com",
};
const startedAt = new Date("2026-12-01T08:00:00.000Z");

async function withDatabase(fn: (db: TestDatabase) => Promise<void>): Promise<void> {
  const db = await createTestDatabase({ migrate: false });
  try {
    await fn(db);
  } finally {
    await db.drop();
  }
}

const schemaExists = (db: TestDatabase) =>
  db.withClient(
    async (c) =>
      (await c.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [STAGING_SCHEMA])).rowCount === 1,
  );

async function refusal(check: Promise<unknown>): Promise<BooksnapError> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BooksnapError);
  return error as BooksnapError;
}

describe("staging checkpoint", () => {
  it("reads back what a new staging area recorded, and reads nothing once dropped", async () => {
    await withDatabase((db) =>
      db.withClient(async (client) => {
        expect(await readCheckpoint(client)).toBeUndefined();
        const begun = await beginStaging(client, undefined, identity, startedAt, FORMAT1_PLAN);
        const expected = {
          ...identity,
          counts: {},
          startedAt: startedAt.toISOString(),
          lastLine: 0,
          batches: 0,
          finished: false,
        };
        expect(begun).toEqual(expected);
        expect(await readCheckpoint(client)).toEqual(expected);
        await client.query(
          `UPDATE ${CHECKPOINT_TABLE} SET last_line = 40, batches = 2, counts = '{"Book": 39, "rejected:Book": 1}'`,
        );
        expect(await readCheckpoint(client)).toEqual({
          ...expected,
          lastLine: 40,
          batches: 2,
          counts: { Book: 39, "rejected:Book": 1 },
        });
        await dropStaging(client);
        expect(await readCheckpoint(client)).toBeUndefined();
      }),
    );
  });

  it("a second staging area replaces the first", async () => {
    await withDatabase((db) =>
      db.withClient(async (client) => {
        await createStaging(
          client,
          { ...identity, counts: {}, startedAt: startedAt.toISOString() },
          FORMAT1_PLAN,
        );
        await client.query(`UPDATE ${CHECKPOINT_TABLE} SET last_line = 40`);
        await createStaging(
          client,
          {
            ...identity,
            snapshotName: "other",
            counts: { Book: 1 },
            startedAt: startedAt.toISOString(),
          },
          FORMAT1_PLAN,
        );
        const checkpoint = await readCheckpoint(client);
        expect(checkpoint).toMatchObject({ snapshotName: "other", lastLine: 0, counts: { Book: 1 } });
      }),
    );
  });

  it("a resumed checkpoint is staged from as it is, without a new staging area", async () => {
    await withDatabase((db) =>
      db.withClient(async (client) => {
        await createStaging(
          client,
          { ...identity, counts: {}, startedAt: startedAt.toISOString() },
          FORMAT1_PLAN,
        );
        await client.query(`UPDATE ${CHECKPOINT_TABLE} SET last_line = 40`);
        const resumed = await readCheckpoint(client);
        expect(resumed).toBeDefined();
        expect(await beginStaging(client, resumed, identity, new Date(), FORMAT1_PLAN)).toBe(resumed);
        expect((await readCheckpoint(client))?.lastLine).toBe(40);
      }),
    );
  });

  it("drops a staging schema whose checkpoint table is gone, or empty after a server crash", async () => {
    await withDatabase((db) =>
      db.withClient(async (client) => {
        await createStaging(
          client,
          { ...identity, counts: {}, startedAt: startedAt.toISOString() },
          FORMAT1_PLAN,
        );
        await client.query(`DELETE FROM ${CHECKPOINT_TABLE}`);
        expect(await readCheckpoint(client)).toBeUndefined();
        expect(await schemaExists(db)).toBe(false);

        await createStaging(
          client,
          { ...identity, counts: {}, startedAt: startedAt.toISOString() },
          FORMAT1_PLAN,
        );
        await client.query(`DROP TABLE ${CHECKPOINT_TABLE}`);
        expect(await readCheckpoint(client)).toBeUndefined();
        expect(await schemaExists(db)).toBe(false);
      }),
    );
  });

  it("the import lock admits one session at a time (exit 8), and is free again after it ends", async () => {
    await withDatabase(async (db) => {
      await db.withClient(async (first) => {
        await acquireImportLock(first);
        const error = await refusal(db.withClient((second) => acquireImportLock(second)));
        expect(error.code).toBe("E_IMPORT_LOCKED");
        expect(error.exitCode).toBe(8);
      });
      await db.withClient((third) => acquireImportLock(third));
    });
  });
});

describe("leftover staging", () => {
  async function staged(db: TestDatabase, lastLine: number, finished = false): Promise<void> {
    await db.withClient(async (client) => {
      await createStaging(
        client,
        { ...identity, counts: {}, startedAt: startedAt.toISOString() },
        FORMAT1_PLAN,
      );
      await client.query(`UPDATE ${CHECKPOINT_TABLE} SET last_line = $1, finished = $2`, [
        lastLine,
        finished,
      ]);
    });
  }

  it("there is nothing to resume in a database without staging", async () => {
    await withDatabase((db) =>
      db.withClient(async (client) => {
        expect(await leftoverToResume(client, identity, true, undefined)).toBeUndefined();
      }),
    );
  });

  it("a finished import's staging is dropped, not resumed", async () => {
    await withDatabase(async (db) => {
      await staged(db, 85, true);
      await db.withClient(async (client) => {
        expect(await leftoverToResume(client, identity, true, undefined)).toBeUndefined();
      });
      expect(await schemaExists(db)).toBe(false);
    });
  });

  it("an interrupted import blocks a new one without --resume (exit 8) and stays staged", async () => {
    await withDatabase(async (db) => {
      await staged(db, 40);
      const error = await refusal(
        db.withClient((client) => leftoverToResume(client, identity, false, undefined)),
      );
      expect(error.code).toBe("E_STAGING_LEFTOVER");
      expect(error.exitCode).toBe(8);
      expect(error.message).toBe("An interrupted import of lib (line 40) is still staged in the target");
      expect(error.details).toEqual({ snapshot: "lib", lastLine: 40 });
      expect(error.hint).toContain("--resume");
      expect(await schemaExists(db)).toBe(true);
    });
  });

  it("on a terminal, the person is asked; no keeps it staged, yes resumes", async () => {
    await withDatabase(async (db) => {
      await staged(db, 40);
      const questions: string[] = [];
      const answer = (yes: boolean) => async (question: string) => {
        questions.push(question);
        return yes;
      };
      const declined = await refusal(
        db.withClient((c) => leftoverToResume(c, identity, false, answer(false))),
      );
      expect(declined.code).toBe("E_STAGING_LEFTOVER");
      const resumed = await db.withClient((c) => leftoverToResume(c, identity, false, answer(true)));
      expect(resumed).toMatchObject({ lastLine: 40, snapshotName: "lib" });
      expect(questions).toEqual([
        "An interrupted import of lib stopped after line 40. Resume it?",
        "An interrupted import of lib stopped after line 40. Resume it?",
      ]);
    });
  });

  it("--resume continues the same import and refuses a different one (exit 8), keeping it staged", async () => {
    await withDatabase(async (db) => {
      await staged(db, 40);
      const resumed = await db.withClient((c) => leftoverToResume(c, identity, true, undefined));
      expect(resumed).toMatchObject({ lastLine: 40 });
      const error = await refusal(
        db.withClient((c) => leftoverToResume(c, { ...identity, mode: "replace" }, true, undefined)),
      );
      expect(error.code).toBe("E_RESUME_MISMATCH");
      expect(await schemaExists(db)).toBe(true);
    });
  });
});
