import { z } from "zod";

/**
 * The shape of `booksnap.config.json` (docs/configuration.md), checked strictly once at the
 * edge: unknown keys are refused everywhere, so a misspelt key never silently falls back to a
 * default (a misspelt redaction rule would otherwise copy a column in clear).
 */

/** Redaction kinds that replace a text value by a keyed, deterministic pseudonym. */
export const PSEUDONYM_KINDS = ["email", "name", "url", "opaqueId", "freeText"] as const;
export type PseudonymKind = (typeof PSEUDONYM_KINDS)[number];

/**
 * Every redaction kind: the pseudonym kinds, `null` (the value becomes SQL NULL) and `keep`
 * (copied in clear, declared on purpose: a column of a table with rules that no rule names is
 * "uncovered" and redacted by its type, see src/redact/uncovered.ts).
 */
export const REDACTION_KINDS = [...PSEUDONYM_KINDS, "null", "keep"] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

/** Built-in configurations a file may extend. */
export const PRESET_NAMES = ["book-app"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** PostgreSQL truncates identifiers to NAMEDATALEN-1 = 63 bytes: a longer name could never match. */
const MAX_IDENTIFIER_BYTES = 63;

/** A table or column name as it appears in the catalog (case-sensitive, unquoted here). */
export const identifier = z
  .string()
  .min(1, { message: "must not be empty" })
  .refine((name) => Buffer.byteLength(name, "utf8") <= MAX_IDENTIFIER_BYTES, {
    message: `must be at most ${MAX_IDENTIFIER_BYTES} bytes (PostgreSQL's identifier length)`,
  })
  .refine((name) => !name.includes("\0"), { message: "must not contain a NUL character" });

/** `"Table.column"`: the column whose pseudonyms a rule shares (see `sameAs`). */
const columnReference = z
  .string()
  .regex(/^[^.]+\.[^.]+$/, { message: 'must name a column as "Table.column"' });

const kind = z.enum(REDACTION_KINDS);

/**
 * A rule: a kind, or `{ "kind": …, "sameAs": "Table.column" }` to give equal values the same
 * pseudonym as that column (a value that refers to another column without a foreign key, e.g. a
 * settings row holding a user's external id).
 */
const rule = z.union([kind, z.strictObject({ kind: z.enum(PSEUDONYM_KINDS), sameAs: columnReference })], {
  error: `must be one of ${REDACTION_KINDS.join(", ")}, or { "kind": <${PSEUDONYM_KINDS.join("|")}>, "sameAs": "Table.column" }`,
});

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const perOwnerRuleSchema = z.strictObject({
  /** Short text for messages, e.g. "one FAVORITES_ALL list per owner". */
  name: z.string().min(1).max(200).optional(),
  table: identifier,
  /** The column holding the owner's id (a foreign key to the owners table). */
  owner: identifier,
  /** Which rows the rule covers: column = value, all of them. */
  where: z.record(identifier, scalar),
  /** Columns that, with the owner, may appear at most once among the covered rows. */
  uniqueBy: z.array(identifier),
  /** Renumber this position column of the children of combined rows (step, 2·step, …). */
  renumber: z
    .strictObject({
      table: identifier,
      /** The child's foreign-key column pointing at the rule's table. */
      parent: identifier,
      column: identifier,
      step: z.number().int().min(1).max(1_000_000).optional(),
    })
    .optional(),
});

export const configFileSchema = z.strictObject({
  /** Editors' JSON-schema hint; ignored. */
  $schema: z.string().optional(),
  /** Start from a built-in configuration and change it (see docs/configuration.md, "Merging"). */
  extends: z.enum(PRESET_NAMES).optional(),
  /** The PostgreSQL schema holding the app's tables. */
  schema: identifier.optional(),
  tables: z
    .strictObject({
      /** Only these tables (default: every table of the schema). */
      include: z.array(identifier).nullable().optional(),
      /** Never these tables. */
      exclude: z.array(identifier).optional(),
    })
    .optional(),
  /** The table whose rows own the others (for --owner, --user and owner mapping), or null. */
  owners: z
    .strictObject({
      table: identifier,
      /** Column that names an owner by email on the command line, or null (ids only). */
      emailColumn: identifier.nullable(),
      idColumn: identifier,
      /**
       * Child table -> the foreign keys (constraint name or single column) that make its rows the
       * owner's when it has no owner column itself; default: every foreign key into an owned table.
       */
      belongsThrough: z.record(identifier, z.array(identifier).min(1)).optional(),
    })
    .nullable()
    .optional(),
  redaction: z.record(identifier, z.record(identifier, rule)).optional(),
  /** Merge identity key per table: the columns that say "this row is already there". */
  identity: z.record(identifier, z.array(identifier).min(1)).optional(),
  perOwnerRules: z.array(perOwnerRuleSchema).optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
export type PerOwnerRuleInput = z.infer<typeof perOwnerRuleSchema>;
