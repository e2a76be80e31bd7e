import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BooksnapError } from "../../src/errors.js";
import { sha256Hex, stableStringify } from "../../src/snapshot/canonical.js";
import {
  MAX_MANIFEST_BYTES,
  manifestTables,
  parseManifest,
  type SnapshotManifestV2,
  signManifest,
  type UnsignedManifestV2,
} from "../../src/snapshot/manifest.js";
import { syntheticDescription } from "../helpers/synthetic-description.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

function v2(tables: number, columns: number): SnapshotManifestV2 {
  const description = syntheticDescription(tables, columns);
  const unsigned: UnsignedManifestV2 = {
    formatVersion: 2,
    tool: { name: "booksnap", version: "0.3.0" },
    createdAt: "2026-12-01T12:00:00.000Z",
    source: {
      host: "db.example.com",
      port: 5432,
      database: "app",
      serverVersion: "18.1",
      tls: "verify-full",
      isolation: "repeatable read, read only",
    },
    schema: { fingerprint: `sha256:${sha256Hex(stableStringify(description))}`, description },
    tables: Object.fromEntries(description.tables.map((t) => [t.name, { count: 1, digest: DIGEST }])),
    filters: { owners: [], where: [], addedByReference: {} },
    redaction: {
      mode: "pseudonymised",
      keyId: "0123456789abcdef",
      rules: [{ table: "Table0", column: "column2", kind: "freeText" }],
      uncovered: [{ table: "Table0", column: "column3", replacement: "null" }],
    },
    data: {
      file: "snap.ndjson.zst",
      encoding: "ndjson",
      compression: "zstd",
      bytes: 10,
      uncompressedBytes: 100,
      lines: tables,
      sha256: "cd".repeat(32),
    },
  };
  return signManifest(unsigned);
}

function refusal(manifest: unknown): BooksnapError {
  const { manifestChecksum: _old, ...rest } = manifest as SnapshotManifestV2;
  try {
    parseManifest(JSON.stringify(signManifest(rest as UnsignedManifestV2)), "test");
  } catch (error) {
    expect(error).toBeInstanceOf(BooksnapError);
    return error as BooksnapError;
  }
  throw new Error("parseManifest accepted the manifest");
}

describe("format 2 manifest", () => {
  it("parses what it signs, tables in the description's order", () => {
    const manifest = v2(4, 12);
    const parsed = parseManifest(JSON.stringify(manifest, null, 2), "test");
    expect(parsed).toEqual(manifest);
    expect(manifestTables(parsed).map((t) => t.table)).toEqual(["Table0", "Table1", "Table2", "Table3"]);
  });

  it("still parses every format-1 fixture", () => {
    for (const name of ["normal-library", "empty-and-maximal-fields", "unicode-emoji"]) {
      const text = readFileSync(new URL(`../fixtures/${name}.manifest.json`, import.meta.url), "utf8");
      const parsed = parseManifest(text, name);
      expect(parsed.formatVersion).toBe(1);
      expect(manifestTables(parsed).map((t) => t.table)).toEqual([
        "User",
        "Book",
        "ReadingList",
        "BookInReadingList",
      ]);
    }
  });

  it("fits a 60-table schema well under the size cap (measured, pretty-printed)", () => {
    const small = JSON.stringify(v2(4, 12), null, 2).length;
    const large = JSON.stringify(v2(60, 12), null, 2).length;
    const wide = JSON.stringify(v2(60, 60), null, 2).length;
    console.info(`manifest bytes: 4x12 ${small}, 60x12 ${large}, 60x60 ${wide}`);
    expect(wide * 4).toBeLessThan(MAX_MANIFEST_BYTES);
  });

  it("refuses a table entry that is not described, and a described table without entry", () => {
    const extra = v2(2, 4);
    extra.tables.Ghost = { count: 0, digest: DIGEST };
    expect(refusal(extra).message).toContain("Ghost: not a described table");
    const missing = v2(2, 4);
    delete missing.tables.Table1;
    expect(refusal(missing).message).toContain("no entry for described table Table1");
  });

  it("refuses line counts that disagree with the table counts", () => {
    const manifest = v2(2, 4);
    manifest.data.lines = 5;
    expect(refusal(manifest).code).toBe("E_MANIFEST_INVALID");
  });

  it("refuses unknown keys, unknown kinds and over-long identifiers in the description", () => {
    const unknownKey = v2(1, 4) as unknown as {
      schema: { description: { tables: Array<Record<string, unknown>> } };
    };
    (unknownKey.schema.description.tables[0] as Record<string, unknown>).owner = "x";
    expect(refusal(unknownKey).code).toBe("E_MANIFEST_INVALID");
    const kind = v2(1, 4);
    (kind.schema.description.tables[0]?.columns[1]?.type as { kind: string }).kind = "money";
    expect(refusal(kind).code).toBe("E_MANIFEST_INVALID");
    const long = v2(1, 4);
    (long.schema.description.tables[0]?.columns[1] as { name: string }).name = "é".repeat(32);
    expect(refusal(long).message).toContain("PostgreSQL identifier");
  });

  it("refuses tables out of foreign-key order and redaction rules on unknown columns", () => {
    const order = v2(3, 4);
    order.schema.description.tables.reverse();
    expect(refusal(order).message).toContain("which it references");
    const rule = v2(1, 4);
    rule.redaction.rules.push({ table: "Table0", column: "nope", kind: "email" });
    expect(refusal(rule).message).toContain("Table0.nope is not a described column");
  });

  it("refuses an enum column whose enum is not described", () => {
    const manifest = v2(1, 8);
    manifest.schema.description.enums = {};
    expect(refusal(manifest).message).toContain("undescribed enum");
  });
});
