import type pg from "pg";
import type { PerOwnerRule } from "../config/project-config.js";
import { copyOutLines } from "../db/copy-out.js";
import { VerificationError } from "../errors.js";
import type { ColumnDescription } from "../schema/description.js";
import { rowJsonSql } from "../schema/values.js";
import { ModelDigest } from "../snapshot/canonical.js";
import { coveredSql, targetTable } from "./conflicts.js";
import { quoteIdent, quoteLiteral } from "./sql-names.js";
import { fateTable, resolvedTable, stagingTable } from "./staging.js";
import { type ColumnPlan, type ImportPlan, renderTable, type TablePlan, toTargetSql } from "./table-plan.js";

/** One record whose imported form differs from what was staged. */
export interface RecordDifference {
  model: string;
  /** The record's key in the snapshot (null for tables without a single-column key). */
  sourceId: unknown;
  line: number;
  fields: string[];
}

export interface ModelVerification {
  /** Records compared with their imported row. */
  verified: number;
  /**
   * What they were compared with: the manifest's digest (every record of the table imported,
   * unchanged: the imported rows, keys shown as source keys, must hash to the file's bytes), or
   * the staged records, value by value as PostgreSQL renders them.
   */
  comparedWith: "manifest" | "staged";
  /** Rendered (and, for the manifest, hashed as it streams) from SQL. */
  method: "sql";
}

/** How to check a table against its manifest digest, when every record of it was imported as is. */
export interface ManifestCheck {
  /** The snapshot's record count and digest of the table. */
  expected: { count: number; digest: string };
  /** SQL rendering one imported row (columns of subquery `y`, named as the snapshot's) as the file has it. */
  renderLine: (alias: string) => string;
}

const q = quoteIdent;
/** How many differing records an error names. */
const SHOWN_DIFFERENCES = 5;

interface Comparison {
  verified: number;
  differing: number;
  first: RecordDifference[];
}

/**
 * The verification query of one table: every record inserted (fate "insert"), its staged values
 * and its target row side by side, each rendered by rowJsonSql under the same session settings
 * with the target's column types (staged values cast to them). Keys and references are shown
 * as source keys on both sides; on the target side only when the row points where the import
 * meant it to (the remapped key, the dev user), so a wrong reference is a difference too.
 */
function comparisonSql(plan: ImportPlan, table: TablePlan, devSql: string): string | undefined {
  const columns = table.columns.filter((c) => c.target) as Array<ColumnPlan & { target: ColumnDescription }>;
  const key = table.key;
  let lookup: string;
  if (key?.column && columns.some((c) => c.name === key.column)) {
    lookup = `t.${q(key.column)} = f.new`;
  } else {
    const target = plan.tables.find((t) => t.name === table.name);
    const pk = target?.uniques.find((u) => u.name.endsWith("primary key"))?.columns;
    if (!pk) return undefined;
    lookup = pk
      .map((name) => {
        const column = columns.find((c) => c.name === name) as ColumnPlan;
        return `t.${q(name)} = ${expectedTarget(column, devSql, plan.schema)}`;
      })
      .join(" AND ");
  }
  const expected: string[] = [];
  const actual: string[] = [];
  const badRefs: string[] = [];
  for (const c of columns) {
    const source = toTargetSql(`s.${q(c.name)}`, c, plan.schema);
    expected.push(`${source} AS ${q(`e:${c.name}`)}`);
    if (c.reference || c.name === key?.column) {
      // The row must point at the target row the import chose; shown as the source key.
      const ok = `t.${q(c.name)} IS NOT DISTINCT FROM ${expectedTarget(c, devSql, plan.schema, key?.column === c.name)}`;
      actual.push(`CASE WHEN ${ok} THEN ${source} END AS ${q(`a:${c.name}`)}`);
      badRefs.push(`CASE WHEN NOT (${ok}) THEN ${quoteLiteral(c.name)} END`);
    } else {
      actual.push(`t.${q(c.name)} AS ${q(`a:${c.name}`)}`);
    }
  }
  const render = (prefix: string) =>
    rowJsonSql(
      renderTable(
        table.name,
        columns.map((c) => ({ ...c.target, name: `${prefix}:${c.name}` })),
      ),
      "x",
      { guardArrayShapes: false },
    );
  const refsJoin = columns.some((c) => c.reference?.kind === "table")
    ? ` JOIN ${resolvedTable(table.name)} r ON r.line = s.line`
    : "";
  const refList =
    badRefs.length > 0 ? `array_remove(ARRAY[${badRefs.join(", ")}]::text[], NULL)` : "'{}'::text[]";
  return `SELECT x.line, x.src, ${render("e")} AS expected, ${render("a")} AS actual, x.found, x.bad_refs,
                 count(*) OVER () AS differing
            FROM (SELECT s.line, ${key ? `s.${q(key.column)}` : "NULL"} AS src, ${[...expected, ...actual].join(", ")},
                         t.ctid IS NOT NULL AS found, ${refList} AS bad_refs
                    FROM ${stagingTable(table.name)} s JOIN ${fateTable(table.name)} f ON f.line = s.line AND f.status = 'insert'${refsJoin}
                    LEFT JOIN ${targetTable(plan, table.name)} t ON ${lookup}) x
           WHERE ${render("e")} IS DISTINCT FROM ${render("a")} OR NOT x.found
           ORDER BY x.line LIMIT ${SHOWN_DIFFERENCES}`;
}

