import { describe, expect, it } from "vitest";
import { SchemaError } from "../../src/errors.js";
import type { TableDescription } from "../../src/schema/description.js";
import { orderTables } from "../../src/schema/order.js";

/** A table with one foreign key per referenced table, named `<table>_<referenced>_fkey`. */
function table(name: string, ...references: string[]): TableDescription {
  return {
    name,
    columns: [],
    primaryKey: ["id"],
    foreignKeys: references.map((referenced) => ({
      name: `${name}_${referenced}_fkey`,
      columns: [`${referenced}Id`],
      references: { table: referenced, columns: ["id"] },
      onDelete: "no action",
      onUpdate: "no action",
      deferrable: false,
    })),
    uniques: [],
    indexes: [],
  };
}

const names = (tables: TableDescription[]) => tables.map((t) => t.name);

function thrown(fn: () => unknown): SchemaError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SchemaError);
    return error as SchemaError;
  }
  throw new Error("expected a SchemaError");
}

describe("foreign-key order of tables", () => {
  it("puts every table after the tables it references, ties broken by name", () => {
    const tables = [
      table("BookInReadingList", "Book", "ReadingList"),
      table("ReadingList", "User"),
      table("Book", "User"),
      table("User"),
      table("AppSettings"),
    ];
    expect(names(orderTables(tables))).toEqual([
      "AppSettings",
      "User",
      "Book",
      "ReadingList",
      "BookInReadingList",
    ]);
  });

  it("gives the same order whatever the input order", () => {
    const tables = [table("c", "a"), table("b"), table("a"), table("d", "b", "c"), table("B"), table("_x")];
    const expected = ["B", "_x", "a", "b", "c", "d"];
    expect(names(orderTables(tables))).toEqual(expected);
    expect(names(orderTables([...tables].reverse()))).toEqual(expected);
  });

  it("allows a self-reference", () => {
    expect(names(orderTables([table("Node", "Node", "Tree"), table("Tree")]))).toEqual(["Tree", "Node"]);
  });

  it("refuses a cycle, naming only the tables and constraints in it", () => {
    const error = thrown(() =>
      orderTables([
        table("A", "C", "X"), // A cycle that depends on another cycle: still listed first, by name
        table("B", "A"),
        table("C", "B", "C"),
        table("Downstream", "A"),
        table("Free"),
        table("X", "Y"),
        table("Y", "X"),
      ]),
    );
    expect(error.code).toBe("E_SCHEMA_CYCLE");
    expect(error.exitCode).toBe(5);
    expect(error.details.cycles).toEqual([
      {
        tables: ["A", "B", "C"],
        constraints: [
          { table: "A", constraint: "A_C_fkey", references: "C" },
          { table: "B", constraint: "B_A_fkey", references: "A" },
          { table: "C", constraint: "C_B_fkey", references: "B" },
        ],
      },
      {
        tables: ["X", "Y"],
        constraints: [
          { table: "X", constraint: "X_Y_fkey", references: "Y" },
          { table: "Y", constraint: "Y_X_fkey", references: "X" },
        ],
      },
    ]);
    expect(error.message).not.toContain("Downstream");
    expect(error.message).not.toContain("Free");
    expect(error.message).toContain(`"X", "Y" (X_Y_fkey: "X" -> "Y", Y_X_fkey: "Y" -> "X")`);
  });

  it("refuses a reference to a table that is not described, naming both and the constraint", () => {
    const error = thrown(() => orderTables([table("Book", "User"), table("Review", "Book", "User")]));
    expect(error.code).toBe("E_SCHEMA_EXCLUDED_REFERENCE");
    expect(error.exitCode).toBe(5);
    expect(error.details.references).toEqual([
      { table: "Book", constraint: "Book_User_fkey", references: "User" },
      { table: "Review", constraint: "Review_User_fkey", references: "User" },
    ]);
    expect(error.hint).toContain(`Include "User"`);
  });
});
