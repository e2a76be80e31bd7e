import { describe, expect, it } from "vitest";
import { compileValidator, validateValue } from "../../src/schema/values.js";
import { VALUE_CASES as cases, VALUE_CASE_ENUMS as enums, type } from "../helpers/value-cases.js";

/**
 * validateValue accepts exactly what export writes for a column type (the type matrix proves the
 * accepting side against PostgreSQL) and refuses, per kind, what would not load or would load
 * as another value.
 */

describe("validateValue", () => {
  for (const c of cases) {
    it(`${c.name}: accepts what export writes`, () => {
      for (const value of c.valid)
        expect(validateValue(c.type, value, enums), JSON.stringify(value)).toBeUndefined();
    });
    it(`${c.name}: refuses malformed and out-of-range values`, () => {
      for (const value of c.invalid) {
        const reason = validateValue(c.type, value, enums);
        expect(reason, JSON.stringify(value)).toBeTypeOf("string");
      }
    });
  }

  it("names the element of an array that is refused", () => {
    expect(validateValue(type("int2", { array: true }), [1, null, 40000])).toMatch(/^element 3: /);
  });

  it("needs the labels of an enum", () => {
    expect(() => compileValidator(type("enum", { enumName: "missing" }), enums)).toThrow(/missing/);
  });
});
