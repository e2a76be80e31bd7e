import { createHash } from "node:crypto";
import { ConfigError } from "../config/config-error.js";
import type { PseudonymKind } from "../config/config-file-schema.js";
import { BooksnapError } from "../errors.js";
import {
  type ColumnDescription,
  carriedColumns,
  type SchemaDescription,
  type TableDescription,
} from "../schema/description.js";
import { CollisionGuard } from "./collision-guard.js";
import { uniqueColumns } from "./column-fit.js";
import { planTableRedaction, type RedactionRules, type TableRedactionPlan } from "./plan.js";
import { keyedDigest, pseudonymFor } from "./pseudonym.js";
import { constantReplacementValue } from "./uncovered.js";

/** Two distinct values of a unique column got the same pseudonym: the snapshot could not be imported. */
export class RedactionCollisionError extends BooksnapError {
  constructor(table: string, column: string) {
    super(
      "E_REDACTION_COLLISION",
      "integrity",
      `Two different values of the unique column ${table}.${column} got the same pseudonym`,
      {
        hint:
          "96-bit pseudonyms collide with probability about n²/2^97, or a varchar(n) column is too short for " +
          "the full pseudonym. Export with another redaction key (BOOKSNAP_REDACTION_KEY), or widen the rule.",
        details: { table, column },
      },
    );
  }
}

/** Returns the redacted copy of a positional row (the table's carried columns, in order). */
export type RowRedactor = ((row: readonly unknown[]) => unknown[]) & { readonly plan: TableRedactionPlan };

type ValueTransform = (value: unknown) => unknown;

/**
 * The redactor of one table, or undefined when nothing in it is redacted (its rows are copied
 * as they are). Throws ConfigError (E_CONFIG_REFERENCE) when a rule cannot apply to the table
 * as it is. `description` gives the enums (first-label replacements) and which columns other
 * tables reference (kept as keys).
 */
export function createRowRedactor(
  table: TableDescription,
  redaction: RedactionRules,
  key: string,
  description?: Pick<SchemaDescription, "tables" | "enums">,
): RowRedactor | undefined {
  const plan = planTableRedaction(table, redaction, description);
  if (!plan) return undefined;
  if (plan.problems.length > 0) {
    throw new ConfigError(
      "E_CONFIG_REFERENCE",
      `Redaction rules for ${table.name} cannot apply:\n  ${plan.problems.join("\n  ")}`,
      { hint: 'See docs/configuration.md, "Redaction".', details: { problems: plan.problems } },
    );
  }
  const unique = uniqueColumns(table);
  const transforms: (ValueTransform | undefined)[] = plan.columns.map(({ column, rule, uncovered }) => {
    const isUnique = unique.has(column.name);
    if (uncovered) {
      if (uncovered.replacement !== "pseudonym") {
        const value = constantReplacementValue(column, firstEnumLabel(column, description));
        return () => value;
      }
      const kind: PseudonymKind = column.type.kind === "uuid" ? "opaqueId" : "freeText";
      return pseudonymTransform(
        table.name,
        column,
        kind,
        `${table.name}.${column.name}`,
        key,
        isUnique,
        true,
      );
    }
    if (!rule || rule.kind === "keep") return undefined;
    if (rule.kind === "null") return () => null;
    return pseudonymTransform(table.name, column, rule.kind, rule.domain ?? "", key, isUnique, false);
  });
  const redactor = (row: readonly unknown[]): unknown[] => {
    if (row.length !== transforms.length) {
      throw new Error(
        `BUG: a ${table.name} row has ${row.length} values; its description has ${transforms.length}`,
      );
    }
    const out = row.slice();
    for (let index = 0; index < transforms.length; index++) {
      const transform = transforms[index];
      if (transform) out[index] = transform(row[index]);
    }
    return out;
  };
  return Object.assign(redactor, { plan });
}

/**
 * A pseudonym cut to a short varchar(n) has fewer than 96 bits: the guard then keys on the cut
 * text itself (hashed to 96 bits), with the input digest's check bits, so it sees the collisions
 * the cut makes.
 */
function cutPseudonymKey(pseudonym: string, digest: Buffer): Buffer {
  const key = createHash("sha256").update(pseudonym).digest();
  digest.copy(key, 12, 12, 16);
  return key;
}

function firstEnumLabel(
  column: ColumnDescription,
  description: Pick<SchemaDescription, "enums"> | undefined,
): string | undefined {
  const name = column.type.enumName;
  if (column.type.kind !== "enum" || name === undefined) return undefined;
  const label = description?.enums[name]?.[0];
  if (label === undefined) throw new Error(`BUG: no labels for enum ${name} of ${column.name}`);
  return label;
}

/**
 * Pseudonymises a text/uuid value or each element of an array (null stays null). `fitLength`:
 * an uncovered column's pseudonym is cut to a varchar(n)'s length rather than refused (the
 * collision guard still protects unique columns); char(n) values are blank-padded as
 * PostgreSQL prints them.
 */
function pseudonymTransform(
  table: string,
  column: ColumnDescription,
  kind: PseudonymKind,
  domain: string,
  key: string,
  isUnique: boolean,
  fitLength: boolean,
): ValueTransform {
  const guard = isUnique ? new CollisionGuard() : undefined;
  const shape = { unique: isUnique, column: column.name, uuid: column.type.kind === "uuid" };
  const { length, fixedLength } = column.type;
  const one = (value: unknown): unknown => {
    if (value === null) return null;
    if (typeof value !== "string") {
      throw new Error(`BUG: ${table}.${column.name} holds a ${typeof value}, expected a string`);
    }
    const bytes = keyedDigest(key, domain, value);
    const digest = bytes.toString("hex");
    let pseudonym = pseudonymFor(kind, value, digest, shape);
    const cut = fitLength && length !== undefined && !shape.uuid && pseudonym.length > length;
    if (cut) pseudonym = digest.slice(0, length);
    if (guard && !guard.add(cut ? cutPseudonymKey(pseudonym, bytes) : bytes)) {
      throw new RedactionCollisionError(table, column.name);
    }
    if (fixedLength && length !== undefined) pseudonym = pseudonym.padEnd(length, " ");
    return pseudonym;
  };
  if (!column.type.array) return one;
  return (value) => {
    if (value === null) return null;
    if (!Array.isArray(value)) throw new Error(`BUG: ${table}.${column.name} holds a non-array value`);
    return value.map(one);
  };
}

/**
 * What one value of `column` becomes in a snapshot redacted with `key`: e.g. to find the
 * snapshot owner a developer names by their real email (`import --as`), or to write an owner
 * filter without the address in clear. Undefined when the table has no such column.
 */
export function redactColumnValue(
  table: TableDescription,
  redaction: RedactionRules,
  key: string,
  columnName: string,
  value: unknown,
  description?: Pick<SchemaDescription, "tables" | "enums">,
): unknown {
  const columns = carriedColumns(table);
  const index = columns.findIndex((column) => column.name === columnName);
  if (index < 0) return undefined;
  const redactor = createRowRedactor(table, redaction, key, description);
  if (!redactor) return value;
  const row: unknown[] = columns.map(() => null);
  row[index] = value;
  return redactor(row)[index];
}
