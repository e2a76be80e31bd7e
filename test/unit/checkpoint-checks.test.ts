import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BooksnapError } from "../../src/errors.js";
import { assertCompleteRead, assertResumable } from "../../src/import/preflight.js";
import type { StagingCheckpoint } from "../../src/import/staging.js";
import type { SnapshotManifestV1 as SnapshotManifest } from "../../src/snapshot/manifest.js";

/**
 * The two checks on a staging checkpoint: a resume must continue the very same import, and a
 * finished read must account for every line and record the manifest declares. Written against
 * mutants that survived the resume tests (docs/security.md, "Mutation testing").
 */
const manifest: SnapshotManifest = JSON.parse(
  readFileSync(new URL("../fixtures/normal-library.manifest.json", import.meta.url), "utf8"),
);

const checkpoint: StagingCheckpoint = {
  snapshotSha256: "a".repeat(64),
  snapshotName: "lib",
  mode: "replace",
  userRef: "7",
  lastLine: manifest.data.lines,
  batches: 2,
  counts: {
    User: manifest.models.User.count,
    Book: manifest.models.Book.count,
    ReadingList: manifest.models.ReadingList.count,
    BookInReadingList: manifest.models.BookInReadingList.count,
  },
  startedAt: "2026-12-01T00:00:00.000Z",
  finished: false,
};

function refusal(check: () => void): BooksnapError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(BooksnapError);
    return error as BooksnapError;
  }
  throw new Error("the check passed");
}

describe("assertResumable", () => {
  it("lets the same snapshot, mode and user resume", () => {
    expect(() => assertResumable(checkpoint, "a".repeat(64), "replace", "7")).not.toThrow();
  });

  it.each([
    ["another snapshot", ["b".repeat(64), "replace", "7"], "snapshot lib"],
    ["another mode", ["a".repeat(64), "merge", "7"], "--mode replace"],
    ["another user", ["a".repeat(64), "replace", "8"], "user 7"],
  ] as const)(
    "refuses %s (exit 8), naming what the staged import used",
    (_what, [sha, mode, user], named) => {
      const error = refusal(() => assertResumable(checkpoint, sha, mode, user));
      expect(error.code).toBe("E_RESUME_MISMATCH");
      expect(error.exitCode).toBe(8);
      expect(error.message).toBe(
        `The staged import was started with a different ${named}; it cannot be resumed with these options`,
      );
      expect(error.hint).toContain("booksnap import --abort");
    },
  );

  it("names every difference at once", () => {
    const error = refusal(() => assertResumable(checkpoint, "b".repeat(64), "merge", "8"));
    expect(error.message).toContain("different snapshot lib, --mode replace, user 7;");
  });
});

describe("assertCompleteRead", () => {
  it("accepts a read that staged or rejected exactly what the manifest declares", () => {
    expect(() => assertCompleteRead(checkpoint, manifest)).not.toThrow();
    const withRejects = {
      ...checkpoint,
      counts: { ...checkpoint.counts, Book: manifest.models.Book.count - 2, "rejected:Book": 2 },
    };
    expect(() => assertCompleteRead(withRejects, manifest)).not.toThrow();
  });

  it("refuses a read that stopped short of the manifest's line count (exit 4)", () => {
    const error = refusal(() =>
      assertCompleteRead({ ...checkpoint, lastLine: manifest.data.lines - 1 }, manifest),
    );
    expect(error.code).toBe("E_DATA_COUNTS");
    expect(error.exitCode).toBe(4);
    expect(error.details.problems).toEqual([
      `read ${manifest.data.lines - 1} lines, the manifest lists ${manifest.data.lines}`,
    ]);
    expect(error.message).toBe(
      `The data file disagrees with its manifest: read ${manifest.data.lines - 1} lines, the manifest lists ${manifest.data.lines}`,
    );
  });

  it("refuses per-model counts that differ from the manifest, listing each model", () => {
    const counts = { ...checkpoint.counts, Book: manifest.models.Book.count + 1, ReadingList: 0 };
    const error = refusal(() => assertCompleteRead({ ...checkpoint, counts }, manifest));
    const problems = [
      `Book: ${manifest.models.Book.count + 1} records in the file, the manifest lists ${manifest.models.Book.count}`,
      `ReadingList: 0 records in the file, the manifest lists ${manifest.models.ReadingList.count}`,
    ];
    expect(error.details.problems).toEqual(problems);
    expect(error.message).toBe(`The data file disagrees with its manifest: ${problems.join("; ")}`);
    expect(error.hint).toBe("The snapshot was produced incorrectly; export it again.");
  });

  it("counts a model with no records staged as zero", () => {
    const { Book: _none, ...counts } = checkpoint.counts;
    const error = refusal(() => assertCompleteRead({ ...checkpoint, counts }, manifest));
    expect(error.details.problems).toEqual([
      `Book: 0 records in the file, the manifest lists ${manifest.models.Book.count}`,
    ]);
  });

  it("skips the per-model comparison when lines with no known model were rejected", () => {
    const counts = { ...checkpoint.counts, Book: 0, "rejected:unknown": 1 };
    expect(() => assertCompleteRead({ ...checkpoint, counts }, manifest)).not.toThrow();
  });
});
