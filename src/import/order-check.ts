import { SnapshotIntegrityError } from "../errors.js";
import type { DecodedRow } from "./row-decode.js";
import type { TablePlan } from "./table-plan.js";

/**
 * The tables of a data file come in the manifest's (foreign-key) order, and within a table with
 * an integer key the keys ascend: a row of a table after rows of a later one, or a key below the
 * one before it, is an integrity error (exit 4), as verify has it. An equal key passes: that
 * record becomes a duplicate reject in the final phase. Every decoded line counts, valid or not,
 * so a resumed run, which only decodes the lines staged before, sees the same keys.
 */
export class TableOrderCheck {
  private readonly position: Map<string, number>;
  private index = 0;
  private lastKey: bigint | undefined;

  constructor(tables: readonly TablePlan[]) {
    this.position = new Map(tables.map((t, i) => [t.name, i]));
  }

  accept(lineNumber: number, decoded: DecodedRow): void {
    const table = decoded.table;
    if (!table) return;
    const index = this.position.get(table.name) as number;
    if (index < this.index) {
      const names = [...this.position.keys()];
      throw fail(
        lineNumber,
        table.name,
        `${table.name} record after ${names[this.index]} records (tables must come in the order ${names.join(", ")})`,
      );
    }
    if (index > this.index) this.lastKey = undefined;
    this.index = index;
    const key = integerKey(table, decoded.ok ? decoded.row : decoded.record);
    if (key === undefined) return;
    if (this.lastKey !== undefined && key < this.lastKey) {
      throw fail(
        lineNumber,
        table.name,
        `${table.key?.column}: ${key} is not greater than the previous ${table.name} ${table.key?.column} ${this.lastKey} (keys must be unique and ascending)`,
      );
    }
    this.lastKey = key;
  }
}

/** The row's integer key (int8 keys travel as strings), or undefined when it has none or it is not one. */
function integerKey(table: TablePlan, record: unknown): bigint | undefined {
  const key = table.key;
  if (!key || key.type.array || !["int2", "int4", "int8"].includes(key.type.kind)) return undefined;
  if (record === null || typeof record !== "object") return undefined;
  const value = Array.isArray(record) ? record[key.index] : (record as Record<string, unknown>)[key.column];
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d{1,19}$/.test(value)) return BigInt(value);
  return undefined;
}

function fail(line: number, table: string, reason: string): SnapshotIntegrityError {
  return new SnapshotIntegrityError("E_RECORD_ORDER", `Line ${line} (${table}): ${reason}`, {
    hint: "The snapshot is damaged or was not written by booksnap; get a fresh copy.",
    details: { line, model: table, field: reason.split(":")[0] },
  });
}
