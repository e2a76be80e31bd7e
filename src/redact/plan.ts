import type { RedactionKind } from "../config/config-file-schema.js";
import type { ProjectConfig, RedactionRule } from "../config/project-config-types.js";
import {
  type ColumnDescription,
  carriedColumns,
  type SchemaDescription,
  type TableDescription,
} from "../schema/description.js";
import { ruleFitProblem, singleUniqueColumns } from "./column-fit.js";
import { suggestKind, type UncoveredColumn, uncoveredReplacement } from "./uncovered.js";

/**
 * What redaction does to each table, decided from the configuration and the schema description
 * before any row is read. A table is redacted when the config has rules for it, or when one of
 * its foreign keys references a redacted column (the reference must keep pointing at the same
 * pseudonym). In a redacted table every carried column is, in this order:
 * 1. named by a rule: the rule applies (checked against the column's type);
 * 2. a foreign-key column referencing a redacted column: it follows that column's rule;
 * 3. a key (primary key, foreign key, or referenced by a foreign key): kept — keys are
 *    identifiers, and replacing one would break the references; give it a rule if it is PII;
 * 4. in a table with rules of its own, anything else is uncovered, replaced by type
 *    (uncovered.ts); in a table redacted only for case 2, the rest is kept.
 */

export type RedactionRules = ProjectConfig["redaction"];

/** One carried column's treatment, as recorded in the manifest's `redaction.rules`. */
export interface AppliedRule {
  table: string;
  column: string;
  kind: RedactionKind;
  /** Pseudonym domain (Table.column) for pseudonym kinds. */
  domain?: string;
  /** Why a column without its own rule got this one: "key" (kept) or "references Table.column". */
  implicit?: string;
}

export interface TableRedactionPlan {
  table: string;
  /** Per carried column, in row order: its rule, or undefined when uncovered. */
  columns: {
    column: ColumnDescription;
    rule: AppliedRule | undefined;
    uncovered: UncoveredColumn | undefined;
  }[];
  rules: AppliedRule[];
  uncovered: UncoveredColumn[];
  /** Rules that cannot apply (wrong type, broken references…): the config must change. */
  problems: string[];
}

export interface RedactionPlan {
  tables: Map<string, TableRedactionPlan>;
  rules: AppliedRule[];
  uncovered: UncoveredColumn[];
  problems: string[];
}

/** Plans every table of the description (tables without redaction are absent from `tables`). */
export function planRedaction(description: SchemaDescription, redaction: RedactionRules): RedactionPlan {
  const plan: RedactionPlan = { tables: new Map(), rules: [], uncovered: [], problems: [] };
  for (const table of description.tables) {
    const tablePlan = planTableRedaction(table, redaction, description);
    if (!tablePlan) continue;
    plan.tables.set(table.name, tablePlan);
    plan.rules.push(...tablePlan.rules);
    plan.uncovered.push(...tablePlan.uncovered);
    plan.problems.push(...tablePlan.problems);
  }
  return plan;
}

function ownRule(redaction: RedactionRules, table: string, column: string): RedactionRule | undefined {
  const rules = Object.hasOwn(redaction, table) ? redaction[table] : undefined;
  return rules && Object.hasOwn(rules, column) ? rules[column] : undefined;
}

/** The redacted column a foreign-key column references, if any: its rule and its name. */
function referencedRule(
  table: TableDescription,
  column: string,
  redaction: RedactionRules,
): { rule: RedactionRule; target: string } | undefined {
  for (const foreignKey of table.foreignKeys) {
    const position = foreignKey.columns.indexOf(column);
    const targetColumn = foreignKey.references.columns[position];
    if (position < 0 || targetColumn === undefined) continue;
    const rule = ownRule(redaction, foreignKey.references.table, targetColumn);
    if (rule && rule.kind !== "keep")
      return { rule, target: `${foreignKey.references.table}.${targetColumn}` };
  }
  return undefined;
}

