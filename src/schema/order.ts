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

  // Kahn's algorithm, always placing the first ready table by name (a heap): the same order as
  // scanning the sorted list for the first ready table, in O(n log n) instead of O(n²) (10k tables).
  const waitingOn = new Map<string, number>();
  const referencedBy = new Map<string, TableDescription[]>();
  for (const table of tables) {
    const references = new Set(referencedTables(table));
    waitingOn.set(table.name, references.size);
    for (const name of references) {
      const children = referencedBy.get(name);
      if (children) children.push(table);
      else referencedBy.set(name, [table]);
    }
  }
  const ready = new NameHeap(tables.filter((table) => waitingOn.get(table.name) === 0));
  const ordered: TableDescription[] = [];
  for (let next = ready.pop(); next; next = ready.pop()) {
    ordered.push(next);
    for (const child of referencedBy.get(next.name) ?? []) {
      const left = (waitingOn.get(child.name) ?? 0) - 1;
      waitingOn.set(child.name, left);
      if (left === 0) ready.push(child);
    }
  }
  if (ordered.length < tables.length) {
    const placed = new Set(ordered);
    throw cycleError(
      [...tables].filter((table) => !placed.has(table)).sort((a, b) => compareNames(a.name, b.name)),
    );
  }
  return ordered;
}

/** A binary min-heap of tables by name. */
class NameHeap {
  private readonly items: TableDescription[] = [];

  constructor(initial: readonly TableDescription[]) {
    for (const table of initial) this.push(table);
  }

  push(table: TableDescription): void {
    const items = this.items;
    items.push(table);
    let at = items.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (compareNames((items[parent] as TableDescription).name, table.name) <= 0) break;
      items[at] = items[parent] as TableDescription;
      at = parent;
    }
    items[at] = table;
  }

  pop(): TableDescription | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || !last) return top;
    let at = 0;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= items.length) break;
      const right = child + 1;
      if (
        right < items.length &&
        compareNames((items[right] as TableDescription).name, (items[child] as TableDescription).name) < 0
      )
        child = right;
      if (compareNames((items[child] as TableDescription).name, last.name) >= 0) break;
      items[at] = items[child] as TableDescription;
      at = child;
    }
    items[at] = last;
    return top;
  }
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
