import { stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VERIFY_FETCH_ROWS } from "../../src/import/cursor.js";
import { importSnapshot } from "../../src/import/import.js";
import type { OutgoingRecord } from "../../src/snapshot/snapshot-writer.js";
import {
  addUser,
  collect,
  importDeps,
  lineOf,
  makeSnapshot,
  readRejects,
  useImportSetup,
} from "./import-support.js";

const setup = useImportSetup();

describe("a dead-letter file longer than one cursor page", () => {
  it("holds every rejected record once, in line order, validation and constraint rejects interleaved (0600)", async () => {
    const { db, dir } = await setup();
    const books = VERIFY_FETCH_ROWS + 150;
    const records = await collect({ users: 1, books, listsPerUser: 0, seed: 41 });
    const first = records.find((r) => r.model === "Book") as OutgoingRecord;
    const invalid = new Set<number>();
    for (const r of records) {
      if (r.model !== "Book" || r === first) continue;
      const id = r.record.id as number;
      // Every 97th book fails validation; the others repeat the first book's isbn13 (a constraint reject).
      if (id % 97 === 0) {
        invalid.add(id);
        r.record = { ...r.record, visibility: "SECRET" };
      } else r.record = { ...r.record, isbn13: first.record.isbn13 };
    }
    const { paths } = await makeSnapshot(dir, "many", records);
    await db.withClient((c) => addUser(c, "dev@example.com"));
    const rejectsPath = join(dir, "many.rejects.ndjson");
    const refused = await importSnapshot(
      { snapshot: paths.manifestPath, targetUrl: db.url, rejectsPath },
      importDeps(),
    ).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "E_TOO_MANY_REJECTS", details: { rejected: books - 1 } });
    const rejects = await readRejects(rejectsPath);
    const bookIds = records
      .filter((r) => r.model === "Book" && r !== first)
      .map((r) => r.record.id as number);
    expect(rejects.map((r) => r.line)).toEqual(bookIds.map((id) => lineOf(records, "Book", id)));
    expect(rejects.map((r) => (r.record as { id: number }).id)).toEqual(bookIds);
    expect(rejects.map((r) => r.category)).toEqual(
      bookIds.map((id) => (invalid.has(id) ? "validation" : "constraint")),
    );
    const last = rejects.at(-1) as Record<string, unknown>;
    const lastRecord = records.find((r) => r.model === "Book" && r.record.id === bookIds.at(-1));
    expect(last.record).toEqual(lastRecord?.record);
    expect((await stat(rejectsPath)).mode & 0o777).toBe(0o600);
  });
});
