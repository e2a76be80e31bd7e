import type { ForeignKeyDescription, TableDescription } from "../schema/description.js";
import { type Key, keyMatch, keyOutputs, quoteIdent, type RowKey, rowKeyOf } from "./subset-keys.js";

/**
 * The SQL of one step along a foreign-key edge: from a batch of keys of one end, the keys of
 * the rows at the other end. Each statement is an index lookup driven by `= ANY($1)` on a key
 * or on the foreign-key columns (never `OR` between subqueries, which makes PostgreSQL scan
 * whole tables). A self-reference (Employee.managerId → Employee.id) is walked to its end in
 * one statement with a recursive CTE (UNION, so a cycle in the data terminates).
 */

/** A foreign key seen as an edge of the table graph. */
export interface Edge {
  child: TableDescription;
  parent: TableDescription;
  fk: ForeignKeyDescription;
}

export interface EdgeQuery {
  text: string;
  values: string[];
}

const col = (alias: string, name: string) => `${alias}.${quoteIdent(name)}`;
const cols = (alias: string, names: readonly string[]) => names.map((n) => col(alias, n));
/** `a.x = b.y AND …` over paired column lists. */
const joinOn = (a: string, aCols: readonly string[], b: string, bCols: readonly string[]) =>
  aCols.map((c, i) => `${col(a, c)} = ${col(b, bCols[i] as string)}`).join(" AND ");

export class EdgeQueries {
  constructor(private readonly schema: string) {}

  from(table: TableDescription): string {
    return `${quoteIdent(this.schema)}.${quoteIdent(table.name)}`;
  }

  /** The foreign key's columns are the parent's key columns, in order: compare them to parent keys directly. */
  private referencesKey(edge: Edge): boolean {
    const key = rowKeyOf(edge.parent);
    const refs = edge.fk.references.columns;
    return refs.length === key.columns.length && refs.every((r, i) => r === key.columns[i]?.name);
  }

  /** Keys of child rows whose foreign key points at one of the parent rows `parentKeys`. */
  children(edge: Edge, parentKeys: readonly Key[]): EdgeQuery {
    const childKey = rowKeyOf(edge.child);
    const parentKey = rowKeyOf(edge.parent);
    const { fk } = edge;
    const childKeyCols = childKey.columns.map((c) => c.name);
    const parentKeyCols = parentKey.columns.map((c) => c.name);
    if (edge.child === edge.parent) {
      const match = keyMatch(parentKey, cols("p", parentKeyCols), parentKeys, 1);
      const step = (from: string, on: string) =>
        `SELECT ${keyOutputs(childKey, cols("c", childKeyCols))}, ${refOutputs(fk)} FROM ${from} JOIN ${this.from(edge.child)} c ON ${on}`;
      return {
        text:
          `WITH RECURSIVE found AS (${step(`${this.from(edge.parent)} p`, joinOn("c", fk.columns, "p", fk.references.columns))} WHERE ${match.sql}` +
          ` UNION ${step("found x", fk.columns.map((c, i) => `${col("c", c)} = x.r${i}`).join(" AND "))})` +
          ` SELECT ${outputNames(childKey)} FROM found`,
        values: match.values,
      };
    }
    if (this.referencesKey(edge)) {
      const match = keyMatch(parentKey, cols("c", fk.columns), parentKeys, 1);
      return {
        text: `SELECT ${keyOutputs(childKey, cols("c", childKeyCols))} FROM ${this.from(edge.child)} c WHERE ${match.sql}`,
        values: match.values,
      };
    }
    const match = keyMatch(parentKey, cols("p", parentKeyCols), parentKeys, 1);
    return {
      text:
        `SELECT ${keyOutputs(childKey, cols("c", childKeyCols))} FROM ${this.from(edge.parent)} p` +
        ` JOIN ${this.from(edge.child)} c ON ${joinOn("c", fk.columns, "p", fk.references.columns)} WHERE ${match.sql}`,
      values: match.values,
    };
  }

  /** Keys of the parent rows the child rows `childKeys` reference (all ancestors for a self-reference). */
  parents(edge: Edge, childKeys: readonly Key[]): EdgeQuery {
    const childKey = rowKeyOf(edge.child);
    const parentKey = rowKeyOf(edge.parent);
    const { fk } = edge;
    const match = keyMatch(
      childKey,
      cols(
        "c",
        childKey.columns.map((c) => c.name),
      ),
      childKeys,
      1,
    );
    const parentKeyCols = parentKey.columns.map((c) => c.name);
    if (edge.child === edge.parent) {
      const step = (from: string, on: string) =>
        `SELECT ${keyOutputs(parentKey, cols("p", parentKeyCols))}, ${fk.columns.map((c, i) => `${col("p", c)} AS r${i}`).join(", ")}` +
        ` FROM ${from} JOIN ${this.from(edge.parent)} p ON ${on}`;
      return {
        text:
          `WITH RECURSIVE found AS (${step(`${this.from(edge.child)} c`, joinOn("p", fk.references.columns, "c", fk.columns))} WHERE ${match.sql}` +
          ` UNION ${step("found x", fk.references.columns.map((c, i) => `${col("p", c)} = x.r${i}`).join(" AND "))})` +
          ` SELECT ${outputNames(parentKey)} FROM found`,
        values: match.values,
      };
    }
    if (this.referencesKey(edge)) {
      // MATCH SIMPLE: a foreign key with a NULL column references nothing.
      const notNull = fk.columns.map((c) => `${col("c", c)} IS NOT NULL`).join(" AND ");
      return {
        text: `SELECT DISTINCT ${keyOutputs(parentKey, cols("c", fk.columns))} FROM ${this.from(edge.child)} c WHERE ${match.sql} AND ${notNull}`,
        values: match.values,
      };
    }
    return {
      text:
        `SELECT DISTINCT ${keyOutputs(parentKey, cols("p", parentKeyCols))} FROM ${this.from(edge.child)} c` +
        ` JOIN ${this.from(edge.parent)} p ON ${joinOn("p", fk.references.columns, "c", fk.columns)} WHERE ${match.sql}`,
      values: match.values,
    };
  }
}

/** The referenced columns of a self-referencing row, carried through the recursive CTE as r0, r1… */
function refOutputs(fk: ForeignKeyDescription): string {
  return fk.references.columns.map((c, i) => `${col("c", c)} AS r${i}`).join(", ");
}

function outputNames(key: RowKey): string {
  return key.columns.map((_, i) => `k${i}`).join(", ");
}
