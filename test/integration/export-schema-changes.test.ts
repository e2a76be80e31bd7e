import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { exportSnapshot } from "../../src/export/export.js";
import { verifySnapshot } from "../../src/verify/verify.js";
import { bookAppConfig, testConnection, useLoadedSource } from "../helpers/export.js";
import { readManifestV2, readRowsByTable } from "../helpers/format2.js";

/**
 * The app's next migration needs no booksnap release: a new nullable column, a new boolean
 * column and a new enum value export and verify with the same build and the same config.
 */
describe("export after the app's next migration", () => {
  const source = useLoadedSource({ users: 2, books: 12 }, "booksnap-next-migration-");

  it("a nullable column, a boolean column and an enum value: exported as they are, verified", async () => {
    await source.db.withClient(async (c) => {
      await c.query(`ALTER TABLE "Book" ADD COLUMN "subtitle" text`);
      await c.query(`ALTER TABLE "Book" ADD COLUMN "isPublic" boolean NOT NULL DEFAULT false`);
      await c.query(`ALTER TYPE "BookVisibility" ADD VALUE 'ARCHIVED'`);
    });
    await source.db.withClient(async (c) => {
      await c.query(
        `UPDATE "Book" SET "subtitle" = 'A sequel', "isPublic" = true, "visibility" = 'ARCHIVED' WHERE id = 2`,
      );
    });
    const result = await exportSnapshot(
      {
        connection: testConnection(source.db.url),
        outDir: source.work,
        name: "next",
        config: bookAppConfig(),
        redactionKey: "k".repeat(32),
      },
      { now: () => new Date() },
    );
    const manifest = await readManifestV2(result.paths.manifestPath);
    const book = manifest.schema.description.tables.find((t) => t.name === "Book");
    expect(book?.columns.slice(-2).map((c) => [c.name, c.type.kind, c.nullable])).toEqual([
      ["subtitle", "text", true],
      ["isPublic", "bool", false],
    ]);
    expect(manifest.schema.description.enums.BookVisibility).toContain("ARCHIVED");
    // Book has no redaction rules: its new columns are data, not uncovered PII.
    expect(manifest.redaction.uncovered).toEqual([]);
    const rows = await readRowsByTable(result.paths.dataPath, manifest);
    const second = rows.Book?.find((b) => b.id === 2);
    expect(second).toMatchObject({ subtitle: "A sequel", isPublic: true, visibility: "ARCHIVED" });
    expect(rows.Book?.find((b) => b.id === 1)).toMatchObject({ subtitle: null, isPublic: false });
    await expect(verifySnapshot(result.paths.manifestPath)).resolves.toMatchObject({
      counts: { Book: 12 },
    });
  });

  it("a new column of a table with redaction rules is not copied in clear: replaced, reported, recorded", async () => {
    await source.db.withClient(async (c) => {
      await c.query(`ALTER TABLE "User" ADD COLUMN "phone" text NOT NULL DEFAULT '+1 555 0100'`);
    });
    const warnings: string[] = [];
    const result = await exportSnapshot(
      {
        connection: testConnection(source.db.url),
        outDir: source.work,
        name: "phone",
        config: bookAppConfig(),
        redactionKey: "k".repeat(32),
      },
      { now: () => new Date(), warn: (m) => warnings.push(m) },
    );
    expect(result.uncovered.map((u) => [u.table, u.column, u.replacement])).toEqual([
      ["User", "phone", "pseudonym"],
    ]);
    expect(warnings.join("\n")).toContain("User.phone");
    expect(result.suggestedRules.join("\n")).toContain('"phone":');
    const manifest = await readManifestV2(result.paths.manifestPath);
    expect(manifest.redaction.uncovered).toEqual([
      { table: "User", column: "phone", replacement: "pseudonym" },
    ]);
    const rows = await readRowsByTable(result.paths.dataPath, manifest);
    for (const user of rows.User ?? []) expect(user.phone).not.toBe("+1 555 0100");
    await expect(verifySnapshot(result.paths.manifestPath)).resolves.toBeDefined();
  });

  it("a row holding a multi-dimensional array is refused with the table, column and key, and no snapshot is written", async () => {
    await source.db.withClient(async (c) => {
      await c.query(`UPDATE "Book" SET "authors" = '{{a,b},{c,d}}' WHERE id = 5`);
    });
    const error = await exportSnapshot(
      {
        connection: testConnection(source.db.url),
        outDir: source.work,
        name: "two-dims",
        config: bookAppConfig(),
        redactionKey: null,
      },
      { now: () => new Date() },
    ).catch((e: unknown) => e as { code: string; message: string; exitCode: number });
    expect(error).toMatchObject({ code: "E_UNSUPPORTED_VALUE", exitCode: 5 });
    expect(String((error as { message?: string }).message)).toContain('"Book"."authors"');
    expect(String((error as { message?: string }).message)).toContain("id = ");
    expect(await readdir(source.work)).not.toContain("two-dims.manifest.json");
  });
});
