import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBooksnap } from "../helpers/cli.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { readManifestV2, readRowsByTable } from "../helpers/format2.js";

/**
 * The second app (test/fixtures/second-app, unrelated to books): the same build exports and
 * verifies it with nothing but a config file — uuid and bigint keys beyond 2^53, a
 * self-referencing foreign key whose rows sort before their targets, json kept as written.
 */
const FIXTURE = join(import.meta.dirname, "..", "fixtures", "second-app");

describe("export of an app unrelated to books, with only a config file", () => {
  let db: TestDatabase;
  let work: string;
  const env = () => ({ SRC: db.url, BOOKSNAP_REDACTION_KEY: "second-app-test-key" });

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient(async (c) => {
      await c.query(await readFile(join(FIXTURE, "schema.sql"), "utf8"));
      await c.query(await readFile(join(FIXTURE, "seed.sql"), "utf8"));
    });
    work = await mkdtemp(join(tmpdir(), "booksnap-second-app-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("exports every table exactly, redacts by the file's rules, and verify passes", async () => {
    const run = await runBooksnap(
      [
        "export",
        "--from-env",
        "SRC",
        "--config",
        join(FIXTURE, "booksnap.config.json"),
        "--name",
        "app",
        "--json",
      ],
      { cwd: work, env: env() },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    const summary = JSON.parse(run.stdout);
    expect(summary.counts).toEqual({ Team: 3, Employee: 6 });

    const base = join(work, "snapshots", "app");
    const verify = await runBooksnap(["verify", base, "--json"]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({
      ok: true,
      formatVersion: 2,
      counts: { Team: 3, Employee: 6 },
    });

    const manifest = await readManifestV2(`${base}.manifest.json`);
    expect(manifest.schema.description.tables.map((t) => t.name)).toEqual(["Team", "Employee"]);
    expect(manifest.redaction.rules.map((r) => `${r.table}.${r.column}:${r.kind}`).sort()).toEqual([
      "Employee.badge:null",
      "Employee.email:email",
      "Employee.fullName:name",
    ]);
    const rows = await readRowsByTable(`${base}.ndjson.zst`, manifest);
    const employees = rows.Employee ?? [];
    // bigint keys as strings, ascending by value (not as text), beyond 2^53.
    expect(employees.map((e) => e.id)).toEqual([
      "1",
      "42",
      "43",
      "9007199254740992",
      "9007199254740993",
      "4611686018427387904",
    ]);
    const byId = Object.fromEntries(employees.map((e) => [e.id as string, e]));
    expect(byId["9007199254740992"]?.manager).toBe("4611686018427387904");
    expect(byId["1"]?.settings).toBe('{"theme": "dark",  "theme": "light"}');
    expect(byId["4611686018427387904"]?.profile).toBe("null");
    expect(byId["9007199254740992"]?.profile).toBeNull();
    expect(byId["4611686018427387904"]?.tags).toEqual(["kernel", null, ""]);
    expect(byId["9007199254740993"]?.tags).toEqual([]);
    expect(byId["9007199254740992"]?.tags).toBeNull();
    for (const e of employees) {
      expect(String(e.email)).toMatch(/@example\.invalid$/);
      expect(e.badge).toBeNull();
    }
    const data = await readFile(`${base}.ndjson.zst`);
    expect(data.length).toBe(manifest.data.bytes);
  });

  it("a subset by owner (a uuid key, from the owners config) closes under references and verifies", async () => {
    const teamId = await db.withClient(async (c) => {
      const { rows } = await c.query<{ id: string }>(
        `SELECT t.id::text FROM "Team" t WHERE EXISTS (SELECT 1 FROM "Employee" e WHERE e.team = t.id) ORDER BY t.name LIMIT 1`,
      );
      return rows[0]?.id as string;
    });
    const run = await runBooksnap(
      [
        "export",
        "--from-env",
        "SRC",
        "--config",
        join(FIXTURE, "booksnap.owners.config.json"),
        "--owner",
        teamId,
        "--name",
        "team",
        "--json",
      ],
      { cwd: work, env: env() },
    );
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.filters.owners).toEqual([teamId]);
    expect(summary.counts.Employee).toBeGreaterThan(0);
    const verify = await runBooksnap(["verify", join(work, "snapshots", "team")]);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it("a --where subset on a table of this app", async () => {
    const run = await runBooksnap(
      [
        "export",
        "--from-env",
        "SRC",
        "--config",
        join(FIXTURE, "booksnap.config.json"),
        "--where",
        `Employee: "level" = 'junior'`,
        "--name",
        "juniors",
        "--json",
      ],
      { cwd: work, env: env() },
    );
    expect(run.code, run.stderr).toBe(0);
    const manifest = await readManifestV2(join(work, "snapshots", "juniors.manifest.json"));
    expect(manifest.filters.where).toEqual([{ table: "Employee", predicate: `"level" = 'junior'` }]);
    const verify = await runBooksnap(["verify", join(work, "snapshots", "juniors")]);
    expect(verify.code, verify.stderr).toBe(0);
  });
});