/** The target value a key or reference column must hold: the new key, the dev user, the remapped reference. */
function expectedTarget(column: ColumnPlan, devSql: string, schema: string, isKey = false): string {
  if (isKey) return "f.new";
  if (column.reference?.kind === "owner")
    return `CASE WHEN s.${q(column.name)} IS NULL THEN NULL ELSE ${devSql} END`;
  if (column.reference?.kind === "table") return `r.${q(column.name)}`;
  return toTargetSql(`s.${q(column.name)}`, column, schema);
}

/** What the fast path streams instead of a row that is missing or points at the wrong target row. */
const BAD_ROW_MARKER = "reference check failed";

/**
 * The fast path for a table imported whole and unchanged: PostgreSQL renders each imported row
 * as its line in the snapshot (keys and references as source keys) and streams it with COPY;
 * the bytes ("<row>\n", in file order) are exactly what the manifest's digest hashes. A row that
 * is missing or points elsewhere than meant comes out as BAD_ROW_MARKER (never matches). Any
 * disagreement falls back to the per-record comparison, which names the differing records.
 */
async function manifestDigest(
  client: pg.Client,
  plan: ImportPlan,
  table: TablePlan,
  devSql: string,
  check: ManifestCheck,
): Promise<boolean> {
  const key = table.key;
  if (!key || !table.columns.every((c) => c.target)) return false;
  const columns: string[] = [];
  const oks: string[] = ["t.ctid IS NOT NULL"];
  for (const c of table.columns) {
    if (c.reference || c.name === key.column) {
      const ok = `t.${q(c.name)} IS NOT DISTINCT FROM ${expectedTarget(c, devSql, plan.schema, c.name === key.column)}`;
      oks.push(ok);
      columns.push(`s.${q(c.name)} AS ${q(c.name)}`);
    } else {
      columns.push(`t.${q(c.name)} AS ${q(c.name)}`);
    }
  }
  const refsJoin = table.columns.some((c) => c.reference?.kind === "table")
    ? ` JOIN ${resolvedTable(table.name)} r ON r.line = s.line`
    : "";
  const sql = `SELECT CASE WHEN y.ok THEN ${check.renderLine("y")} ELSE '${BAD_ROW_MARKER}' END
                 FROM (SELECT s.line, ${columns.join(", ")}, ${oks.join(" AND ")} AS ok
                         FROM ${stagingTable(table.name)} s JOIN ${fateTable(table.name)} f ON f.line = s.line AND f.status = 'insert'${refsJoin}
                         LEFT JOIN ${targetTable(plan, table.name)} t ON t.${q(key.column)} = f.new) y
                ORDER BY y.line`;
  const digest = new ModelDigest();
  for await (const chunk of copyOutLines(client, sql)) digest.addCanonicalLines(chunk.bytes, chunk.lines);
  return digest.count === check.expected.count && digest.digest() === check.expected.digest;
}

