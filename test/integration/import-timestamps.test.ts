import { describe, expect, it } from "vitest";
import {
  addUser,
  collect,
  importInto,
  makeSnapshot,
  readRejects,
  tableCounts,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

describe("timestamps that are not real instants", () => {
  it.each([
    ["a 30th of February", "2023-02-30T00:00:00.000Z"],
    ["hour 24", "2023-03-01T24:00:00.000Z"],
    ["a 29th of February outside a leap year", "2100-02-29T00:00:00.000Z"],
    ["second 60", "2023-03-01T12:00:60.000Z"],
    ["year 0 (PostgreSQL has none)", "0000-06-01T00:00:00.000Z"],
  ])(
    "%s is a validation reject with its line and reason (exit 6), nothing imported",
    async (_what, value) => {
      const { db, dir } = await setup();
      const records = await collect({ users: 1, books: 10, seed: 51 });
      const book = records.find((r) => r.model === "Book" && r.record.id === 4);
      if (!book) throw new Error("no book 4");
      // Date.parse rolls 2023-02-30 over to 2 March; PostgreSQL would refuse the batch.
      book.record = { ...book.record, readDate: value };
      const { paths } = await makeSnapshot(dir, "lib", records);
      await db.withClient((c) => addUser(c, "dev@example.com"));
      const before = await db.withClient(tableCounts);
      const run = await importInto(paths.manifestPath, db.url, "--yes", "--json");
      expect(run.code, run.stderr).toBe(6);
      expect((run.json().error as { code: string }).code).toBe("E_TOO_MANY_REJECTS");
      expect(await db.withClient(tableCounts)).toEqual(before);
      // The book, plus the list entries that point at it (constraint rejects, saying why).
      const invalid = (await readRejects(paths.rejectsPath)).filter((r) => r.category === "validation");
      expect(invalid).toHaveLength(1);
      expect(invalid[0]).toMatchObject({ model: "Book", record: { id: 4, readDate: value } });
      expect(invalid[0]?.reason).toContain("readDate");
      expect(invalid[0]?.reason).toContain("is not a real date");
    },
  );
});
