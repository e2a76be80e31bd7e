import { describe, expect, it } from "vitest";
import {
  type CompareOptions,
  type CompatibilityReport,
  compareSchemas,
  DEFAULT_COMPARE_OPTIONS,
  worst,
} from "../../src/schema/compatibility.js";
import type {
  ColumnDescription,
  ColumnType,
  ForeignKeyDescription,
  SchemaDescription,
  TableDescription,
} from "../../src/schema/description.js";

/** Hand-built descriptions: the rules are pure functions of two descriptions. */
const t = (kind: ColumnType["kind"], sql: string, extra: Partial<ColumnType> = {}): ColumnType => ({
  kind,
  array: false,
  sql,
  ...extra,
});
const TYPES = {
  text: t("text", "text"),
  varchar5: t("text", "character varying(5)", { length: 5 }),
  varchar20: t("text", "character varying(20)", { length: 20 }),
  varchar40: t("text", "character varying(40)", { length: 40 }),
  char5: t("text", "character(5)", { length: 5, fixedLength: true }),
  char10: t("text", "character(10)", { length: 10, fixedLength: true }),
  int2: t("int2", "smallint"),
  int4: t("int4", "integer"),
  int8: t("int8", "bigint"),
  numeric: t("numeric", "numeric"),
  numeric10: t("numeric", "numeric(10,0)", { precision: 10, scale: 0 }),
  numeric9: t("numeric", "numeric(9,0)", { precision: 9, scale: 0 }),
  numeric12_2: t("numeric", "numeric(12,2)", { precision: 12, scale: 2 }),
  numeric14_4: t("numeric", "numeric(14,4)", { precision: 14, scale: 4 }),
  numeric14_1: t("numeric", "numeric(14,1)", { precision: 14, scale: 1 }),
  float4: t("float4", "real"),
  float8: t("float8", "double precision"),
  bool: t("bool", "boolean"),
  ts3: t("timestamp", "timestamp(3) without time zone", { precision: 3 }),
  ts6: t("timestamp", "timestamp without time zone"),
  tstz3: t("timestamptz", "timestamp(3) with time zone", { precision: 3 }),
  tstz0: t("timestamptz", "timestamp(0) with time zone", { precision: 0 }),
  date: t("date", "date"),
  json: t("json", "json"),
  jsonb: t("jsonb", "jsonb"),
  uuid: t("uuid", "uuid"),
  bytea: t("bytea", "bytea"),
  textArray: t("text", "text[]", { array: true }),
  visibility: t("enum", '"Visibility"', { enumName: "Visibility" }),
  visibility2: t("enum", '"Visibility2"', { enumName: "Visibility2" }),
  isbnDomain: t("text", "isbn", { domain: "isbn" }),
} satisfies Record<string, ColumnType>;

const col = (name: string, type: ColumnType, extra: Partial<ColumnDescription> = {}): ColumnDescription => ({
  name,
  type,
  nullable: false,
  default: null,
  identity: null,
  generated: false,
  ...extra,
});
const serialId = col("id", TYPES.int4, { default: "nextval('\"T_id_seq\"'::regclass)" });

function table(
  name: string,
  columns: ColumnDescription[],
  extra: Partial<TableDescription> = {},
): TableDescription {
  return { name, columns, primaryKey: ["id"], foreignKeys: [], uniques: [], indexes: [], ...extra };
}
function schema(tables: TableDescription[], enums: Record<string, string[]> = {}): SchemaDescription {
  return { schema: "public", tables, enums };
}
const VISIBILITY = { Visibility: ["PRIVATE", "PUBLIC"], Visibility2: ["PRIVATE", "PUBLIC"] };

/** One column `v` of type `from` in the snapshot, `to` in the target. */
function columnChange(from: ColumnType, to: ColumnType, enums = VISIBILITY, options?: CompareOptions) {
  return compareSchemas(
    schema([table("T", [serialId, col("v", from)])], enums),
    schema([table("T", [serialId, col("v", to)])], enums),
    options,
  );
}
const findingsOf = (report: CompatibilityReport) =>
  report.entries.map((e) => [e.code, e.verdict, e.column ?? null]);

