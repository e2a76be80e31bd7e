import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compress } from "zstd-napi";
import { ExitCode } from "../../src/errors.js";
import { type SnapshotManifestV1 as SnapshotManifest, signManifest } from "../../src/snapshot/manifest.js";
import type { WrittenSnapshot } from "../../src/snapshot/snapshot-writer.js";
import { runInProcess } from "../fault/in-process-cli.js";
import {
  contentDump,
  createPreparedTarget,
  DEV_USER_EMAIL,
  extraSchemas,
  makeSnapshot,
} from "../fault/targets.js";
import type { TestDatabase } from "../helpers/db.js";
import { compressLines, manifestMatching, readDataLines } from "../helpers/rewrite-snapshot.js";

/**
 * Property-based fuzzing of the snapshot readers: a small valid snapshot is mutated (bit flips
 * and truncations of the data file, JSON mutations of record lines, framing mutations, manifest
 * mutations), each with and without a manifest fixed up to match, so mutations reach every
 * layer (checksums, zstd, lines, JSON, validation, staging, the final transaction). For each,
 * `verify` and `import` must end with a documented, classified exit code (never 1 "unexpected",
 * never a crash or a hang) and leave the target database as it was (a successful import of a
 * still-valid snapshot is undone, and checked, before the next run).
 *
 * Fixed seed, bounded runs (75 in all, ~0.6 s each): deterministic, under a minute on two cores. A failure prints the
 * shrunk mutation; replay it with the seed and path fast-check reports.
 */
const SEED = 20261201;
const RUNS_PER_FAMILY = 15;

/** Exit codes a classified failure may end with (README, "Exit codes"): not 1, not a crash. */
const VERIFY_CODES: number[] = [ExitCode.ok, ExitCode.usage, ExitCode.integrity];
const IMPORT_CODES: number[] = [
  ExitCode.ok,
  ExitCode.usage,
  ExitCode.integrity,
  ExitCode.schema,
  ExitCode.rejected,
  ExitCode.verification,
];

