import { z } from "zod";
import { SnapshotIntegrityError } from "../errors.js";
import { sha256Hex, stableStringify } from "./canonical.js";
import { encryptionSchema } from "./encryption.js";
import { MODEL_NAMES, type ModelName } from "./models.js";

/** Current snapshot format. See docs/snapshot-format.md for the compatibility promise. */
export const FORMAT_VERSION = 1;
/**
 * Largest manifest a reader parses; a larger file is refused before parsing. booksnap's manifests
 * are ~7 KB (test/fixtures); only filters.owners grows with the input (--owner values), and
 * 1 MiB leaves room for tens of thousands of them while parsing stays a few milliseconds.
 */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Versions this build can read. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1];

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

const fieldDescription = z.object({ name: z.string(), type: z.string(), nullable: z.boolean() }).strict();

export const modelStatsSchema = z
  .object({
    /** Number of records of this model in the data file. */
    count: z.number().int().nonnegative(),
    /** SHA-256 over the canonical JSON of each record plus "\n", in file order. */
    digest,
  })
  .strict();

export const manifestSchema = z
  .object({
    /** Snapshot format version; readers refuse versions they do not know. */
    formatVersion: z.number().int().positive(),
    tool: z.object({ name: z.literal("booksnap"), version: z.string() }).strict(),
    /** When the consistent read started (ISO 8601, UTC). */
    createdAt: z.string().datetime(),
    /** Where the data came from, without credentials. */
    source: z
      .object({
        host: z.string(),
        port: z.number().int(),
        database: z.string(),
        serverVersion: z.string().optional(),
        tls: z.enum(["disable", "require", "verify-full"]),
        isolation: z.literal("repeatable read, read only"),
      })
      .strict(),
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
        /**
         * Identifier of the pseudonymisation key (never the key): snapshots with equal ids have
         * matching pseudonyms. Optional: absent in snapshots written before it existed.
         */
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
      Object.fromEntries(MODEL_NAMES.map((m) => [m, modelStatsSchema])) as Record<
        (typeof MODEL_NAMES)[number],
        typeof modelStatsSchema
      >,
    ),
    data: z
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
      .strict(),
    /** SHA-256 of the manifest's canonical JSON without this field. */
    manifestChecksum: digest,
  })
  .strict();

export type SnapshotManifest = z.infer<typeof manifestSchema>;
export type UnsignedManifest = Omit<SnapshotManifest, "manifestChecksum">;

/** Record count per model, as the manifest declares them. */
export function manifestCounts(manifest: SnapshotManifest): Record<ModelName, number> {
  return Object.fromEntries(MODEL_NAMES.map((m) => [m, manifest.models[m].count])) as Record<
    ModelName,
    number
  >;
}

export function manifestChecksum(manifest: UnsignedManifest | SnapshotManifest): string {
  const { manifestChecksum: _ignored, ...unsigned } = manifest as SnapshotManifest;
  return `sha256:${sha256Hex(stableStringify(unsigned))}`;
}

export function signManifest(unsigned: UnsignedManifest): SnapshotManifest {
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
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new SnapshotIntegrityError(
      "E_MANIFEST_INVALID",
      `Manifest ${where} is malformed: ${problems.join("; ")}`,
      {
        details: { problems },
      },
    );
  }
  const expected = manifestChecksum(parsed.data);
  if (expected !== parsed.data.manifestChecksum) {
    throw new SnapshotIntegrityError(
      "E_MANIFEST_CHECKSUM",
      `Manifest ${where} was modified: its checksum does not match`,
      {
        hint: "The manifest was edited or corrupted after export. Get a fresh copy from whoever exported it.",
        details: { expected, recorded: parsed.data.manifestChecksum },
      },
    );
  }
  return parsed.data;
}