/** The findings other than identical tables. */
const changesOf = (report: CompatibilityReport) =>
  findingsOf(report).filter(([code]) => code !== "TABLE_IDENTICAL");

describe("compareSchemas: column types (value rules: every snapshot value has one target value meaning the same)", () => {
  it.each([
    // [from, to, code, verdict]
    ["int2", "int4", "TYPE_WIDENED", "adapt"],
    ["int2", "int8", "TYPE_WIDENED", "adapt"],
    ["int4", "int8", "TYPE_WIDENED", "adapt"],
    ["int8", "int4", "TYPE_NARROWED", "refuse"],
    ["int4", "int2", "TYPE_NARROWED", "refuse"],
    ["int4", "numeric", "TYPE_WIDENED", "adapt"],
    ["int8", "numeric", "TYPE_WIDENED", "adapt"],
    ["int4", "numeric10", "TYPE_WIDENED", "adapt"],
    ["int4", "numeric9", "TYPE_NARROWED", "refuse"],
    ["int4", "numeric12_2", "TYPE_WIDENED", "adapt"], // 10 digits before the point
    ["int8", "numeric12_2", "TYPE_NARROWED", "refuse"],
    ["int2", "float4", "TYPE_WIDENED", "adapt"],
    ["int4", "float4", "TYPE_NARROWED", "refuse"],
    ["int4", "float8", "TYPE_WIDENED", "adapt"],
    ["int8", "float8", "TYPE_NARROWED", "refuse"],
    ["float4", "float8", "TYPE_WIDENED", "adapt"],
    ["float8", "float4", "TYPE_INCOMPATIBLE", "refuse"],
    ["float8", "numeric", "TYPE_INCOMPATIBLE", "refuse"],
    ["numeric", "int8", "TYPE_INCOMPATIBLE", "refuse"],
    ["numeric12_2", "numeric14_4", "TYPE_WIDENED", "adapt"],
    ["numeric12_2", "numeric", "TYPE_WIDENED", "adapt"],
    ["numeric12_2", "numeric14_1", "TYPE_NARROWED", "refuse"],
    ["numeric14_4", "numeric12_2", "TYPE_NARROWED", "refuse"],
    ["numeric", "numeric12_2", "TYPE_NARROWED", "refuse"],
    ["varchar5", "varchar20", "TYPE_WIDENED", "adapt"],
    ["varchar20", "text", "TYPE_WIDENED", "adapt"],
    ["varchar20", "varchar5", "TYPE_NARROWED", "refuse"],
    ["text", "varchar40", "TYPE_NARROWED", "refuse"],
    ["char5", "text", "TYPE_TEXT_UNPADDED", "adapt"],
    ["char5", "varchar20", "TYPE_TEXT_UNPADDED", "adapt"],
    ["char5", "char10", "TYPE_WIDENED", "adapt"],
    ["char10", "char5", "TYPE_NARROWED", "refuse"],
    ["varchar5", "char10", "TYPE_WIDENED", "adapt"],
    ["text", "char10", "TYPE_NARROWED", "refuse"],
    ["visibility", "text", "TYPE_ENUM_TO_TEXT", "adapt"],
    ["visibility", "varchar20", "TYPE_ENUM_TO_TEXT", "adapt"],
    ["visibility", "varchar5", "TYPE_NARROWED", "refuse"], // 'PRIVATE' has 7 characters
    ["text", "visibility", "TYPE_INCOMPATIBLE", "refuse"],
    ["visibility", "visibility2", "TYPE_ENUM_RENAMED", "adapt"],
    ["ts3", "ts6", "TYPE_WIDENED", "adapt"],
    ["ts6", "ts3", "TYPE_NARROWED", "refuse"],
    ["ts3", "tstz3", "TYPE_TIME_ZONE_UTC", "adapt"],
    ["tstz3", "ts3", "TYPE_TIME_ZONE_UTC", "adapt"],
    ["ts3", "tstz0", "TYPE_NARROWED", "refuse"],
    ["date", "ts3", "TYPE_WIDENED", "adapt"],
    ["ts3", "date", "TYPE_INCOMPATIBLE", "refuse"],
    ["json", "jsonb", "TYPE_JSON_NORMALISED", "adapt"],
    ["jsonb", "json", "TYPE_WIDENED", "adapt"],
    ["text", "json", "TYPE_INCOMPATIBLE", "refuse"],
    ["uuid", "text", "TYPE_TO_TEXT", "adapt"],
    ["int4", "text", "TYPE_TO_TEXT", "adapt"], // the real app's ReadingList.year: Int in format 1, TEXT now
    ["int8", "varchar20", "TYPE_TO_TEXT", "adapt"], // -9223372036854775808 has 20 characters
    ["int4", "varchar5", "TYPE_NARROWED", "refuse"],
    ["numeric", "text", "TYPE_TO_TEXT", "adapt"],
    ["numeric", "varchar40", "TYPE_NARROWED", "refuse"],
    ["numeric12_2", "varchar20", "TYPE_TO_TEXT", "adapt"],
    ["int4", "char10", "TYPE_INCOMPATIBLE", "refuse"],
    ["bool", "text", "TYPE_INCOMPATIBLE", "refuse"],
    ["ts3", "text", "TYPE_INCOMPATIBLE", "refuse"],
    ["uuid", "varchar5", "TYPE_NARROWED", "refuse"],
    ["text", "uuid", "TYPE_INCOMPATIBLE", "refuse"],
    ["bool", "int4", "TYPE_INCOMPATIBLE", "refuse"],
    ["int4", "bool", "TYPE_INCOMPATIBLE", "refuse"],
    ["bytea", "text", "TYPE_INCOMPATIBLE", "refuse"],
    ["text", "textArray", "TYPE_ARRAY_CHANGED", "refuse"],
    ["textArray", "text", "TYPE_ARRAY_CHANGED", "refuse"],
    ["isbnDomain", "text", null, "ok"], // a domain dropped loses no value
  ] as const)("%s → %s: %s, %s", (from, to, code, verdict) => {
    const report = columnChange(TYPES[from], TYPES[to]);
    expect(report.verdict).toBe(verdict);
    const action = report.tables[0]?.columns.find((c) => c.column === "v");
    if (code === null) {
      expect(findingsOf(report)).toEqual([["TABLE_IDENTICAL", "ok", null]]);
      expect(action).toEqual({ action: "copy", column: "v", snapshotIndex: 1 });
      return;
    }
    expect(findingsOf(report)).toEqual([[code, verdict, "v"]]);
    expect(action).toEqual({
      action: "cast",
      column: "v",
      snapshotIndex: 1,
      from: TYPES[from].sql,
      to: TYPES[to].sql,
    });
  });

  it.each(Object.keys(TYPES) as (keyof typeof TYPES)[])("%s → itself: identical, copied", (name) => {
    const report = columnChange(TYPES[name], TYPES[name]);
    expect(report.verdict).toBe("ok");
    expect(findingsOf(report)).toEqual([["TABLE_IDENTICAL", "ok", null]]);
    expect(report.tables[0]?.columns.map((c) => c.action)).toEqual(["copy", "copy"]);
  });

  it("a domain added in the target: values copied, a value its checks refuse rejects the record", () => {
    const report = columnChange(TYPES.text, TYPES.isbnDomain);
    expect(findingsOf(report)).toEqual([["TYPE_DOMAIN_CHANGED", "records-rejected", "v"]]);
    expect(report.tables[0]?.columns[1]).toEqual({ action: "copy", column: "v", snapshotIndex: 1 });
    expect(report.tables[0]?.recordRules).toEqual([{ rule: "domain-check", column: "v", domain: "isbn" }]);
  });

  it("a domain added with a widening: both findings, the value cast", () => {
    const report = columnChange(TYPES.varchar5, t("text", "isbn", { domain: "isbn" }));
    expect(findingsOf(report)).toEqual([
      ["TYPE_WIDENED", "adapt", "v"],
      ["TYPE_DOMAIN_CHANGED", "records-rejected", "v"],
    ]);
    expect(report.tables[0]?.columns[1]).toMatchObject({ action: "cast" });
  });

  it("an array of a widened element type widens too; the entry names the array types", () => {
    const report = columnChange(
      t("int4", "integer[]", { array: true }),
      t("int8", "bigint[]", { array: true }),
    );
    expect(findingsOf(report)).toEqual([["TYPE_WIDENED", "adapt", "v"]]);
    expect(report.tables[0]?.columns[1]).toMatchObject({ action: "cast", from: "integer[]", to: "bigint[]" });
  });
});

