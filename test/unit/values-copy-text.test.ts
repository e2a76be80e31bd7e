import { describe, expect, it } from "vitest";
import type { ColumnType } from "../../src/schema/description.js";
import {
  arrayLiteral,
  castSql,
  copyText,
  copyTextField,
  copyTextLine,
  EXPORT_SESSION_SETTINGS,
  sessionSettingsSql,
  stagingSqlType,
} from "../../src/schema/values.js";

/** copyText, COPY text escaping and staging types (PostgreSQL reads them back in test/integration/type-matrix.test.ts). */

const type = (kind: ColumnType["kind"], extra: Partial<ColumnType> = {}): ColumnType => ({
  kind,
  array: false,
  sql: kind,
  ...extra,
});

describe("copyText", () => {
  it("gives PostgreSQL's text input of each kind", () => {
    expect(copyText(type("int4"), -5)).toBe("-5");
    expect(copyText(type("int2"), 0)).toBe("0");
    expect(copyText(type("bool"), true)).toBe("t");
    expect(copyText(type("bool"), false)).toBe("f");
    expect(copyText(type("int8"), "-9223372036854775808")).toBe("-9223372036854775808");
    expect(copyText(type("text", { length: 3, fixedLength: true }), "a  ")).toBe("a  ");
    expect(copyText(type("bytea"), "\\x00ff")).toBe("\\x00ff");
    expect(copyText(type("json"), '{"a" : 1}')).toBe('{"a" : 1}');
    expect(copyText(type("text"), null)).toBeNull();
    expect(copyText(type("text", { array: true }), null)).toBeNull();
  });

  it("writes arrays as literals: NULL bare, numbers and booleans bare, everything else quoted", () => {
    expect(copyText(type("text", { array: true }), [])).toBe("{}");
    expect(copyText(type("text", { array: true }), [null])).toBe("{NULL}");
    expect(copyText(type("text", { array: true }), ["NULL", "", " a ", "a,b", "{x}", 'q"', "b\\s"])).toBe(
      '{"NULL",""," a ","a,b","{x}","q\\"","b\\\\s"}',
    );
    expect(arrayLiteral(type("int4", { array: true }), [1, null, -2])).toBe("{1,NULL,-2}");
    expect(arrayLiteral(type("bool", { array: true }), [true, false, null])).toBe("{t,f,NULL}");
    expect(arrayLiteral(type("bytea", { array: true }), ["\\x00"])).toBe('{"\\\\x00"}');
  });
});

describe("COPY text format", () => {
  it("escapes backslash, newline, carriage return and tab; NULL is \\N", () => {
    expect(copyTextField(null)).toBe("\\N");
    expect(copyTextField("\\N")).toBe("\\\\N");
    expect(copyTextField("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e");
    expect(copyTextField("plain \u0001 é 😀")).toBe("plain \u0001 é 😀");
  });

  it("joins a row's fields with tabs and ends it with a newline", () => {
    const types = [type("int4"), type("text"), type("text", { array: true }), type("bool")];
    expect(copyTextLine(types, [1, null, ["a\tb", null], false])).toBe('1\t\\N\t{"a\\tb",NULL}\tf\n');
  });
});

describe("staging types", () => {
  it("stage each kind in its base type with the snapshot's modifiers, enums as text", () => {
    expect(stagingSqlType(type("text"))).toBe("text");
    expect(stagingSqlType(type("text", { length: 10 }))).toBe("character varying(10)");
    expect(stagingSqlType(type("text", { length: 3, fixedLength: true }))).toBe("character(3)");
    expect(stagingSqlType(type("numeric", { precision: 40, scale: 10 }))).toBe("numeric(40,10)");
    expect(stagingSqlType(type("timestamp", { precision: 3 }))).toBe("timestamp(3) without time zone");
    expect(stagingSqlType(type("timetz"))).toBe("time with time zone");
    expect(stagingSqlType(type("float8", { array: true }))).toBe("double precision[]");
    expect(stagingSqlType(type("enum", { enumName: "Mood" }))).toBe("text");
    expect(stagingSqlType(type("enum", { enumName: "Mood", array: true }))).toBe("text[]");
  });

  it("cast only enums, schema-qualified", () => {
    expect(castSql("s.x", type("int4"), "public")).toBe("s.x");
    expect(castSql("s.x", type("enum", { enumName: 'Mo"od' }), "app")).toBe('(s.x)::"app"."Mo""od"');
    expect(castSql("s.x", type("enum", { enumName: "Mood", array: true }), "public")).toBe(
      '(s.x)::"public"."Mood"[]',
    );
  });
});

describe("session settings", () => {
  it("pin every output the encoding depends on", () => {
    expect(EXPORT_SESSION_SETTINGS.map((s) => s.name)).toEqual([
      "DateStyle",
      "TimeZone",
      "IntervalStyle",
      "extra_float_digits",
      "bytea_output",
    ]);
    expect(sessionSettingsSql({ local: true })).toBe(
      "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex';",
    );
  });
});
