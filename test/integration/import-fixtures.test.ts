import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importSnapshot } from "../../src/import/import.js";
import { READABLE_FORMAT_VERSIONS, requireFormat1 } from "../../src/snapshot/manifest.js";
import { resolveSnapshotPaths } from "../../src/snapshot/paths.js";
import { loadManifest } from "../../src/verify/data-file.js";
import { createTestDatabase } from "../helpers/db.js";
import {
  actualLibrary,
  addUser,
  expectedLibrary,
  importDeps,
  readSnapshotRecords,
  useCleanup,
} from "./import-support.js";

/** Snapshots made by the tool itself (test/fixtures/make-fixtures.ts); committed, never regenerated casually. */
const FIXTURES = [
  "normal-library",
  "unicode-emoji",
  "empty-and-maximal-fields",
  "user-without-books",
  "lists-sharing-books",
];
const FIXTURE_DIR = join(import.meta.dirname, "..", "fixtures");

const cleanup = useCleanup();

describe("offline replay fixtures", () => {
  it.each(FIXTURES)("%s replays into a fresh database with exactly its content", async (name) => {
    const paths = resolveSnapshotPaths(join(FIXTURE_DIR, name));
    const manifest = requireFormat1(await loadManifest(paths), "fixture");
    // Committed fixtures are the "older format" snapshots: whatever the current version, they must keep importing.
    expect(READABLE_FORMAT_VERSIONS).toContain(manifest.formatVersion);
    const db = await createTestDatabase();
    cleanup(() => db.drop());
    const devId = await db.withClient((c) => addUser(c, "dev@example.com"));
    const summary = await importSnapshot(
      {
        snapshot: paths.manifestPath,
        targetUrl: db.url,
        rejectsPath: join(tmpdir(), `${db.name}.rejects.ndjson`),
      },
      importDeps(),
    );
    const records = await readSnapshotRecords(paths);
    for (const model of ["Book", "ReadingList", "BookInReadingList"] as const) {
      expect(summary.models[model]?.imported).toBe(manifest.models[model].count);
      // PostgreSQL-built canonical JSON must equal JSON.stringify's, or verification falls back to a slower path.
      expect(summary.verification[model]).toMatchObject({ comparedWith: "manifest", method: "sql" });
    }
    expect(await db.withClient((c) => actualLibrary(c, devId))).toEqual(expectedLibrary(records));
  });
});