async function compareTable(
  client: pg.Client,
  plan: ImportPlan,
  table: TablePlan,
  devSql: string,
): Promise<Comparison> {
  const counted = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${fateTable(table.name)} WHERE status = 'insert'`,
  );
  const verified = Number(counted.rows[0]?.n ?? 0);
  const sql = comparisonSql(plan, table, devSql);
  if (!sql || verified === 0) return { verified, differing: 0, first: [] };
  const { rows } = await client.query<{
    line: number;
    src: unknown;
    expected: string;
    actual: string | null;
    found: boolean;
    bad_refs: string[];
    differing: string;
  }>(sql);
  const names = table.columns.filter((c) => c.target).map((c) => c.name);
  return {
    verified,
    differing: Number(rows[0]?.differing ?? 0),
    first: rows.map((row) => ({
      model: table.name,
      sourceId: row.src,
      line: row.line,
      fields: row.found ? differingFields(names, row.expected, row.actual) : ["(missing)"],
    })),
  };
}

function differingFields(names: readonly string[], expected: string, actual: string | null): string[] {
  const e = JSON.parse(expected) as unknown[];
  const a = actual === null ? [] : (JSON.parse(actual) as unknown[]);
  return names.filter((_, i) => JSON.stringify(e[i]) !== JSON.stringify(a[i] ?? null));
}

/**
 * Verifies, inside the final transaction, every inserted record against its staged form (see
 * comparisonSql), and that each table got exactly the rows planned. Throws VerificationError
 * naming the first differing records; the caller rolls back.
 */
export async function verifyImported(
  client: pg.Client,
  plan: ImportPlan,
  devSql: string,
  insertedRows: Readonly<Record<string, number>>,
  /** Tables imported whole and unchanged, checked against the manifest's digest first. */
  manifestChecks: ReadonlyMap<string, ManifestCheck>,
): Promise<Record<string, ModelVerification>> {
  const results: Record<string, ModelVerification> = {};
  const differences: RecordDifference[] = [];
  const problems: string[] = [];
  for (const table of plan.tables) {
    if (!table.inserted) continue;
    const check = manifestChecks.get(table.name);
    if (check) {
      if (
        insertedRows[table.name] === check.expected.count &&
        (await manifestDigest(client, plan, table, devSql, check))
      ) {
        results[table.name] = { verified: check.expected.count, comparedWith: "manifest", method: "sql" };
        continue;
      }
      // Every record of the table was imported unchanged, so the rows must hash to the manifest's
      // digest: not doing so is a failure even when each row equals its staged record (the file's
      // content is not what the manifest recorded). The comparison below names differing records.
      problems.push(
        `${table.name}: the ${insertedRows[table.name] ?? 0} imported rows do not match the manifest's ${check.expected.count} records and digest ${check.expected.digest}`,
      );
    }
    const comparison = await compareTable(client, plan, table, devSql);
    if (insertedRows[table.name] !== undefined && insertedRows[table.name] !== comparison.verified) {
      problems.push(
        `${table.name}: ${insertedRows[table.name]} rows inserted, ${comparison.verified} planned`,
      );
    }
    if (comparison.differing > 0) {
      problems.push(`${table.name}: ${comparison.differing} imported row(s) differ from the staged records`);
      differences.push(...comparison.first);
    }
    results[table.name] = { verified: comparison.verified, comparedWith: "staged", method: "sql" };
  }
  if (differences.length > 0 || problems.length > 0) {
    const first = differences.slice(0, SHOWN_DIFFERENCES);
    const described = first.map(
      (d) => `${d.model} ${String(d.sourceId)} (line ${d.line}): ${d.fields.join(", ")}`,
    );
    throw new VerificationError(
      "E_VERIFY_MISMATCH",
      `Verification failed, nothing was changed: ${[...problems, ...described].join("; ")}`,
      {
        hint: "The import was rolled back. This is a bug or a target-side trigger/default rewriting values; report it with the snapshot.",
        details: { problems, differences: first, differenceCount: differences.length },
      },
    );
  }
  return results;
}

/**
 * The per-owner rules hold after the insert: no owner has two covered rows with the same
 * `uniqueBy` values where one of them was inserted by this import (a target that broke a rule
 * before, in rows the import did not touch, is not the import's to refuse).
 */
export async function verifyRules(
  client: pg.Client,
  plan: ImportPlan,
  rules: readonly PerOwnerRule[],
): Promise<void> {
  const broken: string[] = [];
  for (const rule of rules) {
    const table = plan.tables.find((t) => t.name === rule.table);
    if (!table?.inserted || !table.key) continue;
    const group = [rule.owner, ...rule.uniqueBy].map((c) => `t.${q(c)}`);
    const { rows } = await client.query<{ owner: string; n: string }>(
      `SELECT t.${q(rule.owner)}::text AS owner, count(*) AS n
         FROM ${targetTable(plan, table.name)} t
        WHERE t.${q(rule.owner)} IS NOT NULL AND ${coveredSql(rule, "t")}
        GROUP BY ${group.join(", ")}
       HAVING count(*) > 1
          AND bool_or(EXISTS (SELECT 1 FROM ${fateTable(table.name)} f
                               WHERE f.status = 'insert' AND f.new = t.${q(table.key.column)}))
        LIMIT ${SHOWN_DIFFERENCES}`,
    );
    for (const row of rows)
      broken.push(`${rule.name}: owner ${row.owner} has ${row.n} such ${table.name} rows`);
  }
  if (broken.length > 0) {
    throw new VerificationError(
      "E_VERIFY_RULE",
      `Verification failed, nothing was changed: the import would break the app's rules (${broken.join("; ")})`,
      {
        hint: "The import was rolled back. This is a bug in combining rows; report it with the snapshot.",
        details: { broken },
      },
    );
  }
}
