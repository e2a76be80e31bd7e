/**
 * The record layout of snapshot format 1 (booksnap 0.1-0.2), frozen: format-1 files are still
 * read (validated, verified, imported through src/snapshot/format1.ts) and the synthetic dataset
 * generator still speaks it. Format 2 learns every table and type from the database's catalog;
 * nothing here describes the app's current schema.
 */

import { quoteIdent } from "../schema/values/sql.js";

export type FieldType =
  | { kind: "int" }
  | { kind: "text"; maxLength?: number }
  | { kind: "enum"; pgType: string; values: readonly string[] }
  | { kind: "timestamp" }
  | { kind: "textArray" };

export interface FieldSpec {
  name: string;
  type: FieldType;
  nullable: boolean;
  /** Foreign key target model, for id remapping and reference checks. */
  references?: ModelName;
}

export interface ModelSpec {
  name: ModelName;
  /** Table name in PostgreSQL (Prisma keeps the model name). */
  table: string;
  fields: readonly FieldSpec[];
}

export const MODEL_NAMES = ["User", "Book", "ReadingList", "BookInReadingList"] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

const int = { kind: "int" } as const;
const text = { kind: "text" } as const;
const timestamp = { kind: "timestamp" } as const;
const textArray = { kind: "textArray" } as const;
const visibilityValues = ["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"] as const;

const f = (name: string, type: FieldType, nullable = false, references?: ModelName): FieldSpec =>
  references ? { name, type, nullable, references } : { name, type, nullable };

/** In foreign-key order: every model only references models before it. */
export const MODELS: readonly ModelSpec[] = [
  {
    name: "User",
    table: "User",
    fields: [
      f("id", int),
      f("clerkId", text),
      f("email", text),
      f("name", text, true),
      f("profileImageUrl", text, true),
      f("githubUrl", text, true),
      f("instagramUrl", text, true),
      f("linkedinUrl", text, true),
      f("letterboxdUrl", text, true),
      f("spotifyUrl", text, true),
      f("createdAt", timestamp),
      f("updatedAt", timestamp),
    ],
  },
  {
    name: "Book",
    table: "Book",
    fields: [
      f("id", int),
      f("ownerId", int, false, "User"),
      f("isbn10", { kind: "text", maxLength: 10 }),
      f("isbn13", { kind: "text", maxLength: 13 }),
      f("title", text),
      f("titleLong", text),
      f("language", text),
      f("synopsis", text),
      f("image", text),
      f("imageOriginal", text),
      f("publisher", text),
      f("edition", text, true),
      f("pageCount", int),
      f("datePublished", text),
      // Prisma maps String[] to a nullable TEXT[] column; the client always writes an array.
      f("subjects", textArray),
      f("authors", textArray),
      f("binding", text),
      f("visibility", { kind: "enum", pgType: "BookVisibility", values: visibilityValues }),
      f("readDate", timestamp, true),
      f("createdAt", timestamp),
      f("updatedAt", timestamp),
    ],
  },
  {
    name: "ReadingList",
    table: "ReadingList",
    fields: [
      f("id", int),
      f("ownerId", int, false, "User"),
      f("title", text),
      f("description", text, true),
      f("visibility", { kind: "enum", pgType: "ReadingListVisibility", values: visibilityValues }),
      f("type", {
        kind: "enum",
        pgType: "ReadingListType",
        values: ["STANDARD", "FAVORITES_YEAR", "FAVORITES_ALL"],
      }),
      // The format-1 file layout as 0.1-0.2 wrote it (int); the app's column is text now, and import
      // casts (the compatibility report's TYPE_TO_TEXT). Frozen: format 2 learns types from the catalog.
      f("year", int, true),
      f("coverImage", text, true),
      f("createdAt", timestamp),
      f("updatedAt", timestamp),
    ],
  },
  {
    name: "BookInReadingList",
    table: "BookInReadingList",
    fields: [
      f("id", int),
      f("bookId", int, false, "Book"),
      f("readingListId", int, false, "ReadingList"),
      f("position", int),
      f("notes", text, true),
      f("addedAt", timestamp),
    ],
  },
];

/** Rows over all models. */
export function totalCount(counts: Readonly<Record<ModelName, number>>): number {
  return MODEL_NAMES.reduce((sum, m) => sum + counts[m], 0);
}

export function modelSpec(name: ModelName): ModelSpec {
  const spec = MODELS.find((m) => m.name === name);
  if (!spec) throw new Error(`unknown model ${name}`);
  return spec;
}

export function isModelName(value: unknown): value is ModelName {
  return typeof value === "string" && (MODEL_NAMES as readonly string[]).includes(value);
}

/** A record as it travels in a snapshot: field name → JSON value, in the model's field order. */
export type SnapshotRecord = Record<string, string | number | null | string[]>;

/** Double-quotes an identifier for SQL: the engine's one quoteIdent, re-exported for format-1 code. */
export { quoteIdent };

/** The SELECT list for a model, in field order. */
export function selectList(spec: ModelSpec, alias?: string): string {
  const prefix = alias ? `${alias}.` : "";
  return spec.fields.map((field) => `${prefix}${quoteIdent(field.name)}`).join(", ");
}
