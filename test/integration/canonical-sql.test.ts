import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, disconnect } from "../../src/db/connect.js";
import { copyOutLines } from "../../src/db/copy-out.js";
import { canonicalJson } from "../../src/snapshot/canonical.js";
import { canonicalJsonSql } from "../../src/snapshot/canonical-sql.js";
import { MODELS, type ModelSpec, quoteIdent, selectList } from "../../src/snapshot/models.js";
import { createTestDatabase, type TestDatabase } from "../helpers/db.js";
import { testConnection } from "../helpers/export.js";

/** Every control character, quotes, backslashes, DEL, line/paragraph separators, astral and combining characters. */
const CONTROL = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join("");
const AWKWARD = [
  `quote " backslash \\ slash / ${CONTROL} del \u007f`,
  "\u2028\u2029 sep, emoji 📚🧑‍💻, combining e\u0301, CJK 書, RTL שלום",
  "",
  "\\u0041 is not an escape here, nor is \\n",
];

describe("PostgreSQL-rendered canonical JSON", () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.withClient(async (c) => {
      await c.query(
        `INSERT INTO "User" (id, "clerkId", email, name, "createdAt", "updatedAt")
         VALUES (1, $1, 'a@example.com', NULL, '0001-01-01 00:00:00', '2024-02-29 23:59:59.999'),
                (7, $2, 'b@example.com', $3, '2024-01-01 00:00:00.5', '9999-12-31 23:59:59.001')`,
        [AWKWARD[0], AWKWARD[1], AWKWARD[3]],
      );
      for (const [i, text] of AWKWARD.entries()) {
        await c.query(
          `INSERT INTO "Book" (id, "ownerId", isbn10, isbn13, title, "titleLong", language, synopsis, image,
             "imageOriginal", publisher, edition, "pageCount", "datePublished", subjects, authors, binding,
             visibility, "readDate", "createdAt", "updatedAt")
           VALUES ($1, 7, $2, $3, $4, $4, 'en', $4, '', $4, $4, $5, $6, '2020', $7, $8, $4, $9, $10, now(), now())`,
          [
            10 + i * 3,
            String(i).padStart(10, "0"),
            String(i).padStart(13, "9"),
            text,
            i % 2 === 0 ? null : text,
            i === 0 ? 2147483647 : -i,
            i === 1 ? null : [text, "", "plain"],
            i === 2 ? [] : [`"${text}"`],
            i % 2 === 0 ? "PRIVATE" : "UNLISTED",
            i === 3 ? null : "2023-06-15 12:00:00.01",
          ],
        );
      }
      await c.query(
        `INSERT INTO "ReadingList" (id, "ownerId", title, description, type, year, "createdAt", "updatedAt")
         VALUES (3, 7, $1, NULL, 'FAVORITES_YEAR', 2024, now(), now()), (4, 1, $2, $2, 'STANDARD', NULL, now(), now())`,
        [AWKWARD[1], AWKWARD[0]],
      );
      await c.query(
        `INSERT INTO "BookInReadingList" (id, "bookId", "readingListId", position, notes, "addedAt")
         VALUES (1, 10, 3, 0, $1, now()), (2, 13, 4, -5, NULL, now())`,
        [AWKWARD[0]],
      );
    });
    client = await connect({ ...testConnection(db.url), readOnly: true, applicationName: "booksnap-test" });
  });
  afterAll(async () => {
    if (client) await disconnect(client);
    await db?.drop();
  });

  /** What JS writes for the rows (the pre-rendering export path): rows read with booksnap's type parsers. */
  async function jsCanonical(spec: ModelSpec): Promise<string[]> {
    const { rows } = await client.query<Record<string, unknown>>(
      `SELECT ${selectList(spec)} FROM ${quoteIdent(spec.table)} ORDER BY id`,
    );
    return rows.map((row) => {
      for (const field of spec.fields) {
        if (field.type.kind === "textArray" && row[field.name] === null) row[field.name] = [];
      }
      return canonicalJson(spec, row);
    });
  }

  async function rendered(spec: ModelSpec): Promise<string[]> {
    const chunks: Buffer[] = [];
    let lines = 0;
    const json = canonicalJsonSql(spec, (field) => quoteIdent(field.name), "[]");
    const query = `SELECT ${json} FROM ${quoteIdent(spec.table)} ORDER BY "id"`;
    for await (const chunk of copyOutLines(client, query)) {
      chunks.push(chunk.bytes);
      lines += chunk.lines;
    }
    const text = Buffer.concat(chunks).toString("utf8");
    expect(text.endsWith("\n")).toBe(true);
    const out = text.slice(0, -1).split("\n");
    expect(out).toHaveLength(lines);
    return out;
  }

  it.each(MODELS.map((spec) => [spec.name, spec] as const))(
    "%s: byte for byte what JSON.stringify writes, awkward text, NULLs and edge values included",
    async (_name, spec) => {
      const expected = await jsCanonical(spec);
      expect(expected.length).toBeGreaterThan(0);
      expect(await rendered(spec)).toEqual(expected);
    },
  );
});
