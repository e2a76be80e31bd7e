import type pg from "pg";
import { describeLiveSchema, diffSchemas, formatSchemaDifference } from "../db/schema-inspect.js";
import { SchemaMismatchError } from "../errors.js";
import type { SnapshotManifestV1 as SnapshotManifest } from "../snapshot/manifest.js";

/** --schema-drift: stop on any difference, or apply the documented tolerance policy. */
export type SchemaDriftPolicy = "refuse" | "tolerate";

export interface SchemaCheckResult {
  /** Differences found (formatted), empty when the schemas match. */
  differences: string[];
  /** Snapshot fields the target lacks, per model: dropped on import (tolerate only). */
  droppedFields: Record<string, string[]>;
}

/**
 * Compares the target's live schema with the snapshot's. Tolerate policy: snapshot fields the
 * target lacks are dropped; target columns the snapshot lacks must be nullable or have a
 * default (they get it); anything else (missing table, changed type) still refuses.
 */
export async function checkTargetSchema(
  client: pg.Client,
  manifest: SnapshotManifest,
  policy: SchemaDriftPolicy,
): Promise<SchemaCheckResult> {
  const live = await describeLiveSchema(client);
  const diffs = diffSchemas(manifest.schema.models, live).filter((d) => d.kind !== "extra-model");
  const differences = diffs.map(formatSchemaDifference);
  const droppedFields: Record<string, string[]> = {};
  if (diffs.length === 0) return { differences, droppedFields };
  const blocking: string[] = [];
  if (policy === "tolerate") {
    const defaults = await client.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_default IS NOT NULL`,
    );
    const hasDefault = new Set(defaults.rows.map((r) => `${r.table_name}.${r.column_name}`));
    for (const d of diffs) {
      if (d.kind === "missing-field" && d.field !== "id") {
        const list = droppedFields[d.model] ?? [];
        droppedFields[d.model] = list;
        list.push(d.field as string);
      } else if (
        d.kind === "extra-field" &&
        (d.actual?.nullable || hasDefault.has(`${d.model}.${d.field}`))
      ) {
        // Filled by the target: NULL or its default.
      } else {
        blocking.push(formatSchemaDifference(d));
      }
    }
    if (blocking.length === 0) return { differences, droppedFields };
  }
  const shown = policy === "tolerate" ? blocking : differences;
  throw new SchemaMismatchError(`The target's schema differs from the snapshot's:\n  ${shown.join("\n  ")}`, {
    hint:
      policy === "tolerate"
        ? "These differences cannot be tolerated (missing tables, changed types, new NOT NULL columns without a default). Migrate the target ('booksnap prepare' or prisma migrate) and retry."
        : "Migrate the target to the snapshot's schema ('booksnap prepare' or prisma migrate), or pass --schema-drift tolerate to drop snapshot fields the target lacks and leave new nullable/defaulted columns to the target.",
    details: { differences: shown },
  });
}