describe("compareSchemas: enum labels", () => {
  const compare = (target: string[], options?: CompareOptions, array = false) => {
    const from = t("enum", '"Visibility"', { enumName: "Visibility", array });
    const to = t("enum", '"Visibility"', { enumName: "Visibility", array });
    return compareSchemas(
      schema([table("T", [serialId, col("v", from)])], { Visibility: ["PRIVATE", "PUBLIC", "FRIENDS"] }),
      schema([table("T", [serialId, col("v", to)])], { Visibility: target }),
      options,
    );
  };

  it("same labels: identical", () => {
    expect(findingsOf(compare(["PRIVATE", "PUBLIC", "FRIENDS"]))).toEqual([["TABLE_IDENTICAL", "ok", null]]);
  });

  it("labels added in the target: ok, nothing to do", () => {
    const report = compare(["PRIVATE", "PUBLIC", "FRIENDS", "UNLISTED"]);
    expect(report.verdict).toBe("ok");
    expect(findingsOf(report)).toEqual([["ENUM_VALUES_ADDED", "ok", "v"]]);
    expect(report.entries[0]?.message).toContain("'UNLISTED'");
  });

  it("a label missing in the target: its records are rejected by default (reject-records)", () => {
    const report = compare(["PRIVATE", "PUBLIC"]);
    expect(report.verdict).toBe("records-rejected");
    expect(findingsOf(report)).toEqual([["ENUM_VALUES_MISSING", "records-rejected", "v"]]);
    expect(report.tables[0]?.recordRules).toEqual([
      { rule: "enum-value-missing", column: "v", values: ["FRIENDS"] },
    ]);
    expect(report.tables[0]?.columns[1]).toEqual({ action: "copy", column: "v", snapshotIndex: 1 });
  });

  it("a label missing in the target with onMissingEnum refuse: refused", () => {
    const report = compare(["PRIVATE", "PUBLIC"], { onMissingEnum: "refuse" });
    expect(report.verdict).toBe("refuse");
    expect(findingsOf(report)).toEqual([["ENUM_VALUES_MISSING", "refuse", "v"]]);
    expect(report.options.onMissingEnum).toBe("refuse");
  });

  it("arrays of an enum follow the same rule (a record holding the label anywhere in the array)", () => {
    const report = compare(["PRIVATE"], undefined, true);
    expect(report.tables[0]?.recordRules).toEqual([
      { rule: "enum-value-missing", column: "v", values: ["PUBLIC", "FRIENDS"] },
    ]);
  });

  it("an enum renamed in the target: cast by label, and its labels are still compared", () => {
    const report = compareSchemas(
      schema([table("T", [serialId, col("v", TYPES.visibility)])], { Visibility: ["A", "B"] }),
      schema([table("T", [serialId, col("v", TYPES.visibility2)])], { Visibility2: ["A"] }),
    );
    expect(findingsOf(report)).toEqual([
      ["TYPE_ENUM_RENAMED", "adapt", "v"],
      ["ENUM_VALUES_MISSING", "records-rejected", "v"],
    ]);
  });
});

