import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProjectConfig, presetProjectConfig } from "../../src/config/project-config.js";
import { exportSnapshot } from "../../src/export/export.js";
import { importSnapshot } from "../../src/import/import.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { testConnection, useLoadedSource } from "../helpers/export.js";
import { readManifestV2 } from "../helpers/format2.js";
import { actualLibrary, addUser, importDeps, readRejects } from "./import-support.js";

/** Every row of a table as text (PostgreSQL's own output), keys included, in key order. */
async function tableText(client: pg.Client, table: string, orderBy: string): Promise<string[]> {
  const { rows } = await client.query<{ row: string }>(
    `SELECT t::text AS row FROM "${table}" t ORDER BY ${orderBy}`,
  );
  return rows.map((r) => r.row);
}

describe("import of a format-2 snapshot (export → import, exact)", () => {
  const source = useLoadedSource({ users: 2, books: 30, listsPerUser: 2, entriesPerList: 6 }, "booksnap-i2-");

  it("the book app: every owner collapses onto the dev user, every field arrives, verified against the manifest", async () => {
    const exported = await exportSnapshot(
      {
        connection: testConnection(source.db.url),
        outDir: source.work,
        name: "lib",
        config: presetProjectConfig(),
        redactionKey: null,
      },
      { now: () => new Date(), warn: () => {} },
    );
    const manifest = await readManifestV2(exported.paths.manifestPath);
    expect(manifest.formatVersion).toBe(2);
    const target = await createTestDatabase();
    try {
      const devId = await target.withClient((c) => addUser(c, "dev@example.com"));
      const summary = await importSnapshot(
        {
          snapshot: exported.paths.manifestPath,
          targetUrl: target.url,
          user: "dev@example.com",
          yes: true,
          // Without per-owner rules: every owner's favourites lists stay lists of their own, so
          // every table arrives whole (combining them is owner-modes.test.ts's subject).
          projectConfig: { ...presetProjectConfig(), perOwnerRules: [] },
        },
        importDeps(),
      );
      for (const table of ["Book", "ReadingList", "BookInReadingList"]) {
        expect(summary.models[table]?.imported, table).toBe(manifest.tables[table]?.count);
        expect(summary.verification[table], table).toMatchObject({ comparedWith: "manifest" });
      }
      // Same library as the source's, owner by owner merged onto one user (titles, entries, positions…).
      const expected = await source.db.withClient(async (c) => {
        const owners = (await c.query<{ id: number }>(`SELECT id FROM "User" ORDER BY id`)).rows;
        const libraries = await Promise.all(owners.map((o) => actualLibrary(c, o.id)));
        return libraries;
      });
      const actual = await target.withClient((c) => actualLibrary(c, devId));
      const merged = (key: keyof (typeof expected)[number]) =>
        expected
          .flatMap((l) => l[key] as unknown[])
          .map((x) => JSON.stringify(x))
          .sort();
      for (const key of Object.keys(actual) as Array<keyof typeof actual>) {
        expect((actual[key] as unknown[]).map((x) => JSON.stringify(x)).sort(), String(key)).toEqual(
          merged(key),
        );
      }
    } finally {
      await target.drop();
    }
  });
});

/**
 * A small app that has nothing to do with books: a uuid key, a self-referencing foreign key,
 * boolean, numeric, bigint beyond 2^53, jsonb, an enum array, a composite primary key.
 */
const TINY_APP = `
  CREATE TYPE "Mood" AS ENUM ('calm', 'busy');
  CREATE TABLE "Team" (id uuid PRIMARY KEY, name text NOT NULL UNIQUE, budget numeric(12,2), big bigint, active boolean NOT NULL DEFAULT true);
  CREATE TABLE "Task" (id serial PRIMARY KEY, "teamId" uuid NOT NULL REFERENCES "Team"(id) ON DELETE CASCADE,
                       "parentId" integer REFERENCES "Task"(id), title text NOT NULL, meta jsonb, moods "Mood"[], due date);
  CREATE TABLE "Tag" ("taskId" integer NOT NULL REFERENCES "Task"(id) ON DELETE CASCADE, label text NOT NULL,
                      PRIMARY KEY ("taskId", label));
`;

const TINY_ROWS = `
  INSERT INTO "Team" VALUES ('0b7c6a1e-0000-4000-8000-000000000001', 'core', 1234567.89, 9007199254740993, true),
                            ('0b7c6a1e-0000-4000-8000-000000000002', 'ops', NULL, -1, false);
  INSERT INTO "Task" (id, "teamId", "parentId", title, meta, moods, due) VALUES
    (1, '0b7c6a1e-0000-4000-8000-000000000001', NULL, 'root', '{"a": [1, 2.50, null], "b": "é"}', '{calm,busy}', '2024-02-29'),
    (2, '0b7c6a1e-0000-4000-8000-000000000001', 1, 'child', NULL, '{}', NULL),
    (3, '0b7c6a1e-0000-4000-8000-000000000002', 2, 'grandchild in another team', '[]', NULL, '0001-01-01');
  SELECT setval(pg_get_serial_sequence('"Task"', 'id'), 3);
  INSERT INTO "Tag" VALUES (1, 'a'), (1, 'b'), (3, 'z');
`;

const TINY_CONFIG: ProjectConfig = {
  ...presetProjectConfig(),
  owners: null,
  redaction: {},
  identity: {},
  perOwnerRules: [],
};

