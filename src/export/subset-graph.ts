import { UsageError } from "../errors.js";
import type { ForeignKeyDescription, SchemaDescription, TableDescription } from "../schema/description.js";
import type { OwnerScope } from "./subset.js";
import {
  type Key,
  KeySet,
  keyFromRow,
  keyOutputs,
  quoteIdent,
  type RowKey,
  rowKeyOf,
} from "./subset-keys.js";
import type { Edge } from "./subset-queries.js";

/**
 * The foreign-key graph of a described schema, seen from the owners table: which edges lead
 * from owned rows to the rows they own (descent) and from any row to the rows it references.
 */
export class SubsetGraph {
  private readonly byName: Map<string, TableDescription>;
  private readonly keys = new Map<string, RowKey>();

  constructor(
    private readonly description: SchemaDescription,
    private readonly owners: OwnerScope | null,
  ) {
    this.byName = new Map(description.tables.map((t) => [t.name, t]));
    for (const t of description.tables) this.keys.set(t.name, rowKeyOf(t));
  }

  table(name: string): TableDescription {
    const table = this.byName.get(name);
    if (!table) throw new Error(`no table ${name} in the schema description`);
    return table;
  }

  /**
   * The owners configuration, checked against the schema. Checked only when --owner is used, so
   * a --where export of a schema the owners configuration does not fit still works.
   */
  ownerScope(): OwnerScope {
    if (!this.owners) {
      throw new UsageError("--owner needs an owners table, and the configuration names none", {
        code: "E_BAD_OWNER",
        hint: 'Set "owners": { "table", "idColumn", "emailColumn" } in booksnap.config.json, or select rows with --where.',
      });
    }
    this.checkOwnerScope(this.owners);
    return this.owners;
  }

  ownersTable(): TableDescription {
    return this.table(this.ownerScope().table);
  }

  rowKey(table: TableDescription): RowKey {
    return this.keys.get(table.name) ?? rowKeyOf(table);
  }

  keySelect(table: TableDescription, alias?: string): string {
    const prefix = alias ? `${alias}.` : "";
    return keyOutputs(
      this.rowKey(table),
      this.rowKey(table).columns.map((c) => `${prefix}${quoteIdent(c.name)}`),
    );
  }

  keyFromRow(table: TableDescription, row: readonly unknown[]): Key {
    return keyFromRow(this.rowKey(table), row);
  }

  emptySets(): Map<string, KeySet> {
    return new Map(this.description.tables.map((t) => [t.name, new KeySet(this.rowKey(t).compact)]));
  }

  emptyFrontier(): Map<string, Key[]> {
    return new Map(this.description.tables.map((t) => [t.name, []]));
  }

  set(sets: Map<string, KeySet>, table: TableDescription): KeySet {
    const set = sets.get(table.name);
    if (!set) throw new Error(`no key set for ${table.name}`);
    return set;
  }

  /** Parents before children, so ownership settles in one pass over an acyclic graph. */
  descentOrder(): TableDescription[] {
    return this.description.tables;
  }

  /** Edges along which owned rows of `parent` make rows of another table owned (see subset.ts, step 2). */
  descentEdges(parent: TableDescription): Edge[] {
    const owners = this.owners;
    if (!owners) return [];
    const edges: Edge[] = [];
    for (const child of this.description.tables) {
      if (child.name === owners.table) continue;
      const ownerFks = child.foreignKeys.filter((fk) => fk.references.table === owners.table);
      if (parent.name === owners.table) {
        for (const fk of ownerFks) edges.push({ child, parent, fk });
        continue;
      }
      if (ownerFks.length > 0) continue; // has its own owner column: never owned through another table
      const through = owners.belongsThrough?.[child.name];
      for (const fk of child.foreignKeys) {
        if (fk.references.table !== parent.name) continue;
        if (through && !through.some((name) => fkNamed(fk, name))) continue;
        edges.push({ child, parent, fk });
      }
    }
    return edges;
  }

  /** Every foreign key of `child` into a described table (closure under references, step 4). */
  referenceEdges(child: TableDescription): Edge[] {
    return child.foreignKeys.flatMap((fk) => {
      const parent = this.byName.get(fk.references.table);
      return parent ? [{ child, parent, fk }] : [];
    });
  }

  private checkOwnerScope(owners: OwnerScope): void {
    const problems: string[] = [];
    const table = this.byName.get(owners.table);
    if (!table) problems.push(`owners table ${JSON.stringify(owners.table)} is not in the exported schema`);
    for (const column of [owners.idColumn, owners.emailColumn]) {
      if (table && column !== null && !table.columns.some((c) => c.name === column)) {
        problems.push(`owners table ${owners.table} has no column ${JSON.stringify(column)}`);
      }
    }
    for (const [childName, names] of Object.entries(owners.belongsThrough ?? {})) {
      const child = this.byName.get(childName);
      if (!child) {
        problems.push(
          `belongsThrough names table ${JSON.stringify(childName)}, which is not in the exported schema`,
        );
        continue;
      }
      for (const name of names) {
        if (!child.foreignKeys.some((fk) => fkNamed(fk, name))) {
          problems.push(`belongsThrough: ${childName} has no foreign key ${JSON.stringify(name)}`);
        }
      }
    }
    if (problems.length > 0) {
      throw new UsageError(`The owners configuration does not fit the schema: ${problems.join("; ")}`, {
        code: "E_OWNERS_CONFIG",
        hint: 'Fix "owners" in booksnap.config.json (table and column names are case-sensitive).',
        details: { problems },
      });
    }
  }
}

/** A foreign key is named by its constraint name or by its columns joined with ",". */
function fkNamed(fk: ForeignKeyDescription, name: string): boolean {
  return fk.name === name || fk.columns.join(",") === name;
}
