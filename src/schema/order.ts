import { SchemaError } from "../errors.js";
import type { TableDescription } from "./description.js";

/**
 * Foreign-key order of the described tables: every table after the tables it references, so an
 * import can insert parents before children. Ties are broken by table name (code-unit order, not
 * locale), so the same schema always gives the same order.
 *
 * A self-reference is allowed (rows of one table are ordered by the importer, not here). A foreign
 * key to a table that is not described is refused: its rows could not be imported. A cycle between
 * two or more tables is refused, naming the tables and constraints, as booksnap cannot order it.
 */
export function orderTables(tables: readonly TableDescription[]): TableDescription[] {
  const byName = new Map(tables.map((table) => [table.name, table]));
  refuseMissingReferences(tables, byName);

  const placed = new Set<string>();
  const ordered: TableDescription[] = [];
  let remaining = [...tables].sort((a, b) => compareNames(a.name, b.name));
  while (remaining.length > 0) {
    const next = remaining.find((table) => referencedTables(table).every((name) => placed.has(name)));
    if (!next) throw cycleError(remaining);
    placed.add(next.name);
    ordered.push(next);
    remaining = remaining.filter((table) => table !== next);
  }
  return ordered;
}

export const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Tables this one references, itself left out. */
function referencedTables(table: TableDescription): string[] {
  return table.foreignKeys.map((fk) => fk.references.table).filter((name) => name !== table.name);
}

function refuseMissingReferences(
  tables: readonly TableDescription[],
  byName: ReadonlyMap<string, TableDescription>,
): void {
  const missing = tables.flatMap((table) =>
    table.foreignKeys
      .filter((fk) => !byName.has(fk.references.table))
      .map((fk) => ({ table: table.name, constraint: fk.name, references: fk.references.table })),
  );
  if (missing.length === 0) return;
  const lines = missing.map((m) => `"${m.table}" references "${m.references}" (${m.constraint})`);
  const referenced = [...new Set(missing.map((m) => m.references))].sort(compareNames);
  throw new SchemaError(
    "E_SCHEMA_EXCLUDED_REFERENCE",
    `Foreign keys reference tables left out of the export: ${lines.join("; ")}`,
    {
      hint: `Include ${referenced.map((name) => `"${name}"`).join(", ")}, or exclude the tables that reference them too: rows whose references are missing cannot be imported.`,
      details: { references: missing },
    },
  );
}

/** The cycles among the tables that could not be placed: strongly connected components of 2+ tables. */
function cycleError(remaining: readonly TableDescription[]): SchemaError {
  const cycles = stronglyConnected(remaining).filter((component) => component.length > 1);
  const described = cycles.map((component) => {
    const members = new Set(component);
    const constraints = remaining
      .filter((table) => members.has(table.name))
      .flatMap((table) =>
        table.foreignKeys
          .filter((fk) => fk.references.table !== table.name && members.has(fk.references.table))
          .map((fk) => ({ table: table.name, constraint: fk.name, references: fk.references.table })),
      );
    return { tables: [...component].sort(compareNames), constraints };
  });
  described.sort((a, b) => compareNames(a.tables[0] ?? "", b.tables[0] ?? ""));
  const text = described
    .map(
      (cycle) =>
        `${cycle.tables.map((name) => `"${name}"`).join(", ")} (${cycle.constraints
          .map((c) => `${c.constraint}: "${c.table}" -> "${c.references}"`)
          .join(", ")})`,
    )
    .join("; ");
  return new SchemaError("E_SCHEMA_CYCLE", `Foreign keys form a cycle between tables: ${text}`, {
    hint: "booksnap inserts referenced rows first and cannot order tables that reference each other; exclude one table of the cycle (and the tables that reference it).",
    details: { cycles: described },
  });
}

/** Tarjan's algorithm over the foreign-key graph of `tables` (edges to other tables ignored). */
function stronglyConnected(tables: readonly TableDescription[]): string[][] {
  const names = new Set(tables.map((table) => table.name));
  const edges = new Map(
    tables.map((table) => [table.name, referencedTables(table).filter((name) => names.has(name))]),
  );
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (name: string): void => {
    index.set(name, index.size);
    low.set(name, index.get(name) as number);
    stack.push(name);
    onStack.add(name);
    for (const next of edges.get(name) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(name, Math.min(low.get(name) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(name, Math.min(low.get(name) as number, index.get(next) as number));
      }
    }
    if (low.get(name) === index.get(name)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== name);
      components.push(component);
    }
  };
  for (const table of tables) if (!index.has(table.name)) visit(table.name);
  return components;
}
