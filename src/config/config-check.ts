import { planRedaction } from "../redact/plan.js";
import type { ColumnDescription, SchemaDescription, TableDescription } from "../schema/description.js";
import { ConfigError } from "./config-error.js";
import type { ProjectConfig } from "./project-config-types.js";

/**
 * Checks the configuration's names against a database's schema description.
 * - errors: the config cannot work with this database (an owners or identity column that does
 *   not exist, a rule of the wrong type, a per-owner rule on a missing column or enum label…);
 * - unused: names of tables or columns this database does not have. Not an error, so one config
 *   serves databases one migration behind or ahead (a rule for a column added later), and it
 *   cannot leak: a column no rule names is redacted anyway (src/redact/plan.ts).
 */
export interface ConfigCheck {
  errors: ConfigProblem[];
  unused: ConfigProblem[];
}

export interface ConfigProblem {
  /** Where in the config, e.g. `identity.Book` or `redaction.User.email`. */
  path: string;
  table: string;
  column?: string;
  message: string;
}

export function checkConfigAgainstSchema(config: ProjectConfig, description: SchemaDescription): ConfigCheck {
  const tables = new Map(description.tables.map((table) => [table.name, table]));
  const check: ConfigCheck = { errors: [], unused: [] };
  const hasColumn = (table: TableDescription, column: string) => table.columns.some((c) => c.name === column);
  /** Every name of `columns` must exist in `table` (errors), or the whole entry is unused. */
  const requireColumns = (path: string, tableName: string, columns: readonly string[]) => {
    const table = tables.get(tableName);
    if (!table) {
      check.unused.push({
        path,
        table: tableName,
        message: `table ${tableName} is not in the exported schema`,
      });
      return undefined;
    }
    for (const column of columns) {
      if (!hasColumn(table, column)) {
        check.errors.push({
          path,
          table: tableName,
          column,
          message: `${tableName} has no column ${column}`,
        });
      }
    }
    return table;
  };

  for (const name of config.tables.include ?? []) {
    if (!tables.has(name)) {
      check.errors.push({
        path: "tables.include",
        table: name,
        message: `table ${name} is not in schema ${description.schema}`,
      });
    }
  }

  if (config.owners) {
    const { table, idColumn, emailColumn } = config.owners;
    const columns = emailColumn ? [idColumn, emailColumn] : [idColumn];
    if (!tables.has(table)) {
      check.errors.push({
        path: "owners.table",
        table,
        message: `the owners table ${table} is not in the exported schema`,
      });
    } else {
      requireColumns("owners", table, columns);
    }
  }

  for (const [tableName, rules] of Object.entries(config.redaction)) {
    const table = tables.get(tableName);
    for (const [column, rule] of Object.entries(rules)) {
      const path = `redaction.${tableName}.${column}`;
      if (!table) {
        check.unused.push({
          path,
          table: tableName,
          column,
          message: `table ${tableName} is not in the exported schema`,
        });
      } else if (!hasColumn(table, column)) {
        check.unused.push({
          path,
          table: tableName,
          column,
          message: `${tableName} has no column ${column}`,
        });
      }
      const [domainTable = "", domainColumn = ""] = rule.domain.split(".");
      const target = tables.get(domainTable);
      if (rule.domain !== `${tableName}.${column}` && (!target || !hasColumn(target, domainColumn))) {
        check.unused.push({
          path: `${path}.sameAs`,
          table: domainTable,
          column: domainColumn,
          message: `${rule.domain} is not in the exported schema`,
        });
      }
    }
  }
  for (const problem of planRedaction(description, config.redaction).problems) {
    const [where = ""] = problem.split(/[: ]/, 1);
    const [table = "", column] = where.split(".");
    check.errors.push({ path: `redaction.${where}`, table, ...(column ? { column } : {}), message: problem });
  }

  for (const [tableName, columns] of Object.entries(config.identity)) {
    requireColumns(`identity.${tableName}`, tableName, columns);
  }

  config.perOwnerRules.forEach((rule, index) => {
    const path = `perOwnerRules[${index}]`;
    const table = requireColumns(path, rule.table, [
      rule.owner,
      ...Object.keys(rule.where),
      ...rule.uniqueBy,
    ]);
    if (!table) return;
    const owners = config.owners;
    const referencesOwners = table.foreignKeys.some(
      (fk) =>
        fk.columns.length === 1 && fk.columns[0] === rule.owner && fk.references.table === owners?.table,
    );
    if (owners && hasColumn(table, rule.owner) && !referencesOwners) {
      check.errors.push({
        path: `${path}.owner`,
        table: rule.table,
        column: rule.owner,
        message: `${rule.table}.${rule.owner} is not a foreign key to the owners table ${owners.table}`,
      });
    }
    if (rule.renumber) {
      const child = requireColumns(`${path}.renumber`, rule.renumber.table, [
        rule.renumber.parent,
        rule.renumber.column,
      ]);
      const pointsAtRule = child?.foreignKeys.some(
        (fk) =>
          fk.columns.length === 1 &&
          fk.columns[0] === rule.renumber?.parent &&
          fk.references.table === rule.table,
      );
      if (child && hasColumn(child, rule.renumber.parent) && !pointsAtRule) {
        check.errors.push({
          path: `${path}.renumber.parent`,
          table: rule.renumber.table,
          column: rule.renumber.parent,
          message: `${rule.renumber.table}.${rule.renumber.parent} is not a foreign key to ${rule.table}`,
        });
      }
    }
    for (const [columnName, value] of Object.entries(rule.where)) {
      const column = table.columns.find((c) => c.name === columnName);
      const problem = column ? whereValueProblem(column, value, description) : undefined;
      if (problem) {
        check.errors.push({
          path: `${path}.where.${columnName}`,
          table: rule.table,
          column: columnName,
          message: `${rule.table}.${columnName} ${problem}`,
        });
      }
    }
  });
  return check;
}

