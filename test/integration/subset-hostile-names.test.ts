import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BooksnapError } from "../../src/errors.js";
import { parseOwnerRefs } from "../../src/export/selection.js";
import { type OwnerScope, type SubsetSelection, selectSubset } from "../../src/export/subset.js";
import { parseWherePredicates } from "../../src/export/where-predicate.js";
import type { SchemaDescription } from "../../src/schema/description.js";
import { introspectSchema } from "../../src/schema/introspect.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { inReadOnlySnapshot } from "../helpers/subset.js";

/**
 * Every name and key value is hostile: a schema, tables, columns and an enum whose names hold
 * quotes, backslashes, spaces, "$1::", SQL, emoji, 63 bytes, internal-looking names (line, src_id)
 * and names differing only in case; text keys that look like SQL, array syntax or NULL. Introspection
 * must describe them exactly, and every condition the subset builds (parameters and inlined) must
 * select exactly the chosen rows.
 */
const SCHEMA = `we"ird sch\\ema $1:: 'x'`;
/** 63 bytes: PostgreSQL's longest name, full of SQL. */
const LONG = `'"; DROP TABLE line; --`.padEnd(63, "z");
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const S = q(SCHEMA);
const ENUM = `Mo,od"{}`;
const LABELS = ["a,b", '"q"', "{x}", "NULL", "back\\slash", " sp ", "mood"];
const LINE_KEYS: Array<[string, string, number, string]> = [
  ["$1::", "x$1::y", 1, "a,b"],
  ["\\", '"', 1, '"q"'],
  ['{"}', "NULL", 2, "{x}"],
  [" sp ", "back\\slash", 2, "NULL"],
  [`'; DROP TABLE "line"; --`, "$2::text", 1, "back\\slash"],
];
const U1 = "00000000-0000-0000-0000-000000000001";
const U2 = "00000000-0000-0000-0000-000000000002";
const U3 = "00000000-0000-0000-0000-000000000003";
const OWNERS: OwnerScope = { table: 'Us"er', idColumn: "id", emailColumn: 'e"mail' };
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;

