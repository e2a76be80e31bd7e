import { describe, expect, it } from "vitest";
import { CsvChunks, csvLine } from "../../src/db/copy.js";
import type { FieldSpec } from "../../src/snapshot/models.js";
import { modelSpec } from "../../src/snapshot/models.js";

const book = modelSpec("Book");
const fields: FieldSpec[] = book.fields.filter((f) => f.name !== "id");

const record = (i: number, synopsis: string): Record<string, unknown> => ({
  ownerId: i,
  isbn10: `${i}`.padStart(10, "0"),
  isbn13: `978${i}`.padStart(13, "0"),
  title: `say "hi", ${i}`,
  titleLong: "ünïcödé — 日本語 😀",
  language: "en",
  synopsis,
  image: "",
  imageOriginal: "a,b\nc\r\nd",
  publisher: '"',
  edition: null,
  pageCount: -i,
  datePublished: "2000",
  subjects: ["a\\b", 'q"u', "", "x,y", "{}", "NULL"],
  authors: [],
  binding: "Paperback",
  visibility: "PUBLIC",
  readDate: null,
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-02T00:00:00.000Z",
});

const bytesOf = (csv: CsvChunks) => Buffer.concat(csv.chunks());

describe("CsvChunks", () => {
  it("writes exactly csvLine's bytes, lines spanning its 1 MiB chunks included", () => {
    const csv = new CsvChunks();
    let expected = "";
    for (let i = 0; i < 3000; i++) {
      // Long values (some over a chunk), multi-byte text, quotes: every path of the encoder.
      const synopsis = i % 1000 === 7 ? '😀"'.repeat(300_000) : `${"ß".repeat(i % 700)}"${i}"`;
      csv.addRow(fields, record(i, synopsis), [i + 1, i * 3]);
      expected += csvLine(fields, record(i, synopsis), [i + 1, i * 3]);
    }
    csv.addRow([], {}, [5, null, undefined, "reason", "x\u00e9"]);
    expected += csvLine([], {}, [5, null, undefined, "reason", "x\u00e9"]);
    expect(csv.rows).toBe(3001);
    expect(csv.chunks().length).toBeGreaterThan(3);
    expect(csv.byteLength).toBe(Buffer.byteLength(expected));
    expect(bytesOf(csv).equals(Buffer.from(expected))).toBe(true);
  });

  it("an empty CsvChunks has no bytes", () => {
    const csv = new CsvChunks();
    expect(csv.chunks()).toEqual([]);
    expect(csv.byteLength).toBe(0);
  });
});

describe("csvLine", () => {
  it("quotes text, doubles quotes, leaves NULL empty and writes text[] as array literals", () => {
    const line = csvLine(fields.slice(0, 4), { ownerId: 3, isbn10: null, isbn13: 'a"b', title: "" }, [
      1,
      null,
    ]);
    expect(line).toBe('"1",,3,,"a""b",""\n');
    const tags = csvLine([{ name: "t", nullable: true, type: { kind: "textArray" } } as FieldSpec], {
      t: ["a\\b", 'q"u', ""],
    });
    expect(tags).toBe('"{""a\\\\b"",""q\\""u"",""""}"\n');
  });
});