/** Why a per-owner rule's `where` value can never equal the column's values, if it cannot. */
function whereValueProblem(
  column: ColumnDescription,
  value: string | number | boolean | null,
  description: SchemaDescription,
): string | undefined {
  const { type } = column;
  if (value === null) return column.nullable ? undefined : "is NOT NULL: it is never null";
  if (type.array) return "is an array: compare scalars only";
  if (type.kind === "enum") {
    const labels = type.enumName ? description.enums[type.enumName] : undefined;
    return labels?.includes(String(value))
      ? undefined
      : `is enum ${type.enumName}, which has no label ${JSON.stringify(value)}`;
  }
  // Exact integers beyond 2^53 and decimals can only be written as strings.
  const exactNumber = (type.kind === "int8" || type.kind === "numeric") && typeof value === "string";
  if (exactNumber && /^-?\d+(\.\d+)?$/.test(value)) return undefined;
  const expected = WHERE_VALUE_TYPES[type.kind] ?? "string";
  return typeof value === expected ? undefined : `is ${type.sql}: give a JSON ${expected}`;
}

/** JSON type of a `where` value per column kind (int8 and numeric are compared as numbers too). */
const WHERE_VALUE_TYPES: Partial<Record<ColumnDescription["type"]["kind"], "number" | "boolean">> = {
  int2: "number",
  int4: "number",
  int8: "number",
  numeric: "number",
  float4: "number",
  float8: "number",
  bool: "boolean",
};

/** checkConfigAgainstSchema, throwing E_CONFIG_REFERENCE with every error; returns the unused names. */
export function assertConfigMatchesSchema(
  config: ProjectConfig,
  description: SchemaDescription,
): ConfigProblem[] {
  const { errors, unused } = checkConfigAgainstSchema(config, description);
  if (errors.length > 0) {
    const where =
      config.origin.kind === "file" ? `The config file ${config.origin.path}` : "The built-in configuration";
    throw new ConfigError(
      "E_CONFIG_REFERENCE",
      `${where} does not match the database's schema:\n  ${errors.map((e) => `${e.path}: ${e.message}`).join("\n  ")}`,
      {
        hint: "Fix the names in the config file (see docs/configuration.md).",
        details: { problems: errors },
      },
    );
  }
  return unused;
}