describe("hostile names and key values through introspection and subset selection", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient(async (c) => {
      await c.query(`CREATE SCHEMA ${S}`);
      await c.query(`CREATE TYPE ${S}.${q(ENUM)} AS ENUM (${LABELS.map(lit).join(", ")})`);
      await c.query(`CREATE TABLE ${S}.${q('Us"er')} (id serial PRIMARY KEY, ${q('e"mail')} text UNIQUE)`);
      await c.query(`INSERT INTO ${S}.${q('Us"er')} (${q('e"mail')}) VALUES ('a@x'), ('b@x')`);
      await c.query(
        `CREATE TABLE ${S}."line" ("src_id" text, ${q('K"ey $1::')} text,
           ${q('own"er')} int REFERENCES ${S}.${q('Us"er')}, "mood" ${S}.${q(ENUM)},
           PRIMARY KEY ("src_id", ${q('K"ey $1::')}))`,
      );
      for (const [a, b, owner, mood] of LINE_KEYS) {
        await c.query(`INSERT INTO ${S}."line" VALUES ($1, $2, $3, $4)`, [a, b, owner, mood]);
      }
      await c.query(
        `CREATE TABLE ${S}.${q("ΣBooks 📚")} (id uuid PRIMARY KEY, parent uuid REFERENCES ${S}.${q("ΣBooks 📚")},
           line_src text, line_key text, FOREIGN KEY (line_src, line_key) REFERENCES ${S}."line")`,
      );
      await c.query(
        `INSERT INTO ${S}.${q("ΣBooks 📚")} VALUES ($1, NULL, '$1::', 'x$1::y'), ($2, $1, NULL, NULL), ($3, $2, NULL, NULL)`,
        [U1, U2, U3],
      );
      await c.query(
        `CREATE TABLE ${S}.${q(LONG)} (m ${S}.${q(ENUM)} PRIMARY KEY, book uuid REFERENCES ${S}.${q("ΣBooks 📚")})`,
      );
      await c.query(`INSERT INTO ${S}.${q(LONG)} VALUES ('{x}', $1), ('a,b', $2), ('NULL', NULL)`, [U3, U2]);
      await c.query(`CREATE TABLE ${S}."book" (id int PRIMARY KEY)`);
      await c.query(`CREATE TABLE ${S}."Book" (id int PRIMARY KEY)`);
      await c.query(`INSERT INTO ${S}."book" VALUES (1), (2); INSERT INTO ${S}."Book" VALUES (3)`);
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  const describeIt = (c: Parameters<Parameters<typeof inReadOnlySnapshot>[1]>[0]) =>
    introspectSchema(c, { schema: SCHEMA }).then((r) => r.description);

  /** Selects, then reads every table's key columns through condition() and inlineCondition(). */
  async function selection(where: string[], owners: string[] = [], nonStandardStrings = false) {
    return inReadOnlySnapshot(db.url, async (c) => {
      if (nonStandardStrings) await c.query("SET LOCAL standard_conforming_strings = off");
      const description = await describeIt(c);
      const subset = await selectSubset(c, description, {
        owners: OWNERS,
        ownerRefs: parseOwnerRefs(owners),
        where: parseWherePredicates(where, description),
      });
      if (!subset) throw new Error("no subset");
      return { description, subset, rows: await readBoth(c, description, subset) };
    });
  }

  async function readBoth(
    c: Parameters<Parameters<typeof inReadOnlySnapshot>[1]>[0],
    description: SchemaDescription,
    subset: SubsetSelection,
  ): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    for (const table of description.tables) {
      const key = table.primaryKey.map((k) => `t.${q(k)}::text`).join(" || '|' || ");
      const from = `FROM ${S}.${q(table.name)} t WHERE`;
      const { sql, values } = subset.table(table.name).condition("t", 1);
      const byParams = await c.query(`SELECT ${key} AS k ${from} ${sql} ORDER BY 1`, values);
      const inlined = await c.query(
        `SELECT ${key} AS k ${from} ${subset.table(table.name).inlineCondition("t")} ORDER BY 1`,
      );
      expect(inlined.rows, table.name).toEqual(byParams.rows);
      out[table.name] = byParams.rows.map((r) => r.k);
    }
    return out;
  }

  it("introspection describes every name and enum label exactly", async () => {
    const description = await inReadOnlySnapshot(db.url, describeIt);
    expect(description.schema).toBe(SCHEMA);
    expect(description.tables.map((t) => t.name).sort()).toEqual(
      ["Book", LONG, 'Us"er', "book", "line", "ΣBooks 📚"].sort(),
    );
    const line = description.tables.find((t) => t.name === "line");
    expect(line?.primaryKey).toEqual(["src_id", 'K"ey $1::']);
    expect(line?.foreignKeys[0]?.references).toEqual({ table: 'Us"er', columns: ["id"] });
    expect(Object.values(description.enums)).toEqual([LABELS]);
  });

  it("a --where on a 63-byte table pulls in referenced rows through enum, uuid and composite text keys", async () => {
    const { subset, rows } = await selection([`${q(LONG)}: m <> 'NULL'`]);
    expect(rows[LONG]).toEqual(["a,b", "{x}"]);
    expect(rows["ΣBooks 📚"]).toEqual([U1, U2, U3]);
    expect(rows.line).toEqual(["$1::|x$1::y"]);
    expect(rows['Us"er']).toEqual(["1"]);
    expect(subset.addedByReference).toEqual({ line: 1, 'Us"er': 1, "ΣBooks 📚": 3 });
  });

  it("--owner through a quoted owners table selects rows whose keys look like SQL, arrays and NULL", async () => {
    const { rows } = await selection([], ["b@x"]);
    expect(rows.line).toEqual([" sp |back\\slash", '{"}|NULL']);
    const all = await selection([`line: true`]);
    expect(all.rows.line).toEqual(LINE_KEYS.map(([a, b]) => `${a}|${b}`).sort());
  });

  it("inlined key sets mean the same when the session has standard_conforming_strings off", async () => {
    const all = await selection([`line: true`], [], true);
    expect(all.rows.line).toEqual(LINE_KEYS.map(([a, b]) => `${a}|${b}`).sort());
  });

  it("a bare table name is exact first; names differing only in case need quotes", async () => {
    expect((await selection([`book: true`])).rows.book).toEqual(["1", "2"]);
    expect((await selection([`"Book": true`])).rows.Book).toEqual(["3"]);
    await inReadOnlySnapshot(db.url, async (c) => {
      const description = await describeIt(c);
      expect(() => parseWherePredicates([`BOOK: true`], description)).toThrow(
        expect.objectContaining({ code: "E_BAD_WHERE" }) as BooksnapError,
      );
    });
  });
});
