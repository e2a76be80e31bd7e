/**
 * Generates the bad-input corpus: crafted snapshots under test/corpus/cases/<case>/, each with
 * `snap.manifest.json`, `snap.ndjson.zst` and `expected.json` (what verify and import must do).
 *
 *   npx tsx test/corpus/make-corpus.ts
 *
 * Everything derives from one small valid snapshot made by the real snapshot writer. Two kinds:
 * - file-level damage (integrity): manifest/data inconsistent, undecodable, unsafe → exit 4,
 *   nothing written;
 * - "valid file, invalid records": the manifest is re-signed to match the bad data exactly, so
 *   integrity passes and only record validation can catch the problem → import rejects the
 *   records into the dead-letter file (with line numbers), exit 6, database unchanged.
 * The output is deterministic (seeded data, fixed clock), so re-running it changes nothing.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compress } from "zstd-napi";
import { generateLibrary } from "../../src/dataset/generate.js";
import { canonicalJson, ModelDigest } from "../../src/snapshot/canonical.js";
import { type SnapshotManifestV1 as SnapshotManifest, signManifest } from "../../src/snapshot/manifest.js";
import { MODEL_NAMES, type ModelName, modelSpec } from "../../src/snapshot/models.js";
import { decodeRecordLine } from "../../src/snapshot/record-line.js";
import { writeSnapshot } from "../../src/snapshot/snapshot-writer.js";
import type { CorpusCase, Expectation } from "./expected.js";

const here = dirname(fileURLToPath(import.meta.url));
const casesDir = join(here, "cases");
const NAME = "snap";

/** Line numbers of the base snapshot (1 user, 4 books, 2 lists, 4 entries). */
const LINE = { user: 1, book1: 2, book2: 3, book3: 4, book4: 5, list1: 6, list2: 7, entry1: 8, entry4: 11 };

interface Built {
  /** undefined: no manifest file at all. */
  manifest: unknown;
  /** Raw manifest text, when the case needs something that is not JSON.stringify of `manifest`. */
  manifestText?: string;
  data?: Buffer;
}

type Line = Buffer;
type Json = Record<string, unknown>;

const integrity = (errorCode: string | string[], messageIncludes?: string): Expectation => ({
  exitCode: 4,
  errorCode,
  ...(messageIncludes ? { messageIncludes } : {}),
  databaseUnchanged: true,
});

/** Record-level problem: verify refuses the snapshot (exit 4); import dead-letters the record (exit 6). */
const badRecord = (
  line: number,
  model: string | undefined,
  verifyCode: string,
  reasonIncludes: string,
): Pick<CorpusCase, "verify" | "import"> => ({
  verify: { exitCode: 4, errorCode: verifyCode, messageIncludes: `Line ${line}`, databaseUnchanged: true },
  import: {
    exitCode: 6,
    rejects: [{ line, ...(model ? { model } : {}), reasonIncludes }],
    databaseUnchanged: true,
  },
});

