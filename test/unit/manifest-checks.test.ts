import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BooksnapError } from "../../src/errors.js";
import {
  manifestChecksum,
  manifestCounts,
  parseManifest,
  type SnapshotManifestV1 as SnapshotManifest,
  signManifest,
} from "../../src/snapshot/manifest.js";

/**
 * parseManifest is the gate for untrusted manifest text. Each case here is re-signed, so only the
 * shape check can refuse it; these were written against mutants that survived the corpus
 * (docs/security.md, "Mutation testing").
 */
const WHERE = "/snapshots/lib.manifest.json";
const fixture: SnapshotManifest = JSON.parse(
  readFileSync(new URL("../fixtures/normal-library.manifest.json", import.meta.url), "utf8"),
);
/** A manifest as hostile input can shape it: any field may be changed or removed. */
// biome-ignore lint/suspicious/noExplicitAny: the cases edit arbitrary nested fields.
type Editable = any;
const HEX = "0123456789abcdef".repeat(4);

/** The fixture with one change, signed again so the checksum matches. */
function variant(change: (m: Editable) => void): string {
  const copy: Editable = structuredClone(fixture);
  delete copy.manifestChecksum;
  change(copy);
  return JSON.stringify(signManifest(copy as SnapshotManifest));
}

function refusal(text: string): BooksnapError {
  try {
    parseManifest(text, WHERE);
  } catch (error) {
    expect(error).toBeInstanceOf(BooksnapError);
    return error as BooksnapError;
  }
  throw new Error("parseManifest accepted the manifest");
}

/** Asserts the manifest is refused for its shape, naming the offending field. */
function expectInvalid(text: string, field: string): void {
  const error = refusal(text);
  expect(error.code).toBe("E_MANIFEST_INVALID");
  expect(error.category).toBe("integrity");
  expect(error.message).toContain(`Manifest ${WHERE} is malformed: `);
  expect(error.details.problems).toEqual(expect.arrayContaining([expect.stringMatching(`^${field}: `)]));
}