describe("compareSchemas: columns on one side only, nullability", () => {
  const snapshotTable = table("T", [
    serialId,
    col("title", TYPES.text),
    col("old", TYPES.text, { nullable: true }),
  ]);
  const compareWith = (...extra: ColumnDescription[]) =>
    compareSchemas(
      schema([snapshotTable]),
      schema([table("T", [serialId, col("title", TYPES.text), ...extra])]),
    );

  it("a column only in the snapshot: dropped (adapt), listed", () => {
    const report = compareWith();
    expect(findingsOf(report)).toEqual([["COLUMN_ONLY_IN_SNAPSHOT", "adapt", "old"]]);
    expect(report.tables[0]?.columns).toEqual([
      { action: "copy", column: "id", snapshotIndex: 0 },
      { action: "copy", column: "title", snapshotIndex: 1 },
      { action: "drop", column: "old", snapshotIndex: 2 },
    ]);
  });

  it.each([
    ["nullable", { nullable: true }, "COLUMN_FILLED_WITH_NULL", "adapt"],
    ["NOT NULL with a default", { default: "false" }, "COLUMN_FILLED_BY_DEFAULT", "adapt"],
    ["NOT NULL without a default", {}, "COLUMN_REQUIRED_IN_TARGET", "refuse"],
    ["an identity column", { identity: "by default" }, "COLUMN_FILLED_BY_SEQUENCE", "adapt"],
    ["a serial column", { default: "nextval('t_n_seq'::regclass)" }, "COLUMN_FILLED_BY_SEQUENCE", "adapt"],
  ] as const)("a column only in the target, %s: %s", (_what, extra, code, verdict) => {
    const report = compareWith(col("old", TYPES.text, { nullable: true }), col("added", TYPES.bool, extra));
    expect(report.verdict).toBe(verdict);
    expect(findingsOf(report)).toEqual([[code, verdict, "added"]]);
    expect(report.tables[0]?.columns.at(-1)).toEqual({
      action: "fill-default",
      column: "added",
      default: "default" in extra ? extra.default : null,
      identity: "identity" in extra,
    });
  });

  it("a generated column in the target is computed there: the snapshot's values are dropped", () => {
    const report = compareWith(col("old", TYPES.text, { generated: true, nullable: true }));
    expect(findingsOf(report)).toEqual([["COLUMN_GENERATED_IN_TARGET", "adapt", "old"]]);
  });

  it("a generated column in the snapshot is not in its rows: row positions skip it, the target fills it", () => {
    const report = compareSchemas(
      schema([table("T", [serialId, col("g", TYPES.text, { generated: true }), col("title", TYPES.text)])]),
      schema([table("T", [serialId, col("g", TYPES.text, { nullable: true }), col("title", TYPES.text)])]),
    );
    expect(report.tables[0]?.columns).toEqual([
      { action: "copy", column: "id", snapshotIndex: 0 },
      { action: "copy", column: "title", snapshotIndex: 1 },
      { action: "fill-default", column: "g", default: null, identity: false },
    ]);
  });

  it("nullable in the snapshot, NOT NULL in the target: records with NULL are rejected", () => {
    const report = compareWith(col("old", TYPES.text));
    expect(findingsOf(report)).toEqual([["COLUMN_NOT_NULL_IN_TARGET", "records-rejected", "old"]]);
    expect(report.tables[0]?.recordRules).toEqual([{ rule: "null-not-allowed", column: "old" }]);
  });

  it("NOT NULL in the snapshot, nullable in the target: ok", () => {
    const report = compareSchemas(
      schema([table("T", [serialId, col("title", TYPES.text)])]),
      schema([table("T", [serialId, col("title", TYPES.text, { nullable: true })])]),
    );
    expect(report.verdict).toBe("ok");
    expect(findingsOf(report)).toEqual([["COLUMN_NULLABLE_IN_TARGET", "ok", "title"]]);
  });

  it("a target column of a type booksnap cannot write: refused when the snapshot carries it", () => {
    const report = compareSchemas(
      schema([snapshotTable]),
      schema([table("T", [serialId, col("title", TYPES.text)])]),
      {
        onMissingEnum: "reject-records",
        targetUnsupported: [
          { table: "T", column: "old", sqlType: "int4range", reason: "a range type" },
          { table: "T", column: "extra", sqlType: "point", reason: "a geometric type" },
        ],
      },
    );
    expect(findingsOf(report)).toEqual([
      ["COLUMN_UNSUPPORTED_IN_TARGET", "refuse", "old"],
      ["COLUMN_UNSUPPORTED_IN_TARGET", "adapt", "extra"],
    ]);
  });
});

