import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SCALAR_KINDS, type TableDescription } from "../../src/schema/description.js";
import {
  carriedColumns,
  castSql,
  copyText,
  copyTextLine,
  renderSql,
  rowJsonSql,
  sessionSettingsSql,
  stagingSqlType,
  validateValue,
} from "../../src/schema/values.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import {
  MATRIX_ENUM,
  MATRIX_ENUM_LABELS,
  MATRIX_KINDS,
  matrixDdl,
  matrixEnumDdl,
  matrixRows,
  matrixTable,
} from "../helpers/type-matrix.js";

/**
 * Issue 11 item 3: every kind booksnap carries, and the array of each, goes through the format-2
 * codec exactly — rendered by PostgreSQL (rowJsonSql), parsed and validated, turned into COPY
 * text input, staged, cast, inserted — and reads back byte for byte (each type's binary send
 * form, its text form and IS NOT DISTINCT FROM), rendering to the same row text again.
 */

const enums = { [MATRIX_ENUM]: MATRIX_ENUM_LABELS };
const q = (name: string) => `"${name}"`;

async function copyTextInto(
  client: pg.Client,
  table: string,
  columns: string[],
  lines: string[],
): Promise<void> {
  const stream = client.query(
    copyFrom(`COPY ${q(table)} (${columns.map(q).join(", ")}) FROM STDIN (FORMAT text)`),
  );
  await pipeline(Readable.from([lines.join("")]), stream);
}

async function renderedRows(
  client: pg.Client,
  table: TableDescription,
): Promise<{ id: number; row: string }[]> {
  const result = await client.query<{ id: number; row: string }>(
    `SELECT t.id, ${rowJsonSql(table, "t")} AS row FROM ${q(table.name)} t ORDER BY t.id`,
  );
  return result.rows;
}

