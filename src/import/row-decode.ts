import { compileValidator, type ValueValidator } from "../schema/values.js";
import { format1Row } from "../snapshot/format1.js";
import { isModelName } from "../snapshot/models.js";
import { decodeRecordLine } from "../snapshot/record-line.js";
import { decodeRowLine, type RowLayout } from "../snapshot/row-line.js";
import { validateRecord } from "../snapshot/validate.js";
import type { TablePlan } from "./table-plan.js";

/** One data line, decoded and validated against its table's plan; never thrown, always a value. */
export type DecodedRow =
  | { ok: true; table: TablePlan; row: unknown[] }
  | {
      ok: false;
      reason: string;
      /** The table the line names, when it names one. */
      table?: TablePlan;
      /** The record as written (named fields where the row could be laid out), for the dead-letter file. */
      record?: unknown;
    };

/** Enum labels the snapshot declares, and those the target lacks (their records are rejected). */
export interface EnumRules {
  labels: Readonly<Record<string, readonly string[]>>;
  /** table -> column -> labels missing in the target's enum. */
  missingInTarget: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
}

/**
 * Decodes and validates data lines of one snapshot: format 2 (`["<table>",[…]]`, values in the
 * manifest's column order) or format 1 (`{"model":…,"record":{…}}`, checked by the format-1
 * validator and laid out by format1Row). Either way the result is a positional row whose every
 * value passed validateValue for its column (or, format 1, the format-1 schema), with nulls only
 * where the snapshot and the target allow them and enum labels the target has.
 */
export class RowDecoder {
  private readonly byName: Map<string, TablePlan>;
  private readonly layout: RowLayout;
  private readonly missing: Map<string, Map<number, Set<string>>>;
  /** Per table, one compiled validator per column (validation runs for every value of the file). */
  private readonly validators: Map<string, ValueValidator[]>;

  constructor(
    private readonly formatVersion: number,
    tables: readonly TablePlan[],
    enums: EnumRules,
  ) {
    this.byName = new Map(tables.map((t) => [t.name, t]));
    this.layout = new Map(tables.map((t) => [t.name, t.columns.length]));
    this.validators = new Map(
      tables.map((t) => [t.name, t.columns.map((c) => compileValidator(c.type, enums.labels))]),
    );
    this.missing = new Map(
      tables.map((t) => [
        t.name,
        new Map(
          t.columns
            .filter((c) => (enums.missingInTarget[t.name]?.[c.name]?.length ?? 0) > 0)
            .map((c) => [c.index, new Set(enums.missingInTarget[t.name]?.[c.name])]),
        ),
      ]),
    );
  }

  decode(bytes: Buffer): DecodedRow {
    return this.formatVersion === 1 ? this.decodeFormat1(bytes) : this.decodeFormat2(bytes);
  }

  private decodeFormat1(bytes: Buffer): DecodedRow {
    const decoded = decodeRecordLine(bytes);
    if (!decoded.ok) {
      const table = decoded.model !== undefined ? this.byName.get(decoded.model) : undefined;
      return { ok: false, reason: decoded.reason, ...(table ? { table } : {}) };
    }
    const table = this.byName.get(decoded.model);
    if (!table || !isModelName(decoded.model))
      return { ok: false, reason: `unknown model tag ${JSON.stringify(decoded.model)}` };
    const valid = validateRecord(decoded.model, decoded.record);
    if (!valid.ok) return { ok: false, reason: valid.reason, table, record: decoded.record };
    const row = format1Row(decoded.model, valid.record);
    const problem = this.targetProblem(table, row);
    return problem ? { ok: false, reason: problem, table, record: decoded.record } : { ok: true, table, row };
  }

  private decodeFormat2(bytes: Buffer): DecodedRow {
    const decoded = decodeRowLine(bytes, this.layout);
    if (!decoded.ok) {
      const table = decoded.table !== undefined ? this.byName.get(decoded.table) : undefined;
      return { ok: false, reason: decoded.reason, ...(table ? { table } : {}) };
    }
    const table = this.byName.get(decoded.table) as TablePlan;
    const row = decoded.row;
    const problems: string[] = [];
    const validators = this.validators.get(table.name) as ValueValidator[];
    for (const column of table.columns) {
      const v = row[column.index];
      if (v === null) {
        if (!column.nullable) problems.push(`${column.name}: null in a NOT NULL column`);
        continue;
      }
      const invalid = (validators[column.index] as ValueValidator)(v);
      if (invalid) problems.push(`${column.name}: ${invalid}`);
    }
    const record = named(table, row);
    if (problems.length > 0) return { ok: false, reason: problems.join("; "), table, record };
    const problem = this.targetProblem(table, row);
    return problem ? { ok: false, reason: problem, table, record } : { ok: true, table, row };
  }

  /** What the target cannot take: NULL in its NOT NULL column, an enum label it lacks. */
  private targetProblem(table: TablePlan, row: readonly unknown[]): string | undefined {
    const problems: string[] = [];
    const missing = this.missing.get(table.name);
    for (const column of table.columns) {
      const v = row[column.index];
      if (v === null) {
        if (column.target && !column.target.nullable && column.reference?.kind !== "owner")
          problems.push(`${column.name}: null, but the target's column is NOT NULL`);
        continue;
      }
      const labels = missing?.get(column.index);
      if (labels) {
        const values = column.type.array ? (v as unknown[]) : [v];
        const bad = values.find((x) => typeof x === "string" && labels.has(x));
        if (bad !== undefined)
          problems.push(`${column.name}: enum value ${JSON.stringify(bad)} does not exist in the target`);
      }
    }
    return problems.length > 0 ? problems.join("; ") : undefined;
  }
}

/** A row as an object of column name → value (for the dead-letter file and messages). */
export function named(table: TablePlan, row: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(table.columns.map((c) => [c.name, row[c.index] ?? null]));
}
