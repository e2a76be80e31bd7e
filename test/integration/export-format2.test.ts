import { describe, expect, it } from "vitest";
import { presetProjectConfig } from "../../src/config/project-config.js";
import { exportSnapshot } from "../../src/export/export.js";
import { testConnection, useLoadedSource } from "../helpers/export.js";
import { readManifestV2, readRowsByTable } from "../helpers/format2.js";

describe("export writes snapshot format 2", () => {
  const source = useLoadedSource({ users: 3, books: 25 }, "booksnap-f2-");

  it("describes the schema, counts and digests every table, rows ascend by primary key", async () => {
    const warnings: string[] = [];
    const result = await exportSnapshot(
      {
        connection: testConnection(source.db.url),
        outDir: source.work,
        name: "f2",
        config: presetProjectConfig(),
        redactionKey: "k".repeat(32),
        fetchRows: 7,
      },
      { now: () => new Date(), warn: (m) => warnings.push(m) },
    );
    const manifest = await readManifestV2(result.paths.manifestPath);
    expect(manifest.schema.description.tables.map((t) => t.name)).toEqual([
      "User",
      "Book",
      "ReadingList",
      "BookInReadingList",
    ]);
    expect(result.counts).toMatchObject({ User: 3, Book: 25 });
    const rows = await readRowsByTable(result.paths.dataPath, manifest);
    for (const [table, list] of Object.entries(rows)) {
      expect(list.length).toBe(manifest.tables[table]?.count);
    }
    const ids = (rows.Book ?? []).map((b) => b.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(manifest.redaction.mode).toBe("pseudonymised");
    expect(manifest.redaction.rules.map((r) => `${r.table}.${r.column}`)).toContain("User.email");
    for (const user of rows.User ?? []) expect(String(user.email)).toMatch(/example\.invalid$/);
    console.info(warnings.join("\n"));
  });
});
