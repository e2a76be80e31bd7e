import { createHash, type Hash } from "node:crypto";
import { SnapshotIntegrityError } from "../errors.js";
import {
  type ColumnDescription,
  carriedColumns,
  type ForeignKeyDescription,
  type TableDescription,
} from "../schema/description.js";
import { compileValidator, type ValueValidator } from "../schema/values.js";
import type { RawLine } from "../snapshot/data-reader.js";
import type { SnapshotManifestV2 } from "../snapshot/manifest.js";
import { decodeRowLine } from "../snapshot/row-line.js";
import { checkDataSize } from "./data-file.js";

export interface CheckedRow {
  lineNumber: number;
  table: string;
  row: unknown[];
}

/** Key kinds whose order JS can check exactly (text orders by collation, which only the server knows). */
const ORDERED_KINDS = new Set(["int2", "int4", "int8"]);

/** What the checker knows of one table, computed once from the manifest's description. */
interface TablePlan {
  table: TableDescription;
  index: number;
  columns: ColumnDescription[];
  /** Positions of the primary key's columns in the row ([] without a primary key). */
  key: number[];
  /** The key is integers only: ascending order is checked, not just uniqueness. */
  orderedKey: boolean;
  /** Foreign keys into described tables, with their column positions. */
  references: { fk: ForeignKeyDescription; positions: number[]; target: string; targetColumns: string }[];
  /** Column lists of this table other rows reference ("a,b"), with their positions. */
  referenced: { columns: string; positions: number[] }[];
  /** One compiled validator per column (enum labels included). */
  validators: ValueValidator[];
}

/**
 * Checks a format-2 snapshot one line at a time against its manifest: each line decodes (known
 * table, row length), every value is valid for its column's type and nullability, tables come in
 * the manifest's order, primary keys are unique (and ascend, for integer keys), every foreign key
 * points at a row of the snapshot, and counts and digests match. Holds the keys other rows
 * reference (one entry per referenced row), never rows.
 */
export class RowContentChecker {
  private readonly plans = new Map<string, TablePlan>();
  private readonly layout: Map<string, number>;
  private readonly digests = new Map<string, { hash: Hash; count: number }>();
  /** Referenced keys seen: "<table>\0<columns>" -> keys. */
  private readonly seen = new Map<string, Set<string | number>>();
  /** References to rows of the same table, checked when the table ends (they may point forward). */
  private pending: { lineNumber: number; table: string; what: string; set: string; key: string | number }[] =
    [];
  private current: TablePlan | undefined;
  private lastKey: unknown[] | undefined;
  private keysOfTable = new Set<string>();
  private lines = 0;
  private uncompressedBytes = 0;

  constructor(private readonly manifest: SnapshotManifestV2) {
    const { tables, enums } = manifest.schema.description;
    const described = new Map(tables.map((t) => [t.name, t]));
    const referencedLists = new Map<string, Set<string>>();
    for (const table of tables) {
      for (const fk of table.foreignKeys) {
        if (!described.has(fk.references.table)) continue;
        const lists = referencedLists.get(fk.references.table) ?? new Set<string>();
        lists.add(fk.references.columns.join(","));
        referencedLists.set(fk.references.table, lists);
      }
    }
    tables.forEach((table, index) => {
      const columns = carriedColumns(table);
      const position = (name: string) => columns.findIndex((c) => c.name === name);
      const key = table.primaryKey.map(position);
      this.plans.set(table.name, {
        table,
        index,
        columns,
        key,
        orderedKey: key.length > 0 && key.every((i) => ORDERED_KINDS.has(columns[i]?.type.kind ?? "")),
        references: table.foreignKeys
          .filter((fk) => described.has(fk.references.table))
          .map((fk) => ({
            fk,
            positions: fk.columns.map(position),
            target: fk.references.table,
            targetColumns: fk.references.columns.join(","),
          })),
        referenced: [...(referencedLists.get(table.name) ?? [])].map((list) => ({
          columns: list,
          positions: list.split(",").map(position),
        })),
        validators: columns.map((c) => compileValidator(c.type, enums)),
      });
      this.digests.set(table.name, { hash: createHash("sha256"), count: 0 });
    });
    this.layout = new Map(tables.map((t) => [t.name, carriedColumns(t).length]));
  }

  /** Decodes, validates and checks one raw data line. */
  acceptLine(line: RawLine & { overLong?: boolean }): CheckedRow {
    this.lines += 1;
    this.uncompressedBytes += line.bytes.length + 1;
    const lineNumber = line.lineNumber;
    if (line.overLong)
      throw fail("E_LINE_TOO_LONG", lineNumber, undefined, "line is longer than the line limit");
    const decoded = decodeRowLine(line.bytes, this.layout);
    if (!decoded.ok) throw fail("E_RECORD_DECODE", lineNumber, decoded.table, decoded.reason);
    const plan = this.plans.get(decoded.table) as TablePlan;
    this.enterTable(lineNumber, plan);
    const { row } = decoded;
    plan.columns.forEach((column, i) => {
      const value = row[i];
      if (value === null) {
        if (!column.nullable)
          throw fail(
            "E_RECORD_INVALID",
            lineNumber,
            plan.table.name,
            `${column.name}: null in a NOT NULL column`,
          );
        return;
      }
      const reason = (plan.validators[i] as ValueValidator)(value);
      if (reason) throw fail("E_RECORD_INVALID", lineNumber, plan.table.name, `${column.name}: ${reason}`);
    });
    this.checkKey(lineNumber, plan, row);
    this.checkReferences(lineNumber, plan, row);
    for (const ref of plan.referenced) {
      this.keySet(plan.table.name, ref.columns).add(keyOf(ref.positions.map((p) => row[p])));
    }
    const digest = this.digests.get(plan.table.name) as { hash: Hash; count: number };
    digest.hash.update(decoded.rowBytes);
    digest.hash.update("\n");
    digest.count += 1;
    return { lineNumber, table: plan.table.name, row };
  }