describe("parseManifest", () => {
  it("accepts an exported manifest unchanged", () => {
    expect(parseManifest(JSON.stringify(fixture), WHERE)).toEqual(fixture);
  });

  it("refuses text that is not JSON, naming the file", () => {
    const error = refusal("{ not json");
    expect(error.code).toBe("E_MANIFEST_JSON");
    expect(error.message).toBe(`Manifest ${WHERE} is not valid JSON`);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([["null"], ["[]"], ["42"], ['"manifest"']])("refuses the JSON value %s as a whole", (text) => {
    expectInvalid(text, "\\(root\\)");
  });

  it("refuses a format version it cannot read, saying which it reads", () => {
    const error = refusal(variant((m) => ((m as { formatVersion: number }).formatVersion = 3)));
    expect(error.code).toBe("E_FORMAT_VERSION");
    expect(error.message).toBe("Snapshot format version 3 is not supported by this booksnap (reads 1, 2)");
    expect(error.hint).toMatch(/Upgrade booksnap/);
  });

  it("treats a format version that is not a number as a malformed manifest, not a newer format", () => {
    expectInvalid(
      variant((m) => (m.formatVersion = "1")),
      "formatVersion",
    );
    expectInvalid(
      variant((m) => delete m.formatVersion),
      "formatVersion",
    );
  });

  it.each([
    ["empty", ""],
    ["a path", "sub/lib.ndjson.zst"],
    ["a Windows path", "sub\\lib.ndjson.zst"],
    ["the directory itself", "."],
    ["the parent directory", ".."],
    ["a NUL byte", "lib\u0000.ndjson.zst"],
    ["over 255 characters", `${"x".repeat(256)}`],
  ])("refuses a data file name that is %s", (_what, file) => {
    expectInvalid(
      variant((m) => (m.data.file = file)),
      "data\\.file",
    );
  });

  it("accepts plain names that merely contain dots", () => {
    for (const file of ["..lib.ndjson.zst", "lib..ndjson.zst", ".lib", "x".repeat(255)]) {
      expect(
        parseManifest(
          variant((m) => (m.data.file = file)),
          WHERE,
        ).data.file,
      ).toBe(file);
    }
  });

  it.each([
    ["without the sha256: prefix", HEX],
    ["with a prefix before sha256:", `xsha256:${HEX}`],
    ["with a trailing character", `sha256:${HEX}0`],
    ["one digit short", `sha256:${HEX.slice(1)}`],
    ["in upper case", `sha256:${HEX.toUpperCase()}`],
    ["with a non-hex digit", `sha256:${HEX.slice(1)}g`],
  ])("refuses a schema fingerprint %s", (_what, fingerprint) => {
    expectInvalid(
      variant((m) => (m.schema.fingerprint = fingerprint)),
      "schema\\.fingerprint",
    );
  });

  it.each([
    ["with the sha256: prefix", `sha256:${HEX}`],
    ["with a trailing character", `${HEX}0`],
    ["with a leading character", `0${HEX}`],
    ["one digit short", HEX.slice(1)],
    ["in upper case", HEX.toUpperCase()],
  ])("refuses a data SHA-256 %s", (_what, sha256) => {
    expectInvalid(
      variant((m) => (m.data.sha256 = sha256)),
      "data\\.sha256",
    );
  });

  it("refuses a manifest checksum in another format as malformed, before comparing it", () => {
    const text = JSON.stringify({ ...fixture, manifestChecksum: `md5:${HEX}` });
    expectInvalid(text, "manifestChecksum");
  });

  it.each([
    ["a negative record count", (m: Editable) => (m.models.Book.count = -1), "models\\.Book\\.count"],
    ["a fractional record count", (m: Editable) => (m.models.Book.count = 1.5), "models\\.Book\\.count"],
    ["a model missing", (m: Editable) => delete m.models.ReadingList, "models\\.ReadingList"],
    ["an unknown key in a model's stats", (m: Editable) => (m.models.User.extra = 1), "models\\.User"],
    ["a negative byte size", (m: Editable) => (m.data.bytes = -1), "data\\.bytes"],
    [
      "a negative uncompressed size",
      (m: Editable) => (m.data.uncompressedBytes = -1),
      "data\\.uncompressedBytes",
    ],
    ["a negative line count", (m: Editable) => (m.data.lines = -1), "data\\.lines"],
    ["another encoding", (m: Editable) => (m.data.encoding = "csv"), "data\\.encoding"],
    ["another compression", (m: Editable) => (m.data.compression = "gzip"), "data\\.compression"],
    ["another tool", (m: Editable) => (m.tool.name = "pg_dump"), "tool\\.name"],
    ["an unknown TLS mode", (m: Editable) => (m.source.tls = "prefer"), "source\\.tls"],
    ["another isolation", (m: Editable) => (m.source.isolation = "read committed"), "source\\.isolation"],
    ["a fractional port", (m: Editable) => (m.source.port = 5432.5), "source\\.port"],
    ["an unknown redaction mode", (m: Editable) => (m.redaction.mode = "partial"), "redaction\\.mode"],
    ["a creation time that is not ISO 8601", (m: Editable) => (m.createdAt = "yesterday"), "createdAt"],
    [
      "a negative count of added books",
      (m: Editable) => (m.filters.referencedBooksAdded = -1),
      "filters\\.referencedBooksAdded",
    ],
    [
      "an unknown key in a schema field",
      (m: Editable) => (m.schema.models.User[0].extra = 1),
      "schema\\.models\\.User\\.0",
    ],
  ])("refuses %s", (_what, change, field) => {
    expectInvalid(variant(change), field);
  });

  it("reports every problem at once", () => {
    const error = refusal(
      variant((m) => {
        m.data.file = "../x";
        m.models.Book.count = -1;
      }),
    );
    expect(error.details.problems).toEqual([
      "models.Book.count: Too small: expected number to be >=0",
      "data.file: must be a plain file name inside the snapshot directory",
    ]);
    expect(error.message).toBe(
      `Manifest ${WHERE} is malformed: models.Book.count: Too small: expected number to be >=0; data.file: must be a plain file name inside the snapshot directory`,
    );
  });

  describe("encryption block", () => {
    const encryption = {
      scheme: "aes-256-gcm-chunked",
      kdf: "scrypt",
      kdfParams: { N: 32768, r: 8, p: 1 },
      chunkBytes: 65536,
    };

    it("accepts the block export --encrypt writes", () => {
      const parsed = parseManifest(
        variant((m) => (m.data.encryption = encryption)),
        WHERE,
      );
      expect(parsed.data.encryption).toEqual(encryption);
    });

    it.each([
      ["another scheme", { ...encryption, scheme: "aes-128-cbc" }, "data\\.encryption\\.scheme"],
      ["another KDF", { ...encryption, kdf: "pbkdf2" }, "data\\.encryption\\.kdf"],
      ["a zero chunk size", { ...encryption, chunkBytes: 0 }, "data\\.encryption\\.chunkBytes"],
      [
        "an unknown key (a secret must never be stored)",
        { ...encryption, passphrase: "x" },
        "data\\.encryption",
      ],
      [
        "an unknown KDF parameter",
        { ...encryption, kdfParams: { N: 32768, r: 8, p: 1, salt: "x" } },
        "data\\.encryption\\.kdfParams",
      ],
      [
        "a fractional KDF parameter",
        { ...encryption, kdfParams: { N: 32768.5, r: 8, p: 1 } },
        "data\\.encryption\\.kdfParams\\.N",
      ],
    ])("refuses %s", (_what, block, field) => {
      expectInvalid(
        variant((m) => (m.data.encryption = block)),
        field,
      );
    });
  });

  it("refuses an edited manifest whose checksum no longer matches, with both checksums", () => {
    const edited = { ...fixture, source: { ...fixture.source, database: "production" } };
    const error = refusal(JSON.stringify(edited));
    expect(error.code).toBe("E_MANIFEST_CHECKSUM");
    expect(error.message).toBe(`Manifest ${WHERE} was modified: its checksum does not match`);
    expect(error.hint).toMatch(/edited or corrupted after export/);
    expect(error.details).toEqual({ expected: manifestChecksum(edited), recorded: fixture.manifestChecksum });
  });
});

describe("manifest checksum and counts", () => {
  it("signs over everything but the checksum field itself", () => {
    expect(manifestChecksum(fixture)).toBe(fixture.manifestChecksum);
    const { manifestChecksum: _drop, ...unsigned } = fixture;
    expect(signManifest(unsigned)).toEqual(fixture);
    expect(manifestChecksum({ ...unsigned, createdAt: "2026-11-27T02:54:34.449Z" })).not.toBe(
      fixture.manifestChecksum,
    );
  });

  it("reads the declared record count of every model", () => {
    expect(manifestCounts(fixture)).toEqual({
      User: fixture.models.User.count,
      Book: fixture.models.Book.count,
      ReadingList: fixture.models.ReadingList.count,
      BookInReadingList: fixture.models.BookInReadingList.count,
    });
  });
});