let work: string;
let base: WrittenSnapshot;
let baseLines: Buffer[];
let baseData: Buffer;
let target: TestDatabase;
let pristine: Record<string, string[]>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "booksnap-fuzz-"));
  base = await makeSnapshot(work, "snap", {
    users: 2,
    books: 5,
    listsPerUser: 1,
    entriesPerList: 2,
    seed: 77,
  });
  baseLines = await readDataLines(base.paths);
  baseData = await readFile(base.paths.dataPath);
  target = await createPreparedTarget();
  pristine = await contentDump(target);
});
afterAll(async () => {
  await target?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A mutated snapshot: data file bytes and manifest text. */
interface Mutated {
  data: Buffer;
  manifest: string;
}

/** The snapshot for these lines; `fix`: a manifest re-signed to match the data byte for byte. */
function fromLines(lines: Buffer[], fix: boolean): Mutated {
  const { plain, compressed } = compressLines(lines);
  return fromData(
    compressed,
    fix ? manifestMatching(base.manifest, plain, compressed, lines.length) : undefined,
  );
}

function fromData(data: Buffer, manifest: SnapshotManifest = base.manifest): Mutated {
  return { data, manifest: JSON.stringify(manifest) };
}

/** The base manifest matching new data bytes (size and SHA-256; declared uncompressed size kept). */
function fixedFor(data: Buffer): SnapshotManifest {
  const { plain } = compressLines(baseLines);
  return manifestMatching(base.manifest, plain, data, baseLines.length);
}

/** An index into something of `length` items, from any natural number. */
const at = (length: number, index: number): number => index % Math.max(length, 1);

async function runBoth(mutated: Mutated): Promise<void> {
  const dir = await mkdtemp(join(work, "run-"));
  try {
    await writeFile(join(dir, "snap.ndjson.zst"), mutated.data);
    await writeFile(join(dir, "snap.manifest.json"), mutated.manifest);
    const snap = join(dir, "snap");
    const verify = await runInProcess(["verify", snap], { cwd: dir });
    expect(VERIFY_CODES, `verify exit ${verify.code}:\n${verify.stderr}`).toContain(verify.code);
    const imported = await runInProcess(
      ["import", snap, "--to", target.url, "--yes", "--batch-size", "3", "--log-dir", join(dir, "logs")],
      { cwd: dir },
    );
    expect(IMPORT_CODES, `import exit ${imported.code}:\n${imported.stderr}`).toContain(imported.code);
    // A snapshot verify refuses must never be imported.
    if (verify.code !== ExitCode.ok) expect(imported.code).not.toBe(ExitCode.ok);
    if (imported.code === ExitCode.ok) await undoImport();
    expect(await contentDump(target)).toEqual(pristine);
    expect(await extraSchemas(target)).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes what a successful import gave the dev user (entries go with their lists and books). */
async function undoImport(): Promise<void> {
  await target.withClient(async (c) => {
    await c.query(`DELETE FROM "ReadingList" WHERE "ownerId" = (SELECT id FROM "User" WHERE email = $1)`, [
      DEV_USER_EMAIL,
    ]);
    await c.query(`DELETE FROM "Book" WHERE "ownerId" = (SELECT id FROM "User" WHERE email = $1)`, [
      DEV_USER_EMAIL,
    ]);
  });
}

const property = (arbitrary: fc.Arbitrary<Mutated>) =>
  fc.assert(fc.asyncProperty(arbitrary, runBoth), {
    seed: SEED,
    numRuns: RUNS_PER_FAMILY,
    endOnFailure: true,
  });

/** JSON values worth trying in a record or manifest field. */
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    -1,
    2 ** 31,
    1.5,
    "",
    "\u0000",
    "\ud800",
    "x".repeat(5000),
    [],
    {},
    "2026-02-30T00:00:00.000Z",
  ),
);
const fieldName = fc.oneof(
  fc.constantFrom(
    "id",
    "ownerId",
    "isbn13",
    "title",
    "subjects",
    "createdAt",
    "visibility",
    "bookId",
    "__proto__",
  ),
  fc.string({ maxLength: 8 }),
);

describe("mutated snapshots: classified exit, target unchanged", () => {
  it("bit flips in the data file", async () => {
    await property(
      fc
        .record({
          flips: fc.array(fc.record({ byte: fc.nat(), bit: fc.nat(7) }), { minLength: 1, maxLength: 3 }),
          fix: fc.boolean(),
        })
        .map(({ flips, fix }) => {
          const data = Buffer.from(baseData);
          for (const { byte, bit } of flips) {
            const i = at(data.length, byte);
            data[i] = (data[i] ?? 0) ^ (1 << bit);
          }
          return fromData(data, fix ? fixedFor(data) : undefined);
        }),
    );
  });

  it("truncated or extended data files", async () => {
    await property(
      fc
        .record({ keep: fc.nat(), extra: fc.uint8Array({ maxLength: 40 }), fix: fc.boolean() })
        .map(({ keep, extra, fix }) => {
          const data = Buffer.concat([baseData.subarray(0, keep % baseData.length), extra]);
          return fromData(data, fix ? fixedFor(data) : undefined);
        }),
    );
  });

  it("JSON mutations of record lines (re-compressed, manifest fixed or not)", async () => {
    const change = fc.oneof(
      fc.record({ op: fc.constant("set" as const), field: fieldName, value: jsonValue }),
      fc.record({ op: fc.constant("delete" as const), field: fieldName }),
      fc.record({ op: fc.constant("model" as const), value: jsonValue }),
      fc.record({ op: fc.constant("record" as const), value: jsonValue }),
      fc.record({ op: fc.constant("text" as const), text: fc.string({ maxLength: 60 }) }),
    );
    await property(
      fc.record({ line: fc.nat(), change, fix: fc.boolean() }).map(({ line, change, fix }) => {
        const lines: Buffer[] = baseLines.map((l) => Buffer.from(l));
        const i = at(lines.length, line);
        const parsed = JSON.parse(lines[i]?.toString() ?? "{}") as {
          model: unknown;
          record: Record<string, unknown>;
        };
        if (change.op === "set") parsed.record[change.field] = change.value;
        if (change.op === "delete") delete parsed.record[change.field];
        if (change.op === "model") parsed.model = change.value;
        if (change.op === "record") (parsed as { record: unknown }).record = change.value;
        lines[i] = Buffer.from(change.op === "text" ? change.text : JSON.stringify(parsed));
        return fromLines(lines, fix);
      }),
    );
  });

  it("framing mutations: blank, split, joined, duplicated, swapped lines and garbage between frames", async () => {
    const change = fc.constantFrom("blank", "split", "join", "duplicate", "swap", "garbage-between-frames");
    await property(
      fc
        .record({
          line: fc.nat(),
          cut: fc.nat(),
          change,
          garbage: fc.uint8Array({ minLength: 1, maxLength: 16 }),
          fix: fc.boolean(),
        })
        .map(({ line, cut, change, garbage, fix }) => {
          const lines: Buffer[] = baseLines.map((l) => Buffer.from(l));
          const i = at(lines.length, line);
          const current = lines[i] as Buffer;
          const next = lines[(i + 1) % lines.length] as Buffer;
          if (change === "blank") lines.splice(i, 0, Buffer.alloc(0));
          if (change === "split")
            lines.splice(
              i,
              1,
              current.subarray(0, cut % current.length),
              current.subarray(cut % current.length),
            );
          if (change === "join") lines.splice(i, 2, Buffer.concat([current, next]));
          if (change === "duplicate") lines.splice(i, 0, current);
          if (change === "swap") [lines[i], lines[(i + 1) % lines.length]] = [next, current];
          if (change !== "garbage-between-frames") return fromLines(lines, fix);
          // Two zstd frames with bytes between them: a reader must refuse, not skip or hang.
          const first = compressLines(lines.slice(0, i)).plain;
          const second = compressLines(lines.slice(i)).plain;
          const data = Buffer.concat([compress(first), Buffer.from(garbage), compress(second)]);
          const plain = Buffer.concat([first, second]);
          return fromData(data, fix ? manifestMatching(base.manifest, plain, data, lines.length) : undefined);
        }),
    );
  });

  it("manifest mutations: fields set to other values (re-signed or not), flipped or truncated text", async () => {
    const change = fc.oneof(
      fc.record({ op: fc.constant("set" as const), path: fc.nat(), value: jsonValue, sign: fc.boolean() }),
      fc.record({ op: fc.constant("flip" as const), byte: fc.nat(), bit: fc.nat(7) }),
      fc.record({ op: fc.constant("truncate" as const), keep: fc.nat() }),
    );
    await property(
      change.map((c) => {
        const text = JSON.stringify(base.manifest);
        if (c.op === "flip") {
          const bytes = Buffer.from(text);
          const i = at(bytes.length, c.byte);
          bytes[i] = (bytes[i] ?? 0) ^ (1 << c.bit);
          return { data: baseData, manifest: bytes.toString("latin1") };
        }
        if (c.op === "truncate") return { data: baseData, manifest: text.slice(0, c.keep % text.length) };
        const manifest = JSON.parse(text) as Record<string, unknown>;
        const paths = leafPaths(manifest);
        setPath(manifest, paths[at(paths.length, c.path)] ?? ["extra"], c.value);
        const { manifestChecksum: _old, ...unsigned } = manifest;
        const written = c.sign
          ? signManifest(unsigned as Omit<SnapshotManifest, "manifestChecksum">)
          : manifest;
        return { data: baseData, manifest: JSON.stringify(written) };
      }),
    );
  });
});

/** Every path to a leaf of a JSON object (arrays included by index). */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== "object") return [prefix];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

function setPath(root: Record<string, unknown>, path: string[], value: unknown): void {
  let node = root as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}