describe("compareSchemas: tables", () => {
  const users = table("User", [serialId, col("email", TYPES.text)]);
  const books = table("Book", [serialId, col("title", TYPES.text)]);
  const tags = table("Tag", [serialId, col("name", TYPES.text)]);

  it("identical schemas: ok, one TABLE_IDENTICAL entry per table, every column copied", () => {
    const report = compareSchemas(schema([users, books]), schema([users, books]));
    expect(report.verdict).toBe("ok");
    expect(findingsOf(report)).toEqual([
      ["TABLE_IDENTICAL", "ok", null],
      ["TABLE_IDENTICAL", "ok", null],
    ]);
    expect(report.entries.map((e) => e.table)).toEqual(["User", "Book"]);
    expect(report.tables.map((x) => [x.table, x.verdict, x.columns.map((c) => c.action)])).toEqual([
      ["User", "ok", ["copy", "copy"]],
      ["Book", "ok", ["copy", "copy"]],
    ]);
    expect(report.skippedTables).toEqual([]);
    expect(report.untouchedTables).toEqual([]);
  });

  it("a table only in the snapshot is skipped (adapt); one only in the target is untouched (ok)", () => {
    const report = compareSchemas(schema([users, books]), schema([users, tags]));
    expect(report.verdict).toBe("adapt");
    expect(report.skippedTables).toEqual(["Book"]);
    expect(report.untouchedTables).toEqual(["Tag"]);
    expect(report.entries.map((e) => [e.code, e.verdict, e.table])).toEqual([
      ["TABLE_IDENTICAL", "ok", "User"],
      ["TABLE_ONLY_IN_SNAPSHOT", "adapt", "Book"],
      ["TABLE_ONLY_IN_TARGET", "ok", "Tag"],
    ]);
    expect(report.tables.map((x) => x.table)).toEqual(["User"]);
  });

  it("no table of the snapshot in the target (an empty database): refused", () => {
    const report = compareSchemas(schema([users, books]), schema([tags]));
    expect(report.verdict).toBe("refuse");
    expect(report.entries.map((e) => [e.code, e.verdict, e.table ?? null])).toEqual([
      ["TABLE_ONLY_IN_SNAPSHOT", "adapt", "User"],
      ["TABLE_ONLY_IN_SNAPSHOT", "adapt", "Book"],
      ["NO_TABLE_IN_TARGET", "refuse", null],
      ["TABLE_ONLY_IN_TARGET", "ok", "Tag"],
    ]);
  });

  it("tables follow the snapshot's order whatever the target's order", () => {
    const report = compareSchemas(schema([users, books]), schema([books, users]));
    expect(report.tables.map((x) => x.table)).toEqual(["User", "Book"]);
  });
});

