import { describe, expect, it } from "vitest";
import { KeySet, keyMatch } from "../../src/export/subset-keys.js";

describe("subset key sets", () => {
  it("adds batches and returns only the new keys, ascending, once", () => {
    const set = new KeySet(true);
    expect(set.add([5, 3, 5, 9])).toEqual([3, 5, 9]);
    expect(set.add([9, 1, 4, 3, 10, 1])).toEqual([1, 4, 10]);
    expect(set.size).toBe(6);
    expect(set.toArray()).toEqual([1, 3, 4, 5, 9, 10]);
    expect(set.has(4)).toBe(true);
    expect(set.has(2)).toBe(false);
    expect(set.add([])).toEqual([]);
  });

  it("keeps text keys sorted the same way", () => {
    const set = new KeySet(false);
    expect(set.add(["b", "a", "b"])).toEqual(["a", "b"]);
    expect(set.add(["c", "a", "B"])).toEqual(["B", "c"]);
    expect(set.toArray()).toEqual(["B", "a", "b", "c"]);
  });

  it("writes index lookups with array literals that survive quotes and backslashes", () => {
    const single = { columns: [{ name: "id", sqlType: "text" }], compact: false };
    expect(keyMatch(single, ['t."id"'], ['a"b', "c\\d"], 2)).toEqual({
      sql: 't."id" = ANY($2::text[])',
      values: ['{"a\\"b","c\\\\d"}'],
    });
    const composite = {
      columns: [
        { name: "a", sqlType: "integer" },
        { name: "b", sqlType: "uuid" },
      ],
      compact: false,
    };
    expect(keyMatch(composite, ["x", "y"], [JSON.stringify(["1", "u1"])], 1)).toEqual({
      sql: "(x, y) IN (SELECT * FROM unnest($1::integer[], $2::uuid[]))",
      values: ['{"1"}', '{"u1"}'],
    });
    expect(keyMatch(single, ["x"], [], 1)).toEqual({ sql: "FALSE", values: [] });
  });
});
