import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isBooksnapError } from "../../src/errors.js";
import { FORMAT1_SCHEMA, format1FieldList } from "../../src/snapshot/format1-layout.js";
import { parseManifest, type SnapshotManifest } from "../../src/snapshot/manifest.js";
import { snapshotSchemaOf } from "../../src/snapshot/snapshot-schema.js";

const fixtures = join(import.meta.dirname, "..", "fixtures");
const manifests = (await readdir(fixtures)).filter((name) => name.endsWith(".manifest.json"));

describe("snapshotSchemaOf", () => {
  it.each(manifests)("format 1 (%s): the frozen format-1 description", async (name) => {
    const manifest = parseManifest(await readFile(join(fixtures, name), "utf8"), name);
    expect(manifest.formatVersion).toBe(1);
    expect(snapshotSchemaOf(manifest)).toEqual(FORMAT1_SCHEMA);
  });

  it("the frozen description renders exactly the field list format-1 manifests record", async () => {
    const manifest = JSON.parse(await readFile(join(fixtures, "normal-library.manifest.json"), "utf8"));
    expect(format1FieldList()).toEqual(manifest.schema.models);
    expect(Object.isFrozen(FORMAT1_SCHEMA.tables[0]?.columns[0]?.type)).toBe(true);
  });

  it("format 1 written with ReadingList.year as text: that column is text, the rest is the frozen layout", () => {
    const models = format1FieldList();
    const year = models.ReadingList?.find((f) => f.name === "year");
    if (year) year.type = "text";
    const manifest = JSON.parse(readFileSync(join(fixtures, "normal-library.manifest.json"), "utf8"));
    const description = snapshotSchemaOf({ ...manifest, schema: { fingerprint: "x", models } });
    const lists = description.tables.find((t) => t.name === "ReadingList");
    expect(lists?.columns.find((c) => c.name === "year")?.type).toEqual({
      kind: "text",
      array: false,
      sql: "text",
    });
    expect({ ...description, tables: description.tables.filter((t) => t.name !== "ReadingList") }).toEqual({
      ...FORMAT1_SCHEMA,
      tables: FORMAT1_SCHEMA.tables.filter((t) => t.name !== "ReadingList"),
    });
  });

  it.each([
    ["a column missing", (m: Record<string, { name: string; type: string }[]>) => m.Book?.splice(3, 1)],
    ["a table missing", (m: Record<string, unknown>) => delete m.BookInReadingList],
    [
      "an unknown type",
      (m: Record<string, { name: string; type: string }[]>) => {
        if (m.Book?.[0]) m.Book[0].type = "bigint";
      },
    ],
  ] as const)("a format-1 field list no booksnap wrote (%s) is refused, not guessed", (_what, change) => {
    const models = format1FieldList();
    change(models as never);
    const manifest = JSON.parse(readFileSync(join(fixtures, "normal-library.manifest.json"), "utf8"));
    const refused = (() => {
      try {
        snapshotSchemaOf({ ...manifest, schema: { fingerprint: "x", models } });
      } catch (error) {
        return error;
      }
    })();
    expect(isBooksnapError(refused) && refused.code).toBe("E_FORMAT_VERSION");
  });

  it("format 2: the description the manifest records", () => {
    const description = { schema: "public", tables: [], enums: {} };
    const manifest = {
      formatVersion: 2,
      schema: { fingerprint: "x", description },
    } as unknown as SnapshotManifest;
    expect(snapshotSchemaOf(manifest)).toBe(description);
  });
});