describe("type matrix", () => {
  let db: TestDatabase;
  let serverVersion = 0;
  const src = matrixTable("src");
  const dst = matrixTable("dst");

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient(async (c) => {
      serverVersion = Number(
        (await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v,
      );
      expect(serverVersion).toBeGreaterThanOrEqual(150_000);
      await c.query(matrixEnumDdl());
      await c.query(matrixDdl("src"));
      await c.query(matrixDdl("dst"));
      const rows = matrixRows(serverVersion);
      for (const [i, row] of rows.entries()) {
        const names = ["id", ...Object.keys(row)];
        const values = [String(i + 1), ...Object.values(row)];
        await c.query(`INSERT INTO src (${names.map(q).join(", ")}) VALUES (${values.join(", ")})`);
      }
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("covers every scalar kind, as a column and as an array column", () => {
    expect([...MATRIX_KINDS].sort()).toEqual([...SCALAR_KINDS].sort());
    for (const kind of SCALAR_KINDS) {
      expect(src.columns.some((c) => c.type.kind === kind && c.type.array)).toBe(true);
      expect(src.columns.some((c) => c.type.kind === kind && !c.type.array)).toBe(true);
    }
  });

  it("round-trips every row byte for byte through render, validate, COPY text (and csv), staging and cast; NULL, {} and {NULL} stay distinct", async () => {
    await db.withClient(async (c) => {
      await c.query(sessionSettingsSql());
      const columns = carriedColumns(src);
      const source = await renderedRows(c, src);
      expect(source.length).toBe(matrixRows(serverVersion).length);

      const lines = source.map(({ id, row }) => {
        expect(row.startsWith("[") && row.endsWith("]"), `row ${id}`).toBe(true);
        const values = JSON.parse(row) as unknown[];
        expect(values.length, `row ${id}`).toBe(columns.length);
        columns.forEach((column, i) => {
          expect(
            validateValue(column.type, values[i], enums),
            `row ${id} column ${column.name}: ${JSON.stringify(values[i])}`,
          ).toBeUndefined();
        });
        return copyTextLine(
          columns.map((column) => column.type),
          values,
        );
      });

      // Staged in staging types (enums as text), then cast into a table like the source.
      const staging = `CREATE TABLE staging (${columns.map((col) => `${q(col.name)} ${stagingSqlType(col.type)}`).join(", ")})`;
      await c.query(staging);
      await copyTextInto(
        c,
        "staging",
        columns.map((col) => col.name),
        lines,
      );
      // FORMAT csv reads the same copyText values (quoted, quotes doubled; NULL unquoted empty).
      await c.query(staging.replace("CREATE TABLE staging", "CREATE TABLE staging_csv"));
      const csv = source.map(({ row }) => {
        const values = JSON.parse(row) as unknown[];
        const fields = columns.map((col, i) => {
          const text = copyText(col.type, values[i]);
          return text === null ? "" : `"${text.replace(/"/g, '""')}"`;
        });
        return `${fields.join(",")}\n`;
      });
      const csvStream = c.query(copyFrom(`COPY staging_csv FROM STDIN (FORMAT csv)`));
      await pipeline(Readable.from([csv.join("")]), csvStream);
      const rowTexts = (table: string) =>
        c
          .query<{ r: string }>(`SELECT s::text AS r FROM ${table} s ORDER BY s.id`)
          .then((r) => r.rows.map((x) => x.r));
      expect(await rowTexts("staging_csv")).toEqual(await rowTexts("staging"));

      const names = columns.map((col) => q(col.name)).join(", ");
      const casts = columns.map((col) => castSql(`s.${q(col.name)}`, col.type, "public")).join(", ");
      await c.query(`INSERT INTO dst (${names}) SELECT ${casts} FROM staging s`);

      // Each column compared three ways, row by row.
      const send = await c.query<{ attname: string; typsend: string; typname: string }>(
        `SELECT a.attname, t.typsend::text AS typsend, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = 'src'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      );
      expect(send.rows.length).toBe(columns.length);
      for (const { attname, typsend, typname } of send.rows) {
        const s = `s.${q(attname)}`;
        const d = `d.${q(attname)}`;
        // json has no equality operator: its text and binary forms are the comparison.
        const equal = typname === "json" || typname === "_json" ? "true" : `${s} IS NOT DISTINCT FROM ${d}`;
        const differing = await c.query<{ id: number }>(
          `SELECT s.id FROM src s LEFT JOIN dst d USING (id)
           WHERE d.id IS NULL OR NOT (${typsend}(${s}) IS NOT DISTINCT FROM ${typsend}(${d})
             AND ${s}::text IS NOT DISTINCT FROM ${d}::text AND ${equal})
           ORDER BY s.id`,
        );
        expect(
          differing.rows.map((r) => r.id),
          `column ${attname} differs in rows`,
        ).toEqual([]);
      }
      expect(Number((await c.query("SELECT count(*) AS n FROM dst")).rows[0].n)).toBe(source.length);

      // NULL, {} and {NULL} stay three different values.
      const distinct = await c.query<{
        id: number;
        isnull: boolean;
        n: number | null;
        first_null: boolean | null;
      }>(
        `SELECT id, t_a IS NULL AS isnull, cardinality(t_a) AS n, t_a[1] IS NULL AS first_null FROM dst
         WHERE id IN (1, 7, 8) ORDER BY id`,
      );
      expect(distinct.rows).toEqual([
        { id: 1, isnull: true, n: null, first_null: true },
        { id: 7, isnull: false, n: 0, first_null: true },
        { id: 8, isnull: false, n: 1, first_null: true },
      ]);

      // The copy renders to the very same bytes: a re-export digests the same.
      const copy = await renderedRows(c, dst);
      expect(copy).toEqual(source);
    });
  });

  it("renders a row as its values' renderSql texts, in json_build_array's layout", async () => {
    await db.withClient(async (c) => {
      await c.query(sessionSettingsSql());
      const values = carriedColumns(src).map((col) => renderSql(col, "t"));
      const result = await c.query<{ row: string; joined: string }>(
        `SELECT ${rowJsonSql(src, "t")} AS row, '[' || ${values.join(" || ', ' || ")} || ']' AS joined FROM src t ORDER BY t.id`,
      );
      for (const { row, joined } of result.rows) expect(row).toBe(joined);
    });
  });

  it("encodes each kind as format 2 defines", async () => {
    await db.withClient(async (c) => {
      await c.query(sessionSettingsSql());
      const rows = await renderedRows(c, src);
      const names = carriedColumns(src).map((col) => col.name);
      const value = (id: number, name: string) =>
        (JSON.parse(rows[id - 1]?.row as string) as unknown[])[names.indexOf(name)];
      expect(JSON.parse(rows[0]?.row as string)).toEqual([1, ...names.slice(1).map(() => null)]);
      expect(value(2, "ch")).toBe("ab ");
      expect(value(2, "i4")).toBe(42);
      expect(value(2, "i8")).toBe("42");
      expect(value(2, "n")).toBe("12.50");
      expect(value(2, "f4")).toBe("0.1");
      expect(value(2, "b")).toBe(true);
      expect(value(2, "tstz")).toBe("2024-06-01 06:30:00.000001+00");
      expect(value(2, "iv")).toBe("1 year 2 mons -3 days +04:05:06.789");
      expect(value(2, "j")).toBe('{"a" : 1,  "a": 2, "b":"\\u00e9\\ud83d\\ude00" ,\n "c": [ 1 , 2.50 ]}');
      expect(value(2, "jb")).toBe('{"a": [1, 2.50, "x"], "b": 1, "c": "\\u0001", "u": "é"}');
      expect(value(2, "by")).toBe("\\x0a0b");
      expect(value(2, "e")).toBe("ok");
      expect(value(2, "f8_a")).toEqual(["0.1", "1.5"]);
      expect(value(2, "i2_a")).toEqual([1, -2]);
      expect(value(2, "ch_a")).toEqual(["a  ", "abc"]);
      expect(value(2, "j_a")).toEqual(['{"a" : 1, "a":2}', " [1 , 2] ", '"\\\\"']);
      expect(value(2, "iv_a")).toEqual(["1 day", "24:00:00"]);
      expect(value(3, "i8")).toBe("9223372036854775807");
      expect(value(3, "ts")).toBe("294276-12-31 23:59:59.999999");
      expect(value(3, "d")).toBe("5874897-12-31");
      expect(value(3, "by")).toBe(
        `\\x${Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("hex")}`,
      );
      expect(value(4, "i8")).toBe("-9223372036854775808");
      expect(value(4, "ch")).toBe("   ");
      expect(value(4, "ts")).toBe("4714-11-24 00:00:00 BC");
      expect(value(4, "tstz")).toBe("4714-11-24 00:00:00+00 BC");
      expect(value(4, "i8_a")).toEqual(["9007199254740993", "-9007199254740993"]);
      expect(value(5, "f4")).toBe("-0");
      expect(value(5, "f8")).toBe("-0");
      expect(value(5, "n")).toBe("NaN");
      expect(value(5, "ts")).toBe("infinity");
      expect(value(5, "f8_a")).toEqual(["NaN", "Infinity", "-Infinity", "-0", "5e-324", "1e-310", null]);
      expect(value(6, "n")).toBe("Infinity");
      expect(value(7, "t_a")).toEqual([]);
      expect(value(8, "t_a")).toEqual([null]);
      expect((value(9, "t_a") as unknown[])[4]).toBe("NULL");
      expect(value(9, "ch_a")).toEqual(["a  ", "   ", null, '"  ', "N  "]);
    });
  });
});

describe("array shapes format 2 cannot carry", () => {
  let db: TestDatabase;
  const shapes: TableDescription = {
    name: "shapes",
    columns: [
      {
        name: "id",
        type: { kind: "int4", array: false, sql: "integer" },
        nullable: false,
        default: null,
        identity: null,
        generated: false,
      },
      {
        name: "a",
        type: { kind: "int4", array: true, sql: "integer[]" },
        nullable: true,
        default: null,
        identity: null,
        generated: false,
      },
      {
        name: "t",
        type: { kind: "text", array: true, sql: "text[]" },
        nullable: true,
        default: null,
        identity: null,
        generated: false,
      },
    ],
    primaryKey: ["id"],
    foreignKeys: [],
    uniques: [],
    indexes: [],
  };

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    await db.withClient(async (c) => {
      await c.query("CREATE TABLE shapes (id integer PRIMARY KEY, a integer[], t text[])");
      await c.query(`INSERT INTO shapes VALUES
        (1, '{1,2}', '{x}'), (2, '{{1,2},{3,4}}', '{x}'), (3, '[0:1]={1,2}', NULL),
        (4, NULL, '{{a},{b}}'), (5, '{}', '{}'), (6, '[2:2]={7}', '[5:5]={z}')`);
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("renders a multi-dimensional or non-1-based array as a NULL row, and names its column", async () => {
    const { arrayShapeCheckSql, arrayShapeViolationsSql, unsupportedArrayValueError } = await import(
      "../../src/schema/values.js"
    );
    await db.withClient(async (c) => {
      const result = await c.query<{ id: number; row: string | null; ok: boolean; bad: string[] }>(
        `SELECT t.id, ${rowJsonSql(shapes, "t")} AS row, ${arrayShapeCheckSql(shapes, "t")} AS ok,
           ${arrayShapeViolationsSql(shapes, "t")} AS bad FROM shapes t ORDER BY t.id`,
      );
      expect(result.rows).toEqual([
        { id: 1, row: '[1, [1,2], ["x"]]', ok: true, bad: [] },
        { id: 2, row: null, ok: false, bad: ["a"] },
        { id: 3, row: null, ok: false, bad: ["a"] },
        { id: 4, row: null, ok: false, bad: ["t"] },
        { id: 5, row: "[5, [], []]", ok: true, bad: [] },
        { id: 6, row: null, ok: false, bad: ["a", "t"] },
      ]);
      const error = unsupportedArrayValueError("shapes", ["a"], { id: 2 });
      expect(error.code).toBe("E_UNSUPPORTED_VALUE");
      expect(error.message).toContain('"shapes"."a"');
      expect(error.message).toContain("id = 2");
    });
  });

  it("renders rows of a table wider than json_build_array's 100 arguments (three chunks)", async () => {
    const width = 250;
    const wide: TableDescription = {
      ...shapes,
      name: "wide",
      columns: Array.from({ length: width }, (_, i) => ({
        name: `c${i}`,
        type: { kind: "int4" as const, array: false, sql: "integer" },
        nullable: true,
        default: null,
        identity: null,
        generated: false,
      })),
    };
    await db.withClient(async (c) => {
      await c.query(`CREATE TABLE wide (${wide.columns.map((col) => `${col.name} integer`).join(", ")})`);
      await c.query(
        `INSERT INTO wide SELECT ${wide.columns.map((_, i) => (i % 7 === 0 ? "NULL" : String(i))).join(", ")}`,
      );
      const result = await c.query<{ row: string }>(`SELECT ${rowJsonSql(wide, "w")} AS row FROM wide w`);
      const expected = wide.columns.map((_, i) => (i % 7 === 0 ? null : i));
      expect(result.rows[0]?.row).toBe(`[${expected.map((v) => String(v)).join(", ")}]`);
    });
  });
});
