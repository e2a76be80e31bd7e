import type { ColumnAction, CompareContext, CompatibilityEntry, RecordRule } from "./compatibility.js";
import type { ForeignKeyDescription, TableDescription } from "./description.js";

/**
 * Keys decide how rows are matched and how references are remapped on import: a table whose
 * primary key is one integer column with a sequence gets new ids from the target's sequence,
 * and every foreign key pointing at it is rewritten through the old → new id map. A key change
 * that breaks that mapping is refused; one that only adds a check sends offending records to
 * the dead-letter file.
 */
export function compareKeys(
  from: TableDescription,
  to: TableDescription,
  actions: readonly ColumnAction[],
  context: CompareContext,
): { entries: CompatibilityEntry[]; recordRules: RecordRule[] } {
  const entries: CompatibilityEntry[] = [];
  const recordRules: RecordRule[] = [];
  const add = (code: CompatibilityEntry["code"], verdict: CompatibilityEntry["verdict"], message: string) =>
    entries.push({ code, verdict, table: from.name, message });

  if (from.primaryKey.length > 0 && to.primaryKey.length === 0) {
    add(
      "PRIMARY_KEY_MISSING",
      "refuse",
      `the target has no primary key (the snapshot's is ${columnList(from.primaryKey)}): rows cannot be matched or their ids mapped, refused`,
    );
  } else if (!sameList(from.primaryKey, to.primaryKey)) {
    add(
      "PRIMARY_KEY_CHANGED",
      "refuse",
      `primary key ${columnList(from.primaryKey)} in the snapshot, ${columnList(to.primaryKey)} in the target: rows cannot be matched or their ids mapped, refused`,
    );
  }

  const filled = new Set(actions.filter((a) => a.action === "fill-default").map((a) => a.column));
  const kept = new Set(
    actions.filter((a) => a.action === "copy" || a.action === "cast").map((a) => a.column),
  );
  const snapshotKeys = new Map(from.foreignKeys.map((fk) => [columnList(fk.columns), fk]));
  const targetKeys = new Map(to.foreignKeys.map((fk) => [columnList(fk.columns), fk]));

  for (const [columns, fk] of targetKeys) {
    const before = snapshotKeys.get(columns);
    const into = `${fk.references.table}${columnList(fk.references.columns)}`;
    if (before) {
      if (
        before.references.table !== fk.references.table ||
        !sameList(before.references.columns, fk.references.columns)
      ) {
        add(
          "FOREIGN_KEY_CHANGED",
          "refuse",
          `${columns} references ${before.references.table}${columnList(before.references.columns)} in the snapshot, ${into} in the target: its values cannot be mapped, refused`,
        );
      }
      continue;
    }
    // A reference made only of columns the target fills itself holds the target's own values.
    if (fk.columns.every((c) => filled.has(c))) continue;
    const referenced = context.target.tables.find((t) => t.name === fk.references.table);
    if (referenced && hasRemappedKey(referenced)) {
      add(
        "FOREIGN_KEY_ADDED",
        "refuse",
        `the target's ${fk.name} makes ${columns} reference ${into}, which the snapshot did not record: its values cannot be mapped to the target's new ids, refused`,
      );
    } else {
      add(
        "FOREIGN_KEY_ADDED",
        "records-rejected",
        `the target's ${fk.name} makes ${columns} reference ${into}, which the snapshot did not record: values are kept, records whose reference has no row go to the dead-letter file`,
      );
      recordRules.push({
        rule: "foreign-key-added",
        constraint: fk.name,
        columns: fk.columns,
        references: fk.references,
      });
    }
  }

  for (const [columns, fk] of snapshotKeys) {
    if (targetKeys.has(columns) || !fk.columns.every((c) => kept.has(c))) continue;
    add(
      "FOREIGN_KEY_ONLY_IN_SNAPSHOT",
      "adapt",
      `${columns} references ${fk.references.table} in the snapshot only: ${remapNote(fk, context)}, the target no longer checks the reference`,
    );
  }

  const knownUniques = new Set([
    columnSet(from.primaryKey),
    ...from.uniques.map((u) => columnSet(u.columns)),
  ]);
  for (const unique of to.uniques) {
    if (knownUniques.has(columnSet(unique.columns))) continue;
    add(
      "UNIQUE_ADDED",
      "records-rejected",
      `the target's unique ${unique.name} on ${columnList(unique.columns)} is new: a record duplicating another there goes to the dead-letter file`,
    );
    recordRules.push({ rule: "unique-added", constraint: unique.name, columns: unique.columns });
  }
  return { entries, recordRules };
}

/** One integer column with a sequence (serial or identity): import gives its rows new ids. */
export function hasRemappedKey(table: TableDescription): boolean {
  if (table.primaryKey.length !== 1) return false;
  const column = table.columns.find((c) => c.name === table.primaryKey[0]);
  if (!column || column.type.array || !["int2", "int4", "int8"].includes(column.type.kind)) return false;
  return column.identity !== null || /^nextval\(/i.test(column.default ?? "");
}

function remapNote(fk: ForeignKeyDescription, context: CompareContext): string {
  const referenced = context.snapshot.tables.find((t) => t.name === fk.references.table);
  if (
    !context.snapshotTables.has(fk.references.table) ||
    !context.target.tables.some((t) => t.name === fk.references.table)
  ) {
    return `${fk.references.table} is not loaded, so the values are copied as they are`;
  }
  return referenced && hasRemappedKey(referenced)
    ? `the values are still mapped to ${fk.references.table}'s new ids`
    : "the values are copied as they are";
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);
const columnList = (columns: readonly string[]) => `(${columns.join(", ")})`;
const columnSet = (columns: readonly string[]) => [...columns].sort().join("\u0000");
