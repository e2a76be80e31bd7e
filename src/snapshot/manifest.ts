import { z } from "zod";
import { REDACTION_KINDS } from "../config/config-file-schema.js";
import { SnapshotIntegrityError } from "../errors.js";
import type { UncoveredReplacement } from "../redact/uncovered.js";
import type { SchemaDescription } from "../schema/description.js";
import { sha256Hex, stableStringify } from "./canonical.js";
import { identifierSchema, schemaDescriptionSchema } from "./description-schema.js";
import { encryptionSchema } from "./encryption.js";
import { MODEL_NAMES, type ModelName } from "./models.js";

/*
 * Contract deviations from BRIEF.md (also in /work/wt/CONTRACT-CHANGES.md): none so far.
 * Notes for readers of format 2 (import2, check):
 * - `tables` has one entry per described table, keyed by name; iterate description.tables for
 *   the order (JSON object key order is not trusted).
 * - A data line is `["<table>",<row>]` with the table name exactly as JSON.stringify writes it
 *   and no whitespace around the row: decodeRowLine (row-line.ts) returns the row's bytes for the digest.
 */

/** Snapshot format this build writes. See docs/snapshot-format.md for the compatibility promise. */
export const FORMAT_VERSION = 2;
/**
 * Largest manifest a reader parses; a larger file is refused before parsing. Measured
 * (test/unit/manifest-v2.test.ts, pretty-printed): 4 tables of 12 columns 22 KB, 60 tables of 12
 * columns 316 KB, 60 tables of 60 columns 1.3 MB (format 1's cap of 1 MiB would refuse that);
 * filters.owners grows with --owner values. 8 MiB leaves room for a few hundred wide tables
 * while parsing stays well under a second.
 */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
/** Versions this build can read. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
/** A file name inside the snapshot directory: no separators, no parent references. */
const plainFileName = z
  .string()
  .min(1)
  .max(255)
  .refine((name) => !/[/\\]/.test(name) && name !== "." && name !== ".." && !name.includes("\0"), {
    message: "must be a plain file name inside the snapshot directory",
  });
/** Free text a manifest carries (owners as given, predicates, replacements): bounded. */
const boundedText = z.string().max(10_000);

const toolSchema = z.object({ name: z.literal("booksnap"), version: z.string().max(100) }).strict();
/** Where the data came from, without credentials. */
const sourceSchema = z
  .object({
    host: z.string().max(1000),
    port: z.number().int(),
    database: z.string().max(1000),
    serverVersion: z.string().max(1000).optional(),
    tls: z.enum(["disable", "require", "verify-full"]),
    isolation: z.literal("repeatable read, read only"),
  })
  .strict();
const dataSchema = z
  .object({
    file: plainFileName,
    encoding: z.literal("ndjson"),
    compression: z.literal("zstd"),
    /** Size of the compressed data file in bytes. */
    bytes: z.number().int().nonnegative(),
    /** Size after decompression; readers stop past it (decompression-bomb guard). */
    uncompressedBytes: z.number().int().nonnegative(),
    /** Number of lines (records) in the data file. */
    lines: z.number().int().nonnegative(),
    sha256: hex64,
    /** Present when the data file is encrypted (see encryption.ts); public keys only, never a secret. */
    encryption: encryptionSchema.optional(),
  })
  .strict();

/** Per-model (format 1) or per-table (format 2) count and content digest. */
export const tableStatsSchema = z
  .object({
    /** Number of records of this table in the data file. */
    count: z.number().int().nonnegative(),
    /** Format 2: SHA-256 over each line's row JSON plus "\n", exactly as in the file, in file order. */
    digest,
  })
  .strict();
/** Format 1's name for tableStatsSchema (over each record's canonical JSON plus "\n"). */
export const modelStatsSchema = tableStatsSchema;

const fieldDescription = z.object({ name: z.string(), type: z.string(), nullable: z.boolean() }).strict();

/** Format 1 (booksnap 0.1–0.2): the four book-app models, frozen. Still read and imported. */
export const manifestV1Schema = z
  .object({
    formatVersion: z.literal(1),
    tool: toolSchema,
    /** When the consistent read started (ISO 8601, UTC). */
    createdAt: z.string().datetime(),
    source: sourceSchema,
    filters: z
      .object({
        /** Owners requested with --owner (emails or ids), as given. */
        owners: z.array(z.string()),
        /** Books pulled in because a list entry of an exported list references them. */
        referencedBooksAdded: z.number().int().nonnegative(),
      })
      .strict(),
    redaction: z
      .object({
        /** "pseudonymised": user PII replaced deterministically; "none": kept (--no-redact). */
        mode: z.enum(["pseudonymised", "none"]),
        fields: z.array(z.string()),
        /** Identifier of the pseudonymisation key (never the key); absent in the oldest snapshots. */
        keyId: z
          .string()
          .regex(/^[0-9a-f]{16}$/)
          .optional(),
      })
      .strict(),
    schema: z
      .object({
        fingerprint: digest,
        models: z.record(z.string(), z.array(fieldDescription)),
      })
      .strict(),
    models: z.object(
      Object.fromEntries(MODEL_NAMES.map((m) => [m, tableStatsSchema])) as Record<
        (typeof MODEL_NAMES)[number],
        typeof tableStatsSchema
      >,
    ),
    data: dataSchema,
    /** SHA-256 of the manifest's canonical JSON without this field. */
    manifestChecksum: digest,
  })
  .strict();