  private enterTable(lineNumber: number, plan: TablePlan): void {
    const current = this.current;
    if (current === plan) return;
    if (current && plan.index < current.index) {
      throw fail(
        "E_RECORD_ORDER",
        lineNumber,
        plan.table.name,
        `${plan.table.name} row after ${current.table.name} rows (tables must come in the manifest's order)`,
      );
    }
    this.endTable();
    this.current = plan;
    this.lastKey = undefined;
    this.keysOfTable = new Set();
  }

  /** A table's rows are all read: its references to itself must resolve now. */
  private endTable(): void {
    for (const p of this.pending) {
      if (!this.keySet(p.table, p.set).has(p.key)) {
        throw fail("E_DANGLING_REFERENCE", p.lineNumber, p.table, `${p.what} is not in the snapshot`);
      }
    }
    this.pending = [];
  }

  private checkKey(lineNumber: number, plan: TablePlan, row: unknown[]): void {
    if (plan.key.length === 0) return;
    const key = plan.key.map((p) => row[p]);
    const name = plan.table.primaryKey.join(", ");
    if (plan.orderedKey) {
      const last = this.lastKey;
      if (last && compareIntKeys(key, last) <= 0) {
        throw fail(
          "E_RECORD_ORDER",
          lineNumber,
          plan.table.name,
          `${plan.table.primaryKey[0]}: key (${name}) = ${JSON.stringify(key)} is not greater than the previous ${JSON.stringify(last)} (keys must be unique and ascending)`,
        );
      }
      this.lastKey = key;
      return;
    }
    const text = JSON.stringify(key);
    if (this.keysOfTable.has(text)) {
      throw fail(
        "E_RECORD_ORDER",
        lineNumber,
        plan.table.name,
        `${plan.table.primaryKey[0]}: key (${name}) = ${text} appears twice`,
      );
    }
    this.keysOfTable.add(text);
  }

  private checkReferences(lineNumber: number, plan: TablePlan, row: unknown[]): void {
    for (const ref of plan.references) {
      const values = ref.positions.map((p) => row[p]);
      if (values.some((v) => v === null)) continue; // MATCH SIMPLE: a NULL column means no reference
      const key = keyOf(values);
      const what = `${ref.fk.columns.join(", ")}: ${ref.target} (${ref.targetColumns}) = ${JSON.stringify(values.length === 1 ? values[0] : values)}`;
      if (ref.target === plan.table.name) {
        this.pending.push({ lineNumber, table: ref.target, what, set: ref.targetColumns, key });
        continue;
      }
      if (!this.keySet(ref.target, ref.targetColumns).has(key)) {
        throw fail("E_DANGLING_REFERENCE", lineNumber, plan.table.name, `${what} is not in the snapshot`);
      }
    }
  }

  private keySet(table: string, columns: string): Set<string | number> {
    const id = `${table}\u0000${columns}`;
    let set = this.seen.get(id);
    if (!set) {
      set = new Set();
      this.seen.set(id, set);
    }
    return set;
  }

  /** Compares what was seen with the manifest's counts, digests and sizes; returns the counts per table. */
  finish(): Record<string, number> {
    this.endTable();
    const counts: Record<string, number> = {};
    for (const table of this.manifest.schema.description.tables) {
      const seen = this.digests.get(table.name) as { hash: Hash; count: number };
      const expected = this.manifest.tables[table.name] as { count: number; digest: string };
      counts[table.name] = seen.count;
      if (seen.count !== expected.count) {
        throw new SnapshotIntegrityError(
          "E_COUNT_MISMATCH",
          `${table.name}: the data file holds ${seen.count} rows, the manifest says ${expected.count}`,
          { details: { table: table.name, expected: expected.count, actual: seen.count } },
        );
      }
      const actual = `sha256:${seen.hash.digest("hex")}`;
      if (actual !== expected.digest) {
        throw new SnapshotIntegrityError(
          "E_DIGEST_MISMATCH",
          `${table.name}: content digest does not match the manifest`,
          {
            details: { table: table.name, expected: expected.digest, actual },
          },
        );
      }
    }
    checkDataSize({ lines: this.lines, uncompressedBytes: this.uncompressedBytes }, this.manifest.data);
    return counts;
  }
}

/** A referenced key as a Set member: a single integer as itself, anything else as its JSON. */
function keyOf(values: unknown[]): string | number {
  if (values.length === 1 && typeof values[0] === "number") return values[0];
  return JSON.stringify(values);
}

/** Integer keys (int2/int4 as numbers, int8 as decimal strings), compared column by column. */
function compareIntKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const d =
      typeof x === "number" && typeof y === "number"
        ? x - y
        : Number(BigInt(x as string) - BigInt(y as string));
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function fail(code: string, line: number, table: string | undefined, reason: string): SnapshotIntegrityError {
  const field = /^([^:]+):/.exec(reason)?.[1];
  return new SnapshotIntegrityError(code, `Line ${line}${table ? ` (${table})` : ""}: ${reason}`, {
    hint: "The snapshot is damaged or was not written by booksnap; get a fresh copy.",
    details: { line, table, field },
  });
}
