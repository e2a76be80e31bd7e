import type {
  ColumnAction,
  CompareContext,
  CompatibilityEntry,
  RecordRule,
  Verdict,
} from "./compatibility.js";
import type { ColumnDescription, TableDescription } from "./description.js";
import { compareTypes } from "./type-change.js";

/** The column part of one table's comparison. */
export interface ColumnComparison {
  actions: ColumnAction[];
  entries: CompatibilityEntry[];
  recordRules: RecordRule[];
}

/**
 * Matches columns by name. The snapshot's carried columns (generated ones are not in its rows)
 * come first, in row order; then the target's insertable columns the snapshot lacks.
 */
export function compareColumns(
  from: TableDescription,
  to: TableDescription,
  context: CompareContext,
): ColumnComparison {
  const out: ColumnComparison = { actions: [], entries: [], recordRules: [] };
  const entry = (column: string, code: CompatibilityEntry["code"], verdict: Verdict, message: string) =>
    out.entries.push({ code, verdict, table: from.name, column, message });
  const targetColumns = new Map(to.columns.map((c) => [c.name, c]));
  const unsupported = new Map(
    (context.options.targetUnsupported ?? []).filter((u) => u.table === to.name).map((u) => [u.column, u]),
  );
  const carried = from.columns.filter((c) => !c.generated);
  carried.forEach((column, snapshotIndex) => {
    const target = targetColumns.get(column.name);
    const odd = unsupported.get(column.name);
    if (odd) {
      out.actions.push({ action: "drop", column: column.name, snapshotIndex });
      entry(
        column.name,
        "COLUMN_UNSUPPORTED_IN_TARGET",
        "refuse",
        `the target's type ${odd.sqlType} cannot be written by booksnap (${odd.reason})`,
      );
    } else if (!target) {
      out.actions.push({ action: "drop", column: column.name, snapshotIndex });
      entry(column.name, "COLUMN_ONLY_IN_SNAPSHOT", "adapt", "only in the snapshot: its values are dropped");
    } else if (target.generated) {
      out.actions.push({ action: "drop", column: column.name, snapshotIndex });
      entry(
        column.name,
        "COLUMN_GENERATED_IN_TARGET",
        "adapt",
        "generated in the target: computed there, the snapshot's values are dropped",
      );
    } else {
      compareColumn(column, target, snapshotIndex, context, out, entry);
    }
  });
  const carriedNames = new Set(carried.map((c) => c.name));
  for (const column of to.columns) {
    if (column.generated || carriedNames.has(column.name)) continue;
    out.actions.push({
      action: "fill-default",
      column: column.name,
      default: column.default,
      identity: column.identity !== null,
    });
    const [code, verdict, message] = filling(column);
    entry(column.name, code, verdict, message);
  }
  for (const [name, odd] of unsupported) {
    if (carriedNames.has(name)) continue;
    entry(
      name,
      "COLUMN_UNSUPPORTED_IN_TARGET",
      "adapt",
      `only in the target, of a type booksnap does not write (${odd.sqlType}): left to its default or NULL (a NOT NULL column without a default would make every insert fail)`,
    );
  }
  return out;
}

function compareColumn(
  from: ColumnDescription,
  to: ColumnDescription,
  snapshotIndex: number,
  context: CompareContext,
  out: ColumnComparison,
  entry: (column: string, code: CompatibilityEntry["code"], verdict: Verdict, message: string) => void,
): void {
  const name = from.name;
  const fromLabels = from.type.enumName ? (context.snapshot.enums[from.type.enumName] ?? []) : [];
  const change = compareTypes(from.type, to.type, fromLabels);
  if (change.verdict === "identical") {
    out.actions.push({ action: "copy", column: name, snapshotIndex });
  } else {
    out.actions.push({ action: "cast", column: name, snapshotIndex, from: from.type.sql, to: to.type.sql });
    const refused = change.verdict === "refuse";
    entry(name, change.code, refused ? "refuse" : "adapt", `${change.reason}${refused ? ": refused" : ""}`);
  }
  // A domain only adds checks: dropping one loses nothing, a new one may refuse some values.
  const domain = to.type.domain;
  if (change.verdict !== "refuse" && domain !== undefined && domain !== from.type.domain) {
    entry(
      name,
      "TYPE_DOMAIN_CHANGED",
      "records-rejected",
      `values are checked against the target's domain ${domain}: a record whose value it refuses goes to the dead-letter file`,
    );
    out.recordRules.push({ rule: "domain-check", column: name, domain });
  }
  if (from.type.kind === "enum" && to.type.kind === "enum" && change.verdict !== "refuse") {
    const toLabels = new Set(to.type.enumName ? (context.target.enums[to.type.enumName] ?? []) : []);
    const missing = fromLabels.filter((label) => !toLabels.has(label));
    const added = [...toLabels].filter((label) => !fromLabels.includes(label));
    if (missing.length > 0) {
      const refuse = context.options.onMissingEnum === "refuse";
      entry(
        name,
        "ENUM_VALUES_MISSING",
        refuse ? "refuse" : "records-rejected",
        `the target's enum ${to.type.enumName} lacks ${quoteList(missing)}: ${refuse ? "refused (--on-missing-enum refuse)" : "records holding them go to the dead-letter file"}`,
      );
      out.recordRules.push({ rule: "enum-value-missing", column: name, values: missing });
    }
    if (added.length > 0) {
      entry(
        name,
        "ENUM_VALUES_ADDED",
        "ok",
        `the target's enum ${to.type.enumName} also has ${quoteList(added)}: nothing to do`,
      );
    }
  }
  if (from.nullable && !to.nullable) {
    entry(
      name,
      "COLUMN_NOT_NULL_IN_TARGET",
      "records-rejected",
      "NOT NULL in the target: records with NULL here go to the dead-letter file",
    );
    out.recordRules.push({ rule: "null-not-allowed", column: name });
  } else if (!from.nullable && to.nullable) {
    entry(name, "COLUMN_NULLABLE_IN_TARGET", "ok", "nullable in the target: nothing to do");
  }
}

/** How the target fills a column the snapshot does not carry. */
function filling(column: ColumnDescription): [CompatibilityEntry["code"], Verdict, string] {
  if (column.identity !== null || /^nextval\(/i.test(column.default ?? "")) {
    return ["COLUMN_FILLED_BY_SEQUENCE", "adapt", "only in the target: filled from its sequence"];
  }
  if (column.default !== null) {
    return [
      "COLUMN_FILLED_BY_DEFAULT",
      "adapt",
      `only in the target: filled by its default ${column.default}`,
    ];
  }
  if (column.nullable) return ["COLUMN_FILLED_WITH_NULL", "adapt", "only in the target: filled with NULL"];
  return [
    "COLUMN_REQUIRED_IN_TARGET",
    "refuse",
    "only in the target, NOT NULL without a default: no value to give it, refused",
  ];
}

const quoteList = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(", ");