async function baseSnapshot(): Promise<{ manifest: SnapshotManifest; lines: Line[] }> {
  const dir = await mkdtemp(join(tmpdir(), "booksnap-corpus-"));
  try {
    const { manifest, paths } = await writeSnapshot(
      dir,
      NAME,
      generateLibrary({ users: 1, books: 4, listsPerUser: 2, entriesPerList: 2, seed: 2026 }),
      {
        createdAt: new Date("2026-01-01T00:00:00.000Z"),
        source: {
          host: "db.prod.example.com",
          port: 5432,
          database: "books",
          tls: "verify-full",
          isolation: "repeatable read, read only",
        },
        filters: { owners: [], referencedBooksAdded: 0 },
        redaction: { mode: "pseudonymised", fields: [] },
      },
    );
    const { decompress } = await import("zstd-napi");
    const text = decompress(await readFile(paths.dataPath));
    const lines: Line[] = [];
    let start = 0;
    for (let at = text.indexOf(10); at !== -1; at = text.indexOf(10, start)) {
      lines.push(Buffer.from(text.subarray(start, at)));
      start = at + 1;
    }
    return { manifest, lines };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const dataOf = (lines: Line[]): Buffer => Buffer.concat(lines.flatMap((line) => [line, Buffer.from("\n")]));
const zstd = (data: Buffer): Buffer => compress(data, { compressionLevel: 3 });
const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** A manifest that matches `compressed` (decompressing to `plain`) exactly, re-signed. */
function matchingManifest(
  base: SnapshotManifest,
  plain: Buffer,
  compressed: Buffer,
  lineCount: number,
): Json {
  const digests = new Map<ModelName, ModelDigest>(MODEL_NAMES.map((m) => [m, new ModelDigest()]));
  let start = 0;
  for (let at = plain.indexOf(10); at !== -1; at = plain.indexOf(10, start)) {
    const line = plain.subarray(start, at);
    const decoded = decodeRecordLine(line);
    if (decoded.ok) {
      let canonical: string;
      try {
        canonical = canonicalJson(modelSpec(decoded.model), decoded.record);
      } catch {
        // Too deeply nested for JSON.stringify: still one record of its model (the count must
        // agree, as an exporter's would); validation rejects it before its digest matters.
        canonical = line.toString();
      }
      digests.get(decoded.model)?.addCanonical(canonical);
    }
    start = at + 1;
  }
  const { manifestChecksum: _old, ...unsigned } = base;
  return signManifest({
    ...unsigned,
    models: Object.fromEntries(
      MODEL_NAMES.map((m) => {
        const d = digests.get(m) as ModelDigest;
        return [m, { count: d.count, digest: d.digest() }];
      }),
    ) as SnapshotManifest["models"],
    data: {
      ...unsigned.data,
      bytes: compressed.length,
      uncompressedBytes: plain.length,
      lines: lineCount,
      sha256: sha256(compressed),
    },
  });
}

/** Re-signs a manifest after an edit (so only the edited meaning, not the checksum, is wrong). */
function resign(manifest: Json): Json {
  const { manifestChecksum: _old, ...unsigned } = manifest;
  return signManifest(unsigned as never) as unknown as Json;
}

function withRecord(lines: Line[], lineNumber: number, edit: (record: Json) => void): Line[] {
  const copy = lines.map((l) => Buffer.from(l));
  const parsed = JSON.parse((copy[lineNumber - 1] as Buffer).toString("utf8")) as {
    model: string;
    record: Json;
  };
  edit(parsed.record);
  copy[lineNumber - 1] = Buffer.from(JSON.stringify(parsed), "utf8");
  return copy;
}

function replaceLine(lines: Line[], lineNumber: number, replacement: string | Buffer): Line[] {
  const copy = lines.map((l) => Buffer.from(l));
  copy[lineNumber - 1] =
    typeof replacement === "string" ? Buffer.from(replacement, "utf8") : Buffer.from(replacement);
  return copy;
}

/** Replaces a JSON string value inside a line's text (for bytes JSON.stringify cannot produce). */
function rawEdit(lines: Line[], lineNumber: number, from: string, to: Buffer): Line[] {
  const copy = lines.map((l) => Buffer.from(l));
  const line = copy[lineNumber - 1] as Buffer;
  const at = line.indexOf(from);
  if (at === -1) throw new Error(`'${from}' not on line ${lineNumber}`);
  copy[lineNumber - 1] = Buffer.concat([line.subarray(0, at), to, line.subarray(at + from.length)]);
  return copy;
}

function titleOf(lines: Line[], lineNumber: number): string {
  return (JSON.parse((lines[lineNumber - 1] as Buffer).toString()) as { record: { title: string } }).record
    .title;
}

interface CaseDefinition extends CorpusCase {
  build(base: SnapshotManifest, lines: Line[]): Built;
}

/** Signed snapshot of the given lines: integrity passes, so validation must catch what is wrong. */
function signedLines(base: SnapshotManifest, lines: Line[]): Built {
  const plain = dataOf(lines);
  const data = zstd(plain);
  return { manifest: matchingManifest(base, plain, data, lines.length), data };
}

const CASES: CaseDefinition[] = [
  // ---------- file-level damage: integrity fails, nothing is written ----------
  {
    name: "data-byte-flipped",
    description: "One byte of the compressed data file flipped after export",
    verify: integrity("E_DATA_SHA256"),
    import: integrity("E_DATA_SHA256"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const flipped = Buffer.from(data as Buffer);
      flipped[Math.floor(flipped.length / 2)] = (flipped[Math.floor(flipped.length / 2)] as number) ^ 0x10;
      return { manifest, data: flipped };
    },
  },
  {
    name: "data-truncated",
    description: "Data file cut in half (interrupted copy); manifest is the original",
    verify: integrity("E_DATA_SIZE", "truncated"),
    import: integrity("E_DATA_SIZE"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      return { manifest, data: (data as Buffer).subarray(0, Math.floor((data as Buffer).length / 2)) };
    },
  },
  {
    name: "zstd-frame-truncated-signed",
    description: "Truncated zstd frame whose size and SHA-256 were written into a re-signed manifest",
    verify: integrity(["E_DATA_DECODE", "E_DATA_TRUNCATED"]),
    import: integrity(["E_DATA_DECODE", "E_DATA_TRUNCATED"]),
    build: (base, lines) => {
      const plain = dataOf(lines);
      const cut = zstd(plain).subarray(0, 200);
      return { manifest: matchingManifest(base, plain, cut, lines.length), data: cut };
    },
  },
  {
    name: "garbage-after-frame",
    description: "Random bytes concatenated after the zstd frame; manifest re-signed to match the file",
    verify: integrity("E_DATA_DECODE"),
    import: integrity("E_DATA_DECODE"),
    build: (base, lines) => {
      const plain = dataOf(lines);
      const data = Buffer.concat([
        zstd(plain),
        Buffer.from("this is not a zstd frame, just garbage\n".repeat(4)),
      ]);
      return { manifest: matchingManifest(base, plain, data, lines.length), data };
    },
  },
  {
    name: "garbage-appended-unsigned",
    description: "Bytes appended to the data file after export (manifest untouched)",
    verify: integrity("E_DATA_SIZE"),
    import: integrity("E_DATA_SIZE"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      return { manifest, data: Buffer.concat([data as Buffer, Buffer.from([0, 1, 2, 3])]) };
    },
  },
  {
    name: "not-zstd",
    description: "Plain NDJSON where a zstd file is expected (manifest re-signed to match)",
    verify: integrity("E_DATA_DECODE"),
    import: integrity("E_DATA_DECODE"),
    build: (base, lines) => {
      const plain = dataOf(lines);
      return { manifest: matchingManifest(base, plain, plain, lines.length), data: plain };
    },
  },
  {
    name: "decompression-bomb",
    description: "A ~10 KiB file that decompresses to 128 MiB; the manifest declares the real small size",
    verify: integrity("E_DATA_TOO_LARGE", "decompression bomb"),
    import: integrity("E_DATA_TOO_LARGE"),
    build: (base, lines) => {
      const plain = dataOf(lines);
      const bomb = zstd(Buffer.concat([plain, Buffer.alloc(128 * 1024 * 1024, 0x20)]));
      return { manifest: matchingManifest(base, plain, bomb, lines.length), data: bomb };
    },
  },
  {
    name: "empty-data-file",
    description: "Zero-byte data file with a manifest re-signed to match it but claiming records",
    verify: integrity(["E_DATA_DECODE", "E_DATA_TRUNCATED", "E_COUNT_MISMATCH", "E_DATA_SIZE"]),
    import: integrity(["E_DATA_DECODE", "E_DATA_TRUNCATED", "E_DATA_COUNTS", "E_DATA_SIZE"]),
    build: (base, lines) => {
      const { manifest } = signedLines(base, lines);
      const empty = Buffer.alloc(0);
      const m = manifest as { data: Json };
      return {
        manifest: resign({ ...(manifest as Json), data: { ...m.data, bytes: 0, sha256: sha256(empty) } }),
        data: empty,
      };
    },
  },
  {
    name: "manifest-tampered",
    description: "A count in the manifest edited by hand without re-signing",
    verify: integrity("E_MANIFEST_CHECKSUM", "was modified"),
    import: integrity("E_MANIFEST_CHECKSUM"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as { models: { Book: { count: number } } };
      m.models.Book.count = 3;
      return { manifest: m, data };
    },
  },
  {
    name: "manifest-source-edited",
    description: "The recorded source host edited without re-signing (e.g. to dodge the target guard)",
    verify: integrity("E_MANIFEST_CHECKSUM"),
    import: integrity("E_MANIFEST_CHECKSUM"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as { source: { host: string } };
      m.source.host = "elsewhere.example.com";
      return { manifest: m, data };
    },
  },
  {
    name: "manifest-wrong-count",
    description: "Re-signed manifest claiming one more Book than the file holds",
    verify: integrity("E_COUNT_MISMATCH", "Book"),
    import: {
      exitCode: [4, 7],
      errorCode: ["E_COUNT_MISMATCH", "E_DATA_COUNTS", "E_VERIFY_COUNT"],
      databaseUnchanged: true,
    },
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as Json & { models: { Book: { count: number } } };
      m.models.Book.count += 1;
      return { manifest: resign(m), data };
    },
  },
  {
    name: "manifest-wrong-digest",
    description: "Re-signed manifest whose ReadingList digest belongs to other content",
    verify: integrity("E_DIGEST_MISMATCH", "ReadingList"),
    import: { exitCode: [4, 7], databaseUnchanged: true },
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as Json & { models: { ReadingList: { digest: string } } };
      m.models.ReadingList.digest = `sha256:${sha256(Buffer.from("other content"))}`;
      return { manifest: resign(m), data };
    },
  },
  {
    name: "manifest-wrong-line-count",
    description: "Re-signed manifest whose data.lines is off by one",
    verify: integrity("E_DATA_SIZE"),
    import: { exitCode: [4, 7], databaseUnchanged: true },
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as Json & { data: { lines: number } };
      m.data.lines += 1;
      return { manifest: resign(m), data };
    },
  },
  {
    name: "unknown-format-version",
    description: "formatVersion 99 (from a future booksnap), re-signed",
    verify: integrity("E_FORMAT_VERSION", "not supported"),
    import: integrity("E_FORMAT_VERSION"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      return { manifest: resign({ ...(manifest as Json), formatVersion: 99 }), data };
    },
  },
  {
    name: "manifest-not-json",
    description: "Manifest cut short mid-document",
    verify: integrity("E_MANIFEST_JSON"),
    import: integrity("E_MANIFEST_JSON"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      return { manifest, manifestText: JSON.stringify(manifest, null, 2).slice(0, 300), data };
    },
  },
  {
    name: "manifest-unknown-key",
    description: "Re-signed manifest with an unknown top-level key",
    verify: integrity("E_MANIFEST_INVALID", "Unrecognized key"),
    import: integrity("E_MANIFEST_INVALID"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      return { manifest: resign({ ...(manifest as Json), postImportHook: "rm -rf ~" }), data };
    },
  },
  {
    name: "manifest-proto-key",
    description: "Manifest JSON with a __proto__ key (prototype pollution attempt), re-signed",
    verify: integrity(["E_MANIFEST_INVALID", "E_MANIFEST_CHECKSUM"]),
    import: integrity(["E_MANIFEST_INVALID", "E_MANIFEST_CHECKSUM"]),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const text = JSON.stringify(manifest, null, 2).replace(
        /^\{/,
        '{\n  "__proto__": { "polluted": true },',
      );
      return { manifest, manifestText: text, data };
    },
  },
  {
    name: "manifest-data-file-parent",
    description: "Re-signed manifest whose data.file points outside the snapshot directory ('../')",
    verify: integrity("E_MANIFEST_INVALID", "plain file name"),
    import: integrity("E_MANIFEST_INVALID", "plain file name"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as Json & { data: { file: string } };
      m.data.file = "../outside.ndjson.zst";
      return { manifest: resign(m), data };
    },
  },
  {
    name: "manifest-data-file-absolute",
    description: "Re-signed manifest whose data.file is an absolute path",
    verify: integrity("E_MANIFEST_INVALID", "plain file name"),
    import: integrity("E_MANIFEST_INVALID", "plain file name"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as Json & { data: { file: string } };
      m.data.file = "/etc/passwd";
      return { manifest: resign(m), data };
    },
  },
  {
    name: "manifest-data-file-other-name",
    description: "Re-signed manifest naming another plain file in the same directory",
    verify: integrity("E_MANIFEST_INVALID"),
    import: integrity("E_MANIFEST_INVALID"),
    build: (base, lines) => {
      const { manifest, data } = signedLines(base, lines);
      const m = structuredClone(manifest) as Json & { data: { file: string } };
      m.data.file = "expected.json";
      return { manifest: resign(m), data };
    },
  },

  {
    name: "data-file-missing",
    description: "Manifest without its data file",
    verify: integrity("E_DATA_MISSING"),
    import: integrity("E_DATA_MISSING"),
    build: (base, lines) => ({ manifest: signedLines(base, lines).manifest }),
  },
  {
    name: "manifest-missing",
    description: "Data file without its manifest",
    verify: integrity("E_MANIFEST_MISSING"),
    import: integrity("E_MANIFEST_MISSING"),
    build: (base, lines) => ({ manifest: undefined, data: signedLines(base, lines).data }),
  },

  // ---------- valid file, invalid records: dead-lettered with line numbers, DB unchanged ----------
  {
    name: "malformed-json-line",
    description: "A Book line cut in the middle of its JSON",
    ...badRecord(LINE.book2, undefined, "E_RECORD_DECODE", "malformed JSON"),
    build: (base, lines) =>
      signedLines(base, replaceLine(lines, LINE.book2, (lines[LINE.book2 - 1] as Buffer).subarray(0, 60))),
  },
  {
    name: "blank-line",
    description: "An empty line between two records",
    ...badRecord(LINE.book3, undefined, "E_RECORD_DECODE", "malformed JSON"),
    build: (base, lines) =>
      signedLines(base, [...lines.slice(0, LINE.book3 - 1), Buffer.alloc(0), ...lines.slice(LINE.book3 - 1)]),
  },
  {
    name: "line-not-object",
    description: "A line holding a JSON array instead of an object",
    ...badRecord(LINE.book2, undefined, "E_RECORD_DECODE", "not a JSON object"),
    build: (base, lines) => signedLines(base, replaceLine(lines, LINE.book2, "[1,2,3]")),
  },
  {
    name: "wrong-model-tag",
    description: "A record tagged with an unknown model name",
    ...badRecord(LINE.book2, undefined, "E_RECORD_DECODE", "unknown model tag"),
    build: (base, lines) =>
      signedLines(
        base,
        replaceLine(
          lines,
          LINE.book2,
          (lines[LINE.book2 - 1] as Buffer).toString().replace('"model":"Book"', '"model":"Bok"'),
        ),
      ),
  },
  {
    name: "extra-line-key",
    description: "A line with a third key next to model and record",
    ...badRecord(LINE.book2, undefined, "E_RECORD_DECODE", 'exactly the keys "model" and "record"'),
    build: (base, lines) =>
      signedLines(
        base,
        replaceLine(
          lines,
          LINE.book2,
          (lines[LINE.book2 - 1] as Buffer).toString().replace(/\}$/, ',"sql":"DROP TABLE"}'),
        ),
      ),
  },
  {
    name: "missing-field",
    description: "A Book without its title",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "title"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => delete r.title),
      ),
  },
  {
    name: "extra-field",
    description: "A Book with a field the model does not have",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "price"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.price = 12.5)),
      ),
  },
  {
    name: "wrong-type-string-for-int",
    description: "pageCount as a string",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "pageCount"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.pageCount = "300")),
      ),
  },
  {
    name: "wrong-type-float-id",
    description: "A fractional id",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "id"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.id = 2.5)),
      ),
  },
  {
    name: "int-out-of-range",
    description: "pageCount beyond PostgreSQL's int4",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "pageCount"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.pageCount = 2 ** 31)),
      ),
  },
  {
    name: "null-in-required-field",
    description: "title null in a non-nullable column",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "title"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.title = null)),
      ),
  },
  {
    name: "array-of-wrong-shape",
    description: "subjects as a string instead of an array of strings",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "subjects"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.subjects = "Fiction")),
      ),
  },
  {
    name: "over-length-isbn",
    description: "isbn13 with 14 characters (varchar(13))",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "isbn13"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.isbn13 = "97800000000021")),
      ),
  },
  {
    name: "invalid-enum",
    description: "Book visibility outside the enum",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "visibility"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.visibility = "SECRET")),
      ),
  },
  {
    name: "invalid-timestamp",
    description: "createdAt that is not a real date",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "createdAt"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.createdAt = "2026-13-45T25:61:61.000Z")),
      ),
  },
  {
    name: "deeply-nested-value",
    description: "subjects nested 5000 arrays deep",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "subjects"),
    build: (base, lines) =>
      signedLines(
        base,
        rawEdit(
          lines,
          LINE.book2,
          '"subjects":[',
          Buffer.from(`"subjects":[${"[".repeat(5000)}${"]".repeat(5000)},`),
        ),
      ),
  },
  {
    name: "proto-key",
    description: "A record with a __proto__ key (prototype pollution attempt)",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "__proto__"),
    build: (base, lines) =>
      signedLines(
        base,
        rawEdit(lines, LINE.book2, '"record":{', Buffer.from('"record":{"__proto__":{"isAdmin":true},')),
      ),
  },
  {
    name: "constructor-key",
    description: "A record with a constructor key",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "constructor"),
    build: (base, lines) =>
      signedLines(
        base,
        rawEdit(
          lines,
          LINE.book2,
          '"record":{',
          Buffer.from('"record":{"constructor":{"prototype":{"x":1}},'),
        ),
      ),
  },
  {
    name: "nul-escape",
    description: "A title containing an escaped NUL (\\u0000), which PostgreSQL text cannot store",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "NUL"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.title = "Nul\u0000Title")),
      ),
  },
  {
    name: "nul-raw-byte",
    description: "A raw NUL byte inside a line",
    ...badRecord(LINE.book2, undefined, "E_RECORD_DECODE", "NUL"),
    build: (base, lines) => {
      const title = titleOf(lines, LINE.book2);
      return signedLines(
        base,
        rawEdit(
          lines,
          LINE.book2,
          title,
          Buffer.concat([Buffer.from("Nul"), Buffer.from([0]), Buffer.from("Raw")]),
        ),
      );
    },
  },
  {
    name: "invalid-utf8",
    description: "Bytes that are not UTF-8 (0xC3 0x28) inside a title",
    ...badRecord(LINE.book2, undefined, "E_RECORD_DECODE", "UTF-8"),
    build: (base, lines) => {
      const title = titleOf(lines, LINE.book2);
      return signedLines(base, rawEdit(lines, LINE.book2, title, Buffer.from([0x42, 0xc3, 0x28, 0x43])));
    },
  },
  {
    name: "lone-surrogate",
    description: 'A title with a lone surrogate escape "\\ud800"',
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "surrogate"),
    build: (base, lines) => {
      const title = titleOf(lines, LINE.book2);
      return signedLines(base, rawEdit(lines, LINE.book2, title, Buffer.from("Lone \\ud800 surrogate")));
    },
  },
  {
    name: "line-over-size-limit",
    description: "A Book whose synopsis makes the line longer than the 1 MiB line limit",
    verify: {
      exitCode: 4,
      errorCode: "E_LINE_TOO_LONG",
      messageIncludes: `Line ${LINE.book2}`,
      databaseUnchanged: true,
    },
    import: {
      exitCode: 6,
      rejects: [{ line: LINE.book2, reasonIncludes: "longer" }],
      databaseUnchanged: true,
    },
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.synopsis = "long ".repeat(300_000))),
      ),
  },
  {
    name: "dangling-reference",
    description: "A list entry pointing at a Book that is not in the snapshot",
    verify: {
      exitCode: 4,
      errorCode: "E_DANGLING_REFERENCE",
      messageIncludes: `Line ${LINE.entry1}`,
      databaseUnchanged: true,
    },
    import: {
      exitCode: 6,
      rejects: [{ line: LINE.entry1, model: "BookInReadingList", reasonIncludes: "Book 999999" }],
      databaseUnchanged: true,
    },
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.entry1, (r) => (r.bookId = 999_999)),
      ),
  },
  {
    name: "duplicate-ids",
    description: "Two Books with the same id (and the same ISBNs) inside the file",
    verify: {
      exitCode: 4,
      errorCode: "E_RECORD_ORDER",
      messageIncludes: `Line ${LINE.book3}`,
      databaseUnchanged: true,
    },
    import: {
      exitCode: 6,
      rejects: [{ line: LINE.book3, model: "Book", reasonIncludes: "id" }],
      databaseUnchanged: true,
    },
    build: (base, lines) =>
      signedLines(base, replaceLine(lines, LINE.book3, lines[LINE.book2 - 1] as Buffer)),
  },
  {
    name: "records-out-of-model-order",
    description: "A User record after the Book records",
    verify: {
      exitCode: 4,
      errorCode: "E_RECORD_ORDER",
      messageIncludes: `Line ${LINE.list1}`,
      databaseUnchanged: true,
    },
    import: { exitCode: [4, 6], databaseUnchanged: true },
    build: (base, lines) => {
      const user = JSON.parse((lines[0] as Buffer).toString()) as { model: string; record: Json };
      user.record.id = 2;
      user.record.email = "second@example.com";
      user.record.clerkId = "user_second";
      return signedLines(base, [
        ...lines.slice(0, LINE.list1 - 1),
        Buffer.from(JSON.stringify(user)),
        ...lines.slice(LINE.list1 - 1),
      ]);
    },
  },
  {
    name: "too-many-array-elements",
    description: "authors with 20 000 entries (the per-field limit is 10 000)",
    ...badRecord(LINE.book2, "Book", "E_RECORD_INVALID", "authors"),
    build: (base, lines) =>
      signedLines(
        base,
        withRecord(lines, LINE.book2, (r) => (r.authors = Array.from({ length: 20_000 }, (_, i) => `A${i}`))),
      ),
  },
  {
    name: "duplicate-isbn",
    description:
      "Two Books with different ids but the same isbn13: valid records, but the unique constraint refuses the second",
    verify: { exitCode: 0, databaseUnchanged: true },
    import: {
      exitCode: 6,
      rejects: [{ line: LINE.book3, model: "Book", reasonIncludes: "isbn13" }],
      databaseUnchanged: true,
    },
    build: (base, lines) => {
      const isbn13 = (JSON.parse((lines[LINE.book2 - 1] as Buffer).toString()) as { record: Json }).record
        .isbn13;
      return signedLines(
        base,
        withRecord(lines, LINE.book3, (r) => (r.isbn13 = isbn13)),
      );
    },
  },
  {
    name: "several-bad-records",
    description: "Three different invalid records: all are reported at once, each with its line",
    verify: {
      exitCode: 4,
      errorCode: "E_RECORD_INVALID",
      messageIncludes: `Line ${LINE.book1}`,
      databaseUnchanged: true,
    },
    import: {
      exitCode: 6,
      rejects: [
        { line: LINE.book1, model: "Book", reasonIncludes: "visibility" },
        { line: LINE.book4, model: "Book", reasonIncludes: "isbn10" },
        { line: LINE.list2, model: "ReadingList", reasonIncludes: "type" },
      ],
      databaseUnchanged: true,
    },
    build: (base, lines) => {
      let edited = withRecord(lines, LINE.book1, (r) => (r.visibility = "public"));
      edited = withRecord(edited, LINE.book4, (r) => (r.isbn10 = "12345678901"));
      edited = withRecord(edited, LINE.list2, (r) => (r.type = "WISHLIST"));
      return signedLines(base, edited);
    },
  },
];

