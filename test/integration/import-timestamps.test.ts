import { describe, expect, it } from "vitest";
import { addUser, collect, importInto, makeSnapshot, tableCounts, useImportSetup } from "./import-support.js";

const setup = useImportSetup();

describe("timestamps JavaScript accepts and PostgreSQL does not", () => {
  it("a 30th of February reaches PostgreSQL as text and is refused there, as every other value would be", async () => {
    const { db, dir } = await setup();
    const records = await collect({ users: 1, books: 10, seed: 51 });
    const book = records.find((r) => r.model === "Book" && r.record.id === 4);
    if (!book) throw new Error("no book 4");
    // Date.parse rolls it over to 2 March; PostgreSQL says it is out of range.
    book.record = { ...book.record, readDate: "2023-02-30T00:00:00.000Z" };
    const { paths } = await makeSnapshot(dir, "lib", records);
    await db.withClient((c) => addUser(c, "dev@example.com"));
    const before = await db.withClient(tableCounts);
    const run = await importInto(paths.manifestPath, db.url, "--yes", "--json");
    // The same outcome as when every row went to COPY as CSV text (binary COPY would have
    // stored 2 March): staging fails with PostgreSQL's error, nothing is imported.
    expect(run.code).toBe(1);
    const error = run.json().error as { code: string; message: string; details: { sqlstate: string } };
    expect(error.code).toBe("E_IMPORT_FAILED");
    expect(error.details.sqlstate).toBe("22008");
    expect(error.message).toContain('"2023-02-30T00:00:00.000Z"');
    expect(await db.withClient(tableCounts)).toEqual(before);
  });
});