describe("a second schema, unrelated to books, with only a configuration", () => {
  let sourceDb: TestDatabase;
  let targetDb: TestDatabase;
  let work: string;
  beforeAll(async () => {
    sourceDb = await createTestDatabase({ migrate: false });
    targetDb = await createTestDatabase({ migrate: false });
    await sourceDb.withClient((c) => c.query(TINY_APP + TINY_ROWS));
    // The target's sequence is further on: imported tasks get new ids, references follow them.
    await targetDb.withClient((c) =>
      c.query(`${TINY_APP} SELECT setval(pg_get_serial_sequence('"Task"', 'id'), 100);`),
    );
    work = await mkdtemp(join(tmpdir(), "booksnap-tiny-"));
  });
  afterAll(async () => {
    await sourceDb?.drop();
    await targetDb?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("exports, imports (new serial ids, uuid keys kept, self-references remapped) and verifies exactly", async () => {
    const exported = await exportSnapshot(
      {
        connection: testConnection(sourceDb.url),
        outDir: work,
        name: "tiny",
        config: TINY_CONFIG,
        redactionKey: null,
      },
      { now: () => new Date(), warn: () => {} },
    );
    const summary = await importSnapshot(
      {
        snapshot: exported.paths.manifestPath,
        targetUrl: targetDb.url,
        projectConfig: TINY_CONFIG,
        mode: "merge",
        rejectsPath: join(work, "tiny.rejects.ndjson"),
      },
      importDeps(),
    );
    expect(
      summary.rejected.total,
      JSON.stringify(await readRejects(join(work, "tiny.rejects.ndjson")).catch(() => [])),
    ).toBe(0);
    expect(summary.models.Team).toMatchObject({ imported: 2 });
    expect(summary.models.Task).toMatchObject({ imported: 3 });
    expect(summary.models.Tag).toMatchObject({ imported: 3 });
    const teams = await targetDb.withClient((c) => tableText(c, "Team", "id"));
    expect(teams).toEqual(await sourceDb.withClient((c) => tableText(c, "Team", "id")));
    const tasks = await targetDb.withClient((c) =>
      c.query(`SELECT id, "parentId", title, meta::text, moods::text, due::text FROM "Task" ORDER BY id`),
    );
    expect(tasks.rows.map((r) => r.id)).toEqual([101, 102, 103]);
    expect(tasks.rows.map((r) => r.parentId)).toEqual([null, 101, 102]);
    expect(tasks.rows.map((r) => r.meta)).toEqual(['{"a": [1, 2.50, null], "b": "é"}', null, "[]"]);
    expect(tasks.rows.map((r) => r.moods)).toEqual(["{calm,busy}", "{}", null]);
    const tags = await targetDb.withClient((c) => tableText(c, "Tag", `"taskId", label`));
    expect(tags).toEqual(["(101,a)", "(101,b)", "(103,z)"]);

    // Merging the same snapshot again: teams and tags are already there (their keys), tasks have no
    // identity of their own (serial key, no unique constraint), so they come again as new rows.
    const again = await importSnapshot(
      {
        snapshot: exported.paths.manifestPath,
        targetUrl: targetDb.url,
        projectConfig: TINY_CONFIG,
        mode: "merge",
        rejectsPath: join(work, "tiny.rejects.ndjson"),
      },
      importDeps(),
    );
    expect(again.models.Team).toMatchObject({ imported: 0, alreadyPresent: 2 });
  });

  it("acts on the compatibility report: drops, fills, casts, and rejects records whose enum label the target lacks", async () => {
    const drifted = await createTestDatabase({ migrate: false });
    try {
      // The target is one migration away: "busy" is gone, Team.active dropped, Task.note added,
      // Team.budget widened to numeric(14,2).
      await drifted.withClient((c) =>
        c.query(
          TINY_APP.replace("('calm', 'busy')", "('calm')")
            .replace(", active boolean NOT NULL DEFAULT true", "")
            .replace("budget numeric(12,2)", "budget numeric(14,2)")
            .replace("due date);", "due date, note text);"),
        ),
      );
      const exported = await exportSnapshot(
        {
          connection: testConnection(sourceDb.url),
          outDir: work,
          name: "tiny-drift",
          config: TINY_CONFIG,
          redactionKey: null,
        },
        { now: () => new Date(), warn: () => {} },
      );
      const rejectsPath = join(work, "tiny-drift.rejects.ndjson");
      const options = {
        snapshot: exported.paths.manifestPath,
        targetUrl: drifted.url,
        projectConfig: TINY_CONFIG,
        mode: "merge" as const,
        rejectsPath,
      };
      // With --schema-drift refuse, adapting the data is refused before anything is written (exit 5).
      const refused = await importSnapshot({ ...options, schemaDrift: "refuse" }, importDeps()).catch(
        (e: unknown) => e,
      );
      expect(refused).toMatchObject({ exitCode: 5 });
      const summary = await importSnapshot({ ...options, maxRejects: 10 }, importDeps());
      const rejects = await readRejects(rejectsPath);
      // Task 1 holds "busy": rejected; its child (2) and grandchild (3) reference rejected rows; so do their tags.
      expect(rejects.map((r) => [r.model, r.category])).toEqual([
        ["Task", "validation"],
        ["Task", "constraint"],
        ["Task", "constraint"],
        ["Tag", "constraint"],
        ["Tag", "constraint"],
        ["Tag", "constraint"],
      ]);
      expect(String(rejects[0]?.reason)).toContain('"busy"');
      expect(summary.models.Team).toMatchObject({ imported: 2 });
      const teams = await drifted.withClient((c) =>
        c.query(`SELECT name, budget::text, big::text FROM "Team" ORDER BY name`),
      );
      expect(teams.rows).toEqual([
        { name: "core", budget: "1234567.89", big: "9007199254740993" },
        { name: "ops", budget: null, big: "-1" },
      ]);
    } finally {
      await drifted.drop();
    }
  });
});