async function main(): Promise<void> {
  const { manifest: base, lines } = await baseSnapshot();
  await rm(casesDir, { recursive: true, force: true });
  // The untouched base snapshot, so the runner can prove the setup itself imports cleanly.
  const valid: CaseDefinition = {
    name: "valid-baseline",
    description: "The untouched base snapshot every other case is derived from",
    verify: { exitCode: 0, databaseUnchanged: true },
    import: { exitCode: 0, databaseUnchanged: false },
    build: (b, l) => signedLines(b, l),
  };
  for (const definition of [valid, ...CASES]) {
    const { build, ...expected } = definition;
    const built = build(base, lines);
    const dir = join(casesDir, definition.name);
    await mkdir(dir, { recursive: true });
    if (built.manifest !== undefined || built.manifestText !== undefined) {
      const text = built.manifestText ?? `${JSON.stringify(built.manifest, null, 2)}\n`;
      await writeFile(join(dir, `${NAME}.manifest.json`), text);
    }
    if (built.data) await writeFile(join(dir, `${NAME}.ndjson.zst`), built.data);
    await writeFile(join(dir, "expected.json"), `${JSON.stringify(expected, null, 2)}\n`);
  }
  console.log(`wrote ${CASES.length + 1} cases to ${casesDir}`);
}

await main();
