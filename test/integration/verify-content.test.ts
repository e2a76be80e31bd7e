import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { generateLibrary } from "../../src/dataset/generate.js";
import { SnapshotIntegrityError } from "../../src/errors.js";
import type { OutgoingRecord } from "../../src/snapshot/snapshot-writer.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { verifySnapshot } from "../../src/verify/verify.js";
import { testDescription } from "../helpers/snapshot.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Writes a correctly signed snapshot of whatever records it is given (the writer does not judge them). */
async function snapshotOf(records: OutgoingRecord[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "booksnap-vc-"));
  dirs.push(dir);
  async function* source() {
    yield* records;
  }
  const { paths } = await writeSnapshot(dir, "s", source(), testDescription());
  return paths.manifestPath;
}

async function library(): Promise<OutgoingRecord[]> {
  const out: OutgoingRecord[] = [];
  for await (const r of generateLibrary({ users: 2, books: 6, listsPerUser: 1, entriesPerList: 2 }))
    out.push({ model: r.model, record: { ...r.record } });
  return out;
}

async function failure(path: string): Promise<SnapshotIntegrityError> {
  const error = await verifySnapshot(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SnapshotIntegrityError);
  return error as SnapshotIntegrityError;
}

describe("verify checks the content, not only the checksums", () => {
  it("accepts a consistent snapshot", async () => {
    const result = await verifySnapshot(await snapshotOf(await library()));
    expect(result.counts).toEqual({ User: 2, Book: 6, ReadingList: 2, BookInReadingList: 4 });
  });

  it("a reference to a record outside the snapshot is named with its line and field", async () => {
    const records = await library();
    const book = records.find((r) => r.model === "Book" && r.record.id === 4) as OutgoingRecord;
    (book.record as Record<string, unknown>).ownerId = 99;
    const error = await failure(await snapshotOf(records));
    expect(error.code).toBe("E_DANGLING_REFERENCE");
    expect(error.message).toBe("Line 6 (Book): ownerId: User 99 is not in the snapshot");
    expect(error.details).toMatchObject({ line: 6, model: "Book", field: "ownerId" });
    expect(error.exitCode).toBe(4);
  });

  it("models out of foreign-key order are refused", async () => {
    const records = await library();
    const user = records[0] as OutgoingRecord;
    records.push({ model: "User", record: { ...user.record, id: 3 } }); // a User after the list entries
    const error = await failure(await snapshotOf(records));
    expect(error.code).toBe("E_RECORD_ORDER");
    expect(error.message).toContain("User record after BookInReadingList records");
  });

  it("duplicate or descending ids are refused", async () => {
    const records = await library();
    const third = records.find((r) => r.model === "Book" && r.record.id === 3) as OutgoingRecord;
    (third.record as Record<string, unknown>).id = 2;
    const error = await failure(await snapshotOf(records));
    expect(error.code).toBe("E_RECORD_ORDER");
    expect(error.details).toMatchObject({ model: "Book", field: "id" });
  });

  it("a record of the wrong shape is named with its line, model and field", async () => {
    const records = await library();
    const list = records.find((r) => r.model === "ReadingList") as OutgoingRecord;
    (list.record as Record<string, unknown>).visibility = "SECRET";
    const error = await failure(await snapshotOf(records));
    expect(error.code).toBe("E_RECORD_INVALID");
    expect(error.details).toMatchObject({ line: 9, model: "ReadingList", field: "visibility" });
  });

  it("a missing data file and a missing manifest are integrity errors", async () => {
    const manifest = await snapshotOf(await library());
    await rm(manifest.replace(".manifest.json", ".ndjson.zst"));
    expect((await failure(manifest)).code).toBe("E_DATA_MISSING");
    await rm(manifest);
    expect((await failure(manifest)).code).toBe("E_MANIFEST_MISSING");
  });
});