/** What an uncovered column's values became (src/redact/uncovered.ts). */
const UNCOVERED_REPLACEMENTS = [
  "null",
  "pseudonym",
  "empty-array",
  "0",
  "false",
  "epoch",
  "first-label",
  "json-null",
  "empty-bytes",
] as const satisfies readonly UncoveredReplacement[];

/** Format 2: self-describing, any schema. */
export const manifestV2Schema = z
  .object({
    formatVersion: z.literal(2),
    tool: toolSchema,
    /** When the consistent read started (ISO 8601, UTC). */
    createdAt: z.string().datetime(),
    source: sourceSchema,
    /** The schema the data was written under, as introspected from the source. */
    schema: z
      .object({
        /** schemaFingerprint(description): sha256 of its stable JSON. */
        fingerprint: digest,
        description: schemaDescriptionSchema,
      })
      .strict(),
    /** One entry per described table (an empty table has count 0). */
    tables: z.record(identifierSchema, tableStatsSchema),
    filters: z
      .object({
        /** --owner values as given (emails pseudonymised when redacting). */
        owners: z.array(boundedText),
        /** --where predicates, per table, as given. */
        where: z.array(z.object({ table: identifierSchema, predicate: boundedText }).strict()),
        /** Rows exported only because an exported row references them (closure), per table. */
        addedByReference: z.record(identifierSchema, z.number().int().nonnegative()),
      })
      .strict(),
    redaction: z
      .object({
        /** "pseudonymised": rules applied with a key; "none": kept (--no-redact). */
        mode: z.enum(["pseudonymised", "none"]),
        /** Identifier of the pseudonymisation key (never the key): equal ids, matching pseudonyms. */
        keyId: z
          .string()
          .regex(/^[0-9a-f]{16}$/)
          .optional(),
        /** The rules applied (configured ones), per column. */
        rules: z
          .array(
            z
              .object({ table: identifierSchema, column: identifierSchema, kind: z.enum(REDACTION_KINDS) })
              .strict(),
          )
          .max(100_000),
        /**
         * Columns of tables with rules that no rule covered: redacted by type and nullability
         * (replacement says how), never copied in clear.
         */
        uncovered: z
          .array(
            z
              .object({
                table: identifierSchema,
                column: identifierSchema,
                replacement: z.enum(UNCOVERED_REPLACEMENTS),
              })
              .strict(),
          )
          .max(100_000),
      })
      .strict(),
    data: dataSchema,
    /** SHA-256 of the manifest's canonical JSON without this field. */
    manifestChecksum: digest,
  })
  .strict()
  .superRefine((manifest, ctx) => {
    for (const problem of v2Problems(manifest)) ctx.addIssue({ code: "custom", message: problem });
  });

/** Cross-field checks of a format-2 manifest: every name it uses is a described table/column. */
function v2Problems(manifest: {
  schema: { description: SchemaDescription };
  tables: Record<string, unknown>;
  filters: { where: { table: string }[]; addedByReference: Record<string, number> };
  redaction: { rules: { table: string; column: string }[]; uncovered: { table: string; column: string }[] };
  data: { lines: number };
}): string[] {
  const problems: string[] = [];
  const columns = new Map(
    manifest.schema.description.tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]),
  );
  const statsNames = Object.keys(manifest.tables);
  for (const name of statsNames)
    if (!columns.has(name)) problems.push(`tables.${name}: not a described table`);
  for (const name of columns.keys()) {
    if (!Object.hasOwn(manifest.tables, name)) problems.push(`tables: no entry for described table ${name}`);
  }
  const tableRef = (where: string, table: string) => {
    if (!columns.has(table)) problems.push(`${where}: ${table} is not a described table`);
  };
  for (const w of manifest.filters.where) tableRef("filters.where", w.table);
  for (const table of Object.keys(manifest.filters.addedByReference))
    tableRef("filters.addedByReference", table);
  for (const rule of [...manifest.redaction.rules, ...manifest.redaction.uncovered]) {
    if (!columns.get(rule.table)?.has(rule.column)) {
      problems.push(`redaction: ${rule.table}.${rule.column} is not a described column`);
    }
  }
  const counted = Object.values(manifest.tables as Record<string, { count: number }>).reduce(
    (n, t) => n + t.count,
    0,
  );
  if (counted !== manifest.data.lines) {
    problems.push(`data.lines (${manifest.data.lines}) differs from the sum of table counts (${counted})`);
  }
  return problems;
}

export const manifestSchema = z.discriminatedUnion("formatVersion", [manifestV1Schema, manifestV2Schema]);

