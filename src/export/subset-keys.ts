import type { TableDescription } from "../schema/description.js";

/**
 * Row keys of a subset, held in memory as sorted arrays (a read-only transaction cannot create a
 * temporary table to hold them). Memory: 4 bytes per selected row when the key is one int2/int4
 * column (an Int32Array), otherwise the key's text form as a JS string (about 40 bytes + its
 * length per row: ~80 bytes for a uuid). Only selected rows are held, never the whole table.
 */

/** A key: a number for compact (int2/int4) keys; otherwise the text form, or a JSON array of the texts for a composite key. */
export type Key = number | string;

export interface KeyColumn {
  name: string;
  /** Type to cast parameters to, as format_type prints it. */
  sqlType: string;
}

/** How a table's rows are identified: its primary key, else `ctid` (stable inside one transaction). */
export interface RowKey {
  columns: KeyColumn[];
  /** One int2/int4 column: keys are numbers in an Int32Array. */
  compact: boolean;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function rowKeyOf(table: TableDescription): RowKey {
  if (table.primaryKey.length === 0) return { columns: [{ name: "ctid", sqlType: "tid" }], compact: false };
  const columns = table.primaryKey.map((name) => {
    const column = table.columns.find((c) => c.name === name);
    if (!column) throw new Error(`primary key column ${name} of ${table.name} is not described`);
    return { name, sqlType: column.type.sql, kind: column.type.kind, array: column.type.array };
  });
  const only = columns[0];
  const compact = columns.length === 1 && !only?.array && (only?.kind === "int4" || only?.kind === "int2");
  return { columns: columns.map(({ name, sqlType }) => ({ name, sqlType })), compact };
}

/** SELECT-list expressions giving a key from `expressions` (one per key column), as k0, k1… */
export function keyOutputs(key: RowKey, expressions: string[]): string {
  return expressions.map((e, i) => (key.compact ? `${e} AS k${i}` : `${e}::text AS k${i}`)).join(", ");
}

/** The key of a result row (rowMode "array") whose first columns were selected with keyOutputs. */
export function keyFromRow(key: RowKey, row: readonly unknown[]): Key {
  if (key.compact) return Number(row[0]);
  if (key.columns.length === 1) return String(row[0]);
  return JSON.stringify(key.columns.map((_, i) => String(row[i])));
}

/**
 * A condition true exactly for rows whose `expressions` (one per key column) equal one of `keys`,
 * written as index lookups: `= ANY($n::type[])`, or `IN (SELECT * FROM unnest(…))` for composite keys.
 * Parameters are numbered from `firstParam`; their values are PostgreSQL array literals.
 */
export function keyMatch(
  key: RowKey,
  expressions: string[],
  keys: readonly Key[],
  firstParam: number,
): { sql: string; values: string[] } {
  if (keys.length === 0) return { sql: "FALSE", values: [] };
  const values = key.columns.map((_, i) => arrayLiteral(keys, key, i));
  const params = key.columns.map((c, i) => `$${firstParam + i}::${c.sqlType}[]`);
  if (key.columns.length === 1) return { sql: `${expressions[0]} = ANY(${params[0]})`, values };
  return {
    sql: `(${expressions.join(", ")}) IN (SELECT * FROM unnest(${params.join(", ")}))`,
    values,
  };
}

/** PostgreSQL array literal of column `column` of each key. */
function arrayLiteral(keys: readonly Key[], key: RowKey, column: number): string {
  if (key.compact) return `{${keys.join(",")}}`;
  const texts =
    key.columns.length === 1
      ? (keys as string[])
      : keys.map((k) => (JSON.parse(k as string) as string[])[column] as string);
  return `{${texts.map((t) => `"${t.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
}

/** A set of keys kept sorted, so adding a batch finds the new keys by one merge pass. */
export class KeySet {
  private compactKeys = new Int32Array(0);
  private textKeys: string[] = [];

  constructor(readonly compact: boolean) {}

  get size(): number {
    return this.compact ? this.compactKeys.length : this.textKeys.length;
  }

  /** Adds keys; returns the ones not already present, ascending, each once. */
  add(keys: readonly Key[]): Key[] {
    if (keys.length === 0) return [];
    if (this.compact) {
      const incoming = Int32Array.from(keys as number[]).sort();
      const { merged, added } = mergeSorted(this.compactKeys, incoming, (n) => new Int32Array(n));
      this.compactKeys = merged;
      return added;
    }
    const incoming = [...(keys as string[])].sort();
    const { merged, added } = mergeSorted(this.textKeys, incoming, (n) => new Array<string>(n));
    this.textKeys = merged;
    return added;
  }

  has(key: Key): boolean {
    const keys: ArrayLike<Key> = this.compact ? this.compactKeys : this.textKeys;
    let low = 0;
    let high = keys.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = keys[mid] as Key;
      if (at === key) return true;
      if (at < key) low = mid + 1;
      else high = mid - 1;
    }
    return false;
  }

  /** The keys, ascending (numeric for compact keys, UTF-16 code-unit order for text keys). */
  toArray(): Key[] {
    return this.compact ? Array.from(this.compactKeys) : [...this.textKeys];
  }
}

/** Merges sorted `incoming` (may hold duplicates) into sorted, duplicate-free `current`. */
function mergeSorted<K extends Key, A extends { length: number; [i: number]: K }>(
  current: A,
  incoming: ArrayLike<K>,
  allocate: (n: number) => A,
): { merged: A; added: K[] } {
  const added: K[] = [];
  let i = 0;
  for (let j = 0; j < incoming.length; j++) {
    const k = incoming[j] as K;
    if (j > 0 && incoming[j - 1] === k) continue;
    while (i < current.length && (current[i] as K) < k) i++;
    if (i < current.length && current[i] === k) continue;
    added.push(k);
  }
  if (added.length === 0) return { merged: current, added };
  const merged = allocate(current.length + added.length);
  let a = 0;
  let b = 0;
  for (let out = 0; out < merged.length; out++) {
    if (b >= added.length || (a < current.length && (current[a] as K) < (added[b] as K))) {
      merged[out] = current[a++] as K;
    } else merged[out] = added[b++] as K;
  }
  return { merged, added };
}