describe("compareSchemas: keys", () => {
  const users = table("User", [serialId, col("email", TYPES.text)]);
  const uuidKeyed = table("Tenant", [col("id", TYPES.uuid)]);
  const ownerFk: ForeignKeyDescription = {
    name: "Book_ownerId_fkey",
    columns: ["ownerId"],
    references: { table: "User", columns: ["id"] },
    onDelete: "cascade",
    onUpdate: "cascade",
    deferrable: false,
  };
  const book = (extra: Partial<TableDescription> = {}, ...columns: ColumnDescription[]) =>
    table("Book", [serialId, col("ownerId", TYPES.int4), ...columns], extra);

  it("same foreign keys (matched by columns, not name): identical", () => {
    const report = compareSchemas(
      schema([users, book({ foreignKeys: [ownerFk] })]),
      schema([users, book({ foreignKeys: [{ ...ownerFk, name: "renamed" }] })]),
    );
    expect(report.verdict).toBe("ok");
  });

  it("a primary key on other columns: refused", () => {
    const report = compareSchemas(schema([users]), schema([{ ...users, primaryKey: ["email"] }]));
    expect(changesOf(report)).toEqual([["PRIMARY_KEY_CHANGED", "refuse", null]]);
  });

  it("no primary key in the target: refused", () => {
    const report = compareSchemas(schema([users]), schema([{ ...users, primaryKey: [] }]));
    expect(changesOf(report)).toEqual([["PRIMARY_KEY_MISSING", "refuse", null]]);
  });

  it("a foreign key into another table than the snapshot's: refused", () => {
    const report = compareSchemas(
      schema([users, uuidKeyed, book({ foreignKeys: [ownerFk] })]),
      schema([
        users,
        uuidKeyed,
        book({ foreignKeys: [{ ...ownerFk, references: { table: "Tenant", columns: ["id"] } }] }),
      ]),
    );
    expect(changesOf(report)).toEqual([["FOREIGN_KEY_CHANGED", "refuse", null]]);
  });

  it("a new foreign key into a table whose ids are remapped: refused (the values cannot be mapped)", () => {
    const report = compareSchemas(schema([users, book()]), schema([users, book({ foreignKeys: [ownerFk] })]));
    expect(changesOf(report)).toEqual([["FOREIGN_KEY_ADDED", "refuse", null]]);
    expect(report.entries.at(-1)?.message).toContain("Book_ownerId_fkey");
  });

  it("a new foreign key into a table whose keys are kept: values kept, dangling records rejected", () => {
    const tenantFk = {
      ...ownerFk,
      name: "Book_tenant_fkey",
      columns: ["tenantId"],
      references: { table: "Tenant", columns: ["id"] },
    };
    const tenantCol = col("tenantId", TYPES.uuid);
    const report = compareSchemas(
      schema([uuidKeyed, users, book({}, tenantCol)]),
      schema([uuidKeyed, users, book({ foreignKeys: [tenantFk] }, tenantCol)]),
    );
    expect(changesOf(report)).toEqual([["FOREIGN_KEY_ADDED", "records-rejected", null]]);
    expect(report.tables.at(-1)?.recordRules).toEqual([
      {
        rule: "foreign-key-added",
        constraint: "Book_tenant_fkey",
        columns: ["tenantId"],
        references: { table: "Tenant", columns: ["id"] },
      },
    ]);
  });

  it("a new foreign key made only of new columns the target fills: nothing to map", () => {
    const report = compareSchemas(
      schema([users, table("Book", [serialId])]),
      schema(
        [users, book({ foreignKeys: [ownerFk] }, col("extra", TYPES.text, { nullable: true }))].map((x) => ({
          ...x,
          columns: x.columns.map((c) => (c.name === "ownerId" ? { ...c, nullable: true } : c)),
        })),
      ),
    );
    expect(report.entries.map((e) => e.code)).not.toContain("FOREIGN_KEY_ADDED");
    expect(report.verdict).toBe("adapt");
  });

  it("a foreign key dropped in the target: values still mapped (adapt)", () => {
    const report = compareSchemas(schema([users, book({ foreignKeys: [ownerFk] })]), schema([users, book()]));
    expect(changesOf(report)).toEqual([["FOREIGN_KEY_ONLY_IN_SNAPSHOT", "adapt", null]]);
    expect(report.entries.at(-1)?.message).toContain("mapped to User's new ids");
  });

  it("a foreign key into a table the target lacks: values copied as they are", () => {
    const report = compareSchemas(schema([users, book({ foreignKeys: [ownerFk] })]), schema([book()]));
    expect(report.entries.find((e) => e.code === "FOREIGN_KEY_ONLY_IN_SNAPSHOT")?.message).toContain(
      "User is not loaded",
    );
  });

  it("a new unique constraint: duplicates are rejected; one the snapshot had (or its primary key) is not new", () => {
    const unique = (name: string, columns: string[]) => ({ name, columns, index: true });
    const report = compareSchemas(
      schema([{ ...users, uniques: [unique("a", ["email"])] }]),
      schema([
        { ...users, uniques: [unique("b", ["email"]), unique("c", ["id"]), unique("d", ["email", "id"])] },
      ]),
    );
    expect(changesOf(report)).toEqual([["UNIQUE_ADDED", "records-rejected", null]]);
    expect(report.tables[0]?.recordRules).toEqual([
      { rule: "unique-added", constraint: "d", columns: ["email", "id"] },
    ]);
  });
});

describe("worst", () => {
  it.each([
    [[], "ok"],
    [["ok", "adapt"], "adapt"],
    [["records-rejected", "adapt"], "records-rejected"],
    [["ok", "refuse", "records-rejected"], "refuse"],
  ] as const)("%j → %s", (verdicts, expected) => {
    expect(worst(verdicts)).toBe(expected);
  });

  it("the default options reject records of a missing enum label", () => {
    expect(DEFAULT_COMPARE_OPTIONS.onMissingEnum).toBe("reject-records");
  });
});