export type SnapshotManifestV1 = z.infer<typeof manifestV1Schema>;
export type SnapshotManifestV2 = z.infer<typeof manifestV2Schema>;
/** A parsed manifest of any readable format; switch on formatVersion. */
export type SnapshotManifest = SnapshotManifestV1 | SnapshotManifestV2;
export type UnsignedManifestV1 = Omit<SnapshotManifestV1, "manifestChecksum">;
export type UnsignedManifestV2 = Omit<SnapshotManifestV2, "manifestChecksum">;
export type UnsignedManifest = UnsignedManifestV1 | UnsignedManifestV2;

/** One table's count and digest, in data-file order. */
export interface TableStats {
  table: string;
  count: number;
  digest: string;
}

/**
 * Tables in the order their lines appear in the data file, with their counts and digests.
 * Format 1's models are the book app's four tables in their frozen order (table name = model name).
 */
export function manifestTables(manifest: SnapshotManifest): TableStats[] {
  if (manifest.formatVersion === 1) {
    return MODEL_NAMES.map((m) => ({
      table: m,
      count: manifest.models[m].count,
      digest: manifest.models[m].digest,
    }));
  }
  return manifest.schema.description.tables.map((t) => {
    const stats = manifest.tables[t.name] as { count: number; digest: string };
    return { table: t.name, count: stats.count, digest: stats.digest };
  });
}

/** Record count per table, in data-file order. */
export function manifestTableCounts(manifest: SnapshotManifest): Record<string, number> {
  return Object.fromEntries(manifestTables(manifest).map((t) => [t.table, t.count]));
}

/** Format 1 only: record count per model. */
export function manifestCounts(manifest: SnapshotManifestV1): Record<ModelName, number> {
  return Object.fromEntries(MODEL_NAMES.map((m) => [m, manifest.models[m].count])) as Record<
    ModelName,
    number
  >;
}

export function manifestChecksum(manifest: UnsignedManifest | SnapshotManifest): string {
  const { manifestChecksum: _ignored, ...unsigned } = manifest as SnapshotManifest;
  return `sha256:${sha256Hex(stableStringify(unsigned))}`;
}

export function signManifest<T extends UnsignedManifest>(unsigned: T): T & { manifestChecksum: string } {
  return { ...unsigned, manifestChecksum: manifestChecksum(unsigned) };
}

/**
 * Parses manifest text: JSON, known format version, exact shape, matching checksum.
 * Every failure is a SnapshotIntegrityError with a stable code.
 */
export function parseManifest(text: string, where: string): SnapshotManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SnapshotIntegrityError("E_MANIFEST_JSON", `Manifest ${where} is not valid JSON`, {
      cause: error,
    });
  }
  const version = (raw as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && !READABLE_FORMAT_VERSIONS.includes(version)) {
    throw new SnapshotIntegrityError(
      "E_FORMAT_VERSION",
      `Snapshot format version ${version} is not supported by this booksnap (reads ${READABLE_FORMAT_VERSIONS.join(", ")})`,
      { hint: "Upgrade booksnap, or re-export the snapshot with this version." },
    );
  }
  // The checksum first: an edited manifest says "modified", whatever the edit broke.
  const recorded = (raw as { manifestChecksum?: unknown } | null)?.manifestChecksum;
  const wellFormed = typeof recorded === "string" && /^sha256:[0-9a-f]{64}$/.test(recorded);
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && wellFormed) {
    const expected = manifestChecksum(raw as SnapshotManifest);
    if (expected !== recorded) throw modifiedError(where, expected, recorded);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new SnapshotIntegrityError(
      "E_MANIFEST_INVALID",
      `Manifest ${where} is malformed: ${problems.slice(0, 20).join("; ")}`,
      {
        details: { problems },
      },
    );
  }
  const expected = manifestChecksum(parsed.data);
  if (expected !== parsed.data.manifestChecksum)
    throw modifiedError(where, expected, parsed.data.manifestChecksum);
  return parsed.data;
}

function modifiedError(where: string, expected: string, recorded: string): SnapshotIntegrityError {
  return new SnapshotIntegrityError(
    "E_MANIFEST_CHECKSUM",
    `Manifest ${where} was modified: its checksum does not match`,
    {
      hint: "The manifest was edited or corrupted after export. Get a fresh copy from whoever exported it.",
      details: { expected, recorded },
    },
  );
}

/**
 * Narrows to format 1 for code that only reads the frozen book layout; a format-2 manifest is
 * refused with E_FORMAT_VERSION naming `what`.
 */
export function requireFormat1(manifest: SnapshotManifest, what: string): SnapshotManifestV1 {
  if (manifest.formatVersion === 1) return manifest;
  throw new SnapshotIntegrityError(
    "E_FORMAT_VERSION",
    `${what} reads snapshot format 1 only; this snapshot is format ${manifest.formatVersion}`,
    { hint: "Use a booksnap build whose import understands format 2." },
  );
}
