import type pg from "pg";
import type { ProjectConfig } from "../config/project-config.js";
import { SchemaMismatchError } from "../errors.js";
import { type CompatibilityReport, compareSchemas } from "../schema/compatibility.js";
import type { SchemaDescription, TableDescription } from "../schema/description.js";
import { introspectSchema } from "../schema/introspect.js";
import { columnRef, rowJsonSql, stagingSqlType } from "../schema/values.js";
import { canonicalJsonSql } from "../snapshot/canonical-sql.js";
import { FORMAT1_DESCRIPTION } from "../snapshot/format1.js";
import type { SnapshotManifest } from "../snapshot/manifest.js";
import { type ModelName, modelSpec } from "../snapshot/models.js";
import type { OwnerMode } from "./options.js";
import type { EnumRules } from "./row-decode.js";
import { quoteIdent } from "./sql-names.js";
import { buildImportPlan, type ImportPlan } from "./table-plan.js";

/**
 * --schema-drift: `tolerate` does what the compatibility report says (drop snapshot-only columns,
 * leave target-only ones to their defaults, cast lossless type changes, reject records the target
 * cannot hold); `refuse` also refuses any adaptation of the data (verdict "adapt").
 */
export type SchemaDriftPolicy = "refuse" | "tolerate";

/** What the snapshot's manifest says about its contents, whatever its format. */
export interface SnapshotContents {
  formatVersion: number;
  description: SchemaDescription;
  /** Records per table, as the manifest declares them. */
  counts: Record<string, number>;
  /** Digest per table, as the manifest declares them. */
  digests: Record<string, string>;
  /** SQL rendering a row (columns of `alias` named as the snapshot's) exactly as its data line holds it. */
  /**
   * SQL rendering a target row of `table` as its line in the snapshot; `castBack` columns were cast
   * on import (lossless: the report accepts no other) and are cast back to the snapshot's type.
   */
  renderLine: (table: string, alias: string, castBack?: ReadonlySet<string>) => string;
}

/** The schema description and counts of a snapshot: format 2 records them, format 1 has its frozen layout. */
export function snapshotContents(manifest: SnapshotManifest): SnapshotContents {
  const m = manifest as SnapshotManifest & {
    schema: { description?: SchemaDescription };
    tables?: Record<string, { count: number; digest: string }>;
    models?: Record<string, { count: number; digest: string }>;
  };
  if (manifest.formatVersion >= 2 && m.schema.description && m.tables) {
    const description = m.schema.description;
    return {
      formatVersion: manifest.formatVersion,
      description,
      counts: Object.fromEntries(Object.entries(m.tables).map(([t, s]) => [t, s.count])),
      digests: Object.fromEntries(Object.entries(m.tables).map(([t, s]) => [t, s.digest])),
      renderLine: (table, alias, castBack) =>
        rowJsonSql(description.tables.find((t) => t.name === table) as TableDescription, alias, {
          columnSql: (c, a) =>
            castBack?.has(c.name) ? `(${columnRef(c, a)})::${stagingSqlType(c.type)}` : columnRef(c, a),
        }),
    };
  }
  return {
    formatVersion: 1,
    description: FORMAT1_DESCRIPTION,
    counts: Object.fromEntries(Object.entries(m.models ?? {}).map(([t, s]) => [t, s.count])),
    digests: Object.fromEntries(Object.entries(m.models ?? {}).map(([t, s]) => [t, s.digest])),
    renderLine: (table, alias, castBack) => {
      const columns = FORMAT1_DESCRIPTION.tables.find((t) => t.name === table)?.columns ?? [];
      return canonicalJsonSql(modelSpec(table as ModelName), (f) => {
        const column = columns.find((c) => c.name === f.name);
        const ref = `${alias}.${quoteIdent(f.name)}`;
        // 0.1-0.2 wrote ReadingList.year as int; the app's column is text now (cast on import).
        return castBack?.has(f.name) && column ? `(${ref})::${stagingSqlType(column.type)}` : ref;
      });
    },
  };
}

export interface TargetSchemaPlan {
  report: CompatibilityReport;
  plan: ImportPlan;
  enums: EnumRules;
  /** Snapshot columns the target does not get, per table (the report's drops). */
  droppedFields: Record<string, string[]>;
  /** Tables whose every column is copied as is (no drop, no cast): their rows can match the manifest's digest. */
  exactTables: Set<string>;
  /** Columns of an exact table that import casts (losslessly), per table: cast back for its digest. */
  castColumns: Record<string, ReadonlySet<string>>;
}

/**
 * Introspects the target, compares it with the snapshot's schema (compareSchemas) and turns the
 * report into the import plan. Refuses (exit 5, the report's findings in the message) when the
 * report refuses, or when the policy is `refuse` and the data would be adapted.
 */
export async function planAgainstTarget(
  client: pg.Client,
  contents: SnapshotContents,
  config: ProjectConfig,
  policy: SchemaDriftPolicy,
  ownerMode: OwnerMode = "collapse",
): Promise<TargetSchemaPlan> {
  const { description: target, unsupported } = await introspectSchema(client, {
    schema: config.schema,
    ...(config.tables.include ? { include: config.tables.include } : {}),
    exclude: config.tables.exclude,
  });
  const report = compareSchemas(contents.description, target, {
    onMissingEnum: "reject-records",
    targetUnsupported: unsupported,
  });
  const refusing = report.entries.filter(
    (e) => e.verdict === "refuse" || (policy === "refuse" && e.verdict === "adapt"),
  );
  if (refusing.length > 0) {
    const shown = refusing.map((e) => `${e.table}${e.column ? `.${e.column}` : ""}: ${e.message}`);
    throw new SchemaMismatchError(
      `The target's schema differs from the snapshot's:\n  ${shown.join("\n  ")}`,
      {
        hint:
          policy === "refuse" && !report.entries.some((e) => e.verdict === "refuse")
            ? "Migrate the target to the snapshot's schema ('booksnap prepare' or prisma migrate), or drop --schema-drift refuse to let import adapt as listed ('booksnap check' prints the whole report)."
            : "These differences cannot be adapted. Migrate the target ('booksnap prepare' or prisma migrate) and retry; 'booksnap check' prints the whole report.",
        details: { differences: shown, entries: refusing },
      },
    );
  }
  const droppedFields: Record<string, string[]> = {};
  const exactTables = new Set<string>();
  const castColumns: Record<string, ReadonlySet<string>> = {};
  const missingInTarget: Record<string, Record<string, string[]>> = {};
  for (const table of report.tables) {
    // A lossless cast keeps the table exact: the target value cast back is the snapshot's value.
    if (
      table.columns.every((a) => a.action === "copy" || a.action === "fill-default" || a.action === "cast")
    ) {
      exactTables.add(table.table);
      castColumns[table.table] = new Set(
        table.columns.filter((a) => a.action === "cast").map((a) => a.column),
      );
    }
    const drops = table.columns.filter((a) => a.action === "drop").map((a) => a.column);
    if (drops.length > 0) droppedFields[table.table] = drops;
    const missing: Record<string, string[]> = {};
    for (const rule of table.recordRules) {
      if (rule.rule === "enum-value-missing") missing[rule.column] = rule.values;
    }
    missingInTarget[table.table] = missing;
  }
  const plan = buildImportPlan({
    snapshot: contents.description,
    target,
    owners: config.owners,
    ownerMode,
    identity: config.identity,
    dropped: droppedFields,
    skippedTables: report.skippedTables,
  });
  return {
    report,
    plan,
    enums: { labels: contents.description.enums, missingInTarget },
    droppedFields,
    exactTables,
    castColumns,
  };
}