/** Columns that are keys: primary key, foreign-key columns, and columns other tables' foreign keys reference. */
function keyColumns(
  table: TableDescription,
  description: Pick<SchemaDescription, "tables"> | undefined,
): Set<string> {
  const keys = new Set(table.primaryKey);
  for (const foreignKey of table.foreignKeys) for (const column of foreignKey.columns) keys.add(column);
  for (const other of description?.tables ?? []) {
    for (const foreignKey of other.foreignKeys) {
      if (foreignKey.references.table !== table.name) continue;
      for (const column of foreignKey.references.columns) keys.add(column);
    }
  }
  return keys;
}

/**
 * The plan of one table, or undefined when nothing in it is redacted. `description` supplies the
 * other tables (which columns they reference); without it only this table's own keys count.
 */
export function planTableRedaction(
  table: TableDescription,
  redaction: RedactionRules,
  description?: Pick<SchemaDescription, "tables">,
): TableRedactionPlan | undefined {
  const hasRules = Object.hasOwn(redaction, table.name);
  const columns = carriedColumns(table);
  const follows = new Map(
    columns.map((column) => [column.name, referencedRule(table, column.name, redaction)]),
  );
  if (!hasRules && ![...follows.values()].some(Boolean)) return undefined;

  const plan: TableRedactionPlan = { table: table.name, columns: [], rules: [], uncovered: [], problems: [] };
  const keys = keyColumns(table, description);
  const singleUnique = singleUniqueColumns(table);
  for (const column of columns) {
    const where = `${table.name}.${column.name}`;
    const own = ownRule(redaction, table.name, column.name);
    const followed = follows.get(column.name);
    let rule: AppliedRule | undefined;
    if (own) {
      rule = applied(table.name, column.name, own);
      const fit = ruleFitProblem(column, own);
      if (fit) plan.problems.push(`${where}: ${fit}`);
      if (followed && (followed.rule.kind !== own.kind || followed.rule.domain !== own.domain)) {
        plan.problems.push(
          `${where} references ${followed.target}, which is redacted (${followed.rule.kind}); give both the same rule, ` +
            `e.g. ${JSON.stringify(column.name)}: ${JSON.stringify({ kind: followed.rule.kind, sameAs: followed.rule.domain })}`,
        );
      }
    } else if (followed) {
      rule = {
        ...applied(table.name, column.name, followed.rule),
        implicit: `references ${followed.target}`,
      };
      const fit = ruleFitProblem(column, followed.rule);
      if (fit) plan.problems.push(`${where} (follows ${followed.target}): ${fit}`);
    } else if (keys.has(column.name)) {
      rule = { table: table.name, column: column.name, kind: "keep", implicit: "key" };
    } else if (!hasRules) {
      // Redacted only because a foreign key follows a redacted column: the rest is not PII.
      rule = { table: table.name, column: column.name, kind: "keep", implicit: "table without rules" };
    }
    let uncovered: UncoveredColumn | undefined;
    if (!rule) {
      uncovered = {
        table: table.name,
        column: column.name,
        replacement: uncoveredReplacement(column),
        suggestedKind: suggestKind(column),
      };
      const constant = uncovered.replacement !== "pseudonym" && uncovered.replacement !== "null";
      if (constant && singleUnique.has(column.name)) {
        plan.problems.push(
          `${where} is unique and no rule covers it; a constant replacement would collide. Add a rule: ` +
            `${JSON.stringify(column.name)}: ${JSON.stringify(uncovered.suggestedKind)}`,
        );
      }
      plan.uncovered.push(uncovered);
    } else {
      plan.rules.push(rule);
    }
    plan.columns.push({ column, rule, uncovered });
  }
  return plan;
}

function applied(table: string, column: string, rule: RedactionRule): AppliedRule {
  const pseudonym = rule.kind !== "keep" && rule.kind !== "null";
  return pseudonym
    ? { table, column, kind: rule.kind, domain: rule.domain }
    : { table, column, kind: rule.kind };
}
