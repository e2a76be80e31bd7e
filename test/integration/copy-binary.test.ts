import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CsvChunks, copyInto } from "../../src/db/copy.js";
import { CopyBinaryRows, timestampMicros } from "../../src/db/copy-binary.js";
import { CopyTextRows } from "../../src/import/copy-text-rows.js";
import { copyText } from "../../src/schema/values.js";
import { FORMAT1_DESCRIPTION, format1Row } from "../../src/snapshot/format1.js";
import { modelSpec } from "../../src/snapshot/models.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";

const book = modelSpec("Book");
const fields = book.fields.filter((f) => f.name !== "id");
const columns = ["line", "src_id", ...fields.map((f) => f.name)];
const bookColumns = (FORMAT1_DESCRIPTION.tables.find((t) => t.name === "Book")?.columns ?? []).slice(1);
/** A staging row in COPY text: line, source id, then the record's values as import stages them. */
const textRow = (line: number, id: number, record: Record<string, unknown>) => {
  const row = format1Row("Book", { id, ...record }).slice(1);
  return [String(line), String(id), ...bookColumns.map((c, i) => copyText(c.type, row[i]))];
};

const record = (i: number): Record<string, unknown> => ({
  ownerId: i,
  isbn10: `${i}`.padStart(10, "0"),
  isbn13: i % 5 === 0 ? null : `978${i}`.padStart(13, "0"),
  title: `say "hi", ${i} \\ {x}`,
  titleLong: "ünïcödé — 日本語 😀",
  language: "",
  // Some values longer than a 1 MiB chunk.
  synopsis: i % 400 === 3 ? "😀ß\n".repeat(200_000) : `${"é".repeat(i % 300)}\r\n${i}`,
  image: "NULL",
  imageOriginal: "a,b\nc",
  publisher: '"',
  edition: null,
  pageCount: i % 2 === 0 ? -2147483648 : 2147483647,
  datePublished: "2000",
  subjects: i % 3 === 0 ? [] : ["a\\b", 'q"u', "", "x,y", "{}", "NULL", "日本"],
  authors: i % 7 === 0 ? null : [`author ${i}`],
  binding: "Paperback",
  visibility: "PUBLIC",
  readDate: i % 4 === 0 ? null : "0001-01-01T00:00:00.001Z",
  createdAt: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999) + i * 86_400_001).toISOString(),
  updatedAt: "9999-12-31T23:59:59.999Z",
});

describe("binary COPY rows", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("store exactly what the CSV lines store, across chunks, NULLs, arrays and timestamps (binary and import's text COPY)", async () => {
    const binary = new CopyBinaryRows();
    const csv = new CsvChunks();
    const text = new CopyTextRows();
    for (let i = 0; i < 1200; i++) {
      expect(binary.addRow(fields, record(i), [i + 1, i * 2])).toBe(true);
      csv.addRow(fields, record(i), [i + 1, i * 2]);
      text.addRow(textRow(i + 1, i * 2, record(i)));
    }
    expect(binary.chunks().length).toBeGreaterThan(4);
    expect(text.chunks().length).toBeGreaterThan(2);
    await db.withClient(async (c) => {
      const definition = `(line integer NOT NULL, src_id integer NOT NULL, "ownerId" integer, isbn10 text, isbn13 text,
        title text, "titleLong" text, language text, synopsis text, image text, "imageOriginal" text, publisher text,
        edition text, "pageCount" integer, "datePublished" text, subjects text[], authors text[], binding text,
        visibility text, "readDate" timestamp(3), "createdAt" timestamp(3), "updatedAt" timestamp(3))`;
      await c.query(`CREATE TABLE from_binary ${definition}`);
      await c.query(`CREATE TABLE from_csv ${definition}`);
      expect(await copyInto(c, "from_binary", columns, "binary", binary.chunks())).toBe(1200);
      expect(await copyInto(c, "from_csv", columns, "csv", csv.chunks())).toBe(1200);
      await c.query(`CREATE TABLE from_text ${definition}`);
      expect(await copyInto(c, "from_text", columns, "text", text.chunks())).toBe(1200);
      for (const other of ["from_csv", "from_text"]) {
        const differ = await c.query(
          `SELECT count(*)::int AS n FROM ((TABLE from_binary EXCEPT ALL TABLE ${other})
                                           UNION ALL (TABLE ${other} EXCEPT ALL TABLE from_binary)) d`,
        );
        expect(differ.rows[0].n, other).toBe(0);
      }
      const sample = await c.query(
        `SELECT subjects, authors, "readDate"::text AS r, "updatedAt"::text AS u FROM from_binary WHERE line = 3`,
      );
      expect(sample.rows[0]).toEqual({
        subjects: ["a\\b", 'q"u', "", "x,y", "{}", "NULL", "日本"],
        authors: ["author 2"],
        r: "0001-01-01 00:00:00.001",
        u: "9999-12-31 23:59:59.999",
      });
    });
  });

  it("encode every real timestamp of years 1-9999 as Date.parse reads it", () => {
    const epoch = BigInt(Date.UTC(2000, 0, 1));
    let ms = Date.parse("0001-01-01T00:00:00.000Z");
    const last = Date.parse("9999-12-31T23:59:59.999Z");
    // ~100k steps of about 29 days plus some hours and milliseconds: every month, leap days included.
    while (ms <= last) {
      const iso = new Date(ms).toISOString();
      expect(timestampMicros(iso), iso).toBe((BigInt(ms) - epoch) * 1000n);
      ms += 29 * 86_400_000 + 3_600_000 * 7 + 60_000 * 13 + 1_001 * 17;
    }
    for (const leap of ["2000-02-29T23:59:59.999Z", "2024-02-29T00:00:00.000Z", "0004-02-29T12:00:00.000Z"]) {
      expect(timestampMicros(leap), leap).toBe((BigInt(Date.parse(leap)) - epoch) * 1000n);
    }
  });

  it("refuse a row whose timestamp PostgreSQL could read differently, writing nothing", () => {
    const rows = new CopyBinaryRows();
    for (const bad of ["2023-02-30T00:00:00.000Z", "0000-01-01T00:00:00.000Z", "2023-01-01T24:00:00.000Z"]) {
      expect(timestampMicros(bad)).toBeUndefined();
      expect(rows.addRow(fields, { ...record(1), createdAt: bad }, [1, 1])).toBe(false);
    }
    expect(rows.rows).toBe(0);
    expect(rows.byteLength).toBe(0);
    for (const bad of ["2023-04-31T00:00:00.000Z", "2100-02-29T00:00:00.000Z", "2023-13-01T00:00:00.000Z"]) {
      expect(timestampMicros(bad)).toBeUndefined();
    }
    expect(timestampMicros("2000-01-01T00:00:00.001Z")).toBe(1000n);
    expect(timestampMicros("1999-12-31T23:59:59.999Z")).toBe(-1000n);
  });
});
