import type { ColumnType, ScalarKind } from "../description.js";
import { checkDateTime, checkInterval, checkTime } from "./datetime.js";
import { checkFloat } from "./float.js";
import { checkNumeric } from "./numeric.js";

/**
 * Import side of the format-2 value encoding (render.ts is the export side): is this JSON value
 * exactly what export writes for a column of this type, and will PostgreSQL load it as that
 * value? Runs for every value of every record, so a validator is compiled once per column
 * (compileValidator) and does the least work that proves the shape.
 */

/** Reason the value is refused, or undefined when it is valid. */
export type ValueValidator = (value: unknown) => string | undefined;

/** Enum labels by enum name, as in SchemaDescription.enums. */
export type EnumLabels = Readonly<Record<string, readonly string[]>>;

const INT8 = /^(?:0|-?[1-9]\d{0,18})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BYTEA = /^\\x[0-9a-f]*$/;

/** A validator for values of `type`; `enums` must hold the labels of an enum kind. */
export function compileValidator(type: ColumnType, enums: EnumLabels = {}): ValueValidator {
  const element = scalarValidator(type, enums);
  if (!type.array) return (value) => (value === null ? undefined : element(value));
  return (value) => {
    if (value === null) return undefined;
    if (!Array.isArray(value)) return `expected an array of ${type.kind} or null`;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item === null) continue;
      const reason = element(item);
      if (reason !== undefined) return `element ${i + 1}: ${reason}`;
    }
    return undefined;
  };
}

const compiled = new WeakMap<ColumnType, ValueValidator>();

/**
 * The reason `value` is not a valid format-2 value of `type` (null is valid: nullability is the
 * column's business), or undefined. Caches the compiled validator per ColumnType object.
 */
export function validateValue(type: ColumnType, value: unknown, enums: EnumLabels = {}): string | undefined {
  let validator = compiled.get(type);
  if (!validator) {
    validator = compileValidator(type, enums);
    compiled.set(type, validator);
  }
  return validator(value);
}

function scalarValidator(type: ColumnType, enums: EnumLabels): ValueValidator {
  const kind: ScalarKind = type.kind;
  switch (kind) {
    case "int2":
      return integer(-32_768, 32_767, kind);
    case "int4":
      return integer(-2_147_483_648, 2_147_483_647, kind);
    case "int8":
      return string((text) =>
        INT8.test(text) && int8InRange(text) ? undefined : "expected an int8 as a decimal string",
      );
    case "numeric":
      return string((text) => checkNumeric(text, type.precision, type.scale));
    case "float4":
    case "float8":
      return string((text) => checkFloat(text, kind));
    case "bool":
      return (value) => (typeof value === "boolean" ? undefined : "expected true or false");
    case "text":
      return textValidator(type);
    case "enum":
      return enumValidator(type, enums);
    case "uuid":
      return string((text) => (UUID.test(text) ? undefined : "expected a lowercase uuid"));
    case "timestamp":
    case "timestamptz":
    case "date":
      return string((text) => checkDateTime(kind, text, type.precision));
    case "time":
    case "timetz":
      return string((text) => checkTime(kind, text, type.precision));
    case "interval":
      return string((text) => checkInterval(text, type.precision));
    case "bytea":
      return string((text) =>
        text.length % 2 === 0 && BYTEA.test(text)
          ? undefined
          : "expected bytea as \\x and lowercase hex pairs",
      );
    case "json":
    case "jsonb":
      return string((text) => checkJson(text, kind));
  }
}

/** Wraps a check of the text of a JSON string value. */
function string(check: (text: string) => string | undefined): ValueValidator {
  return (value) => (typeof value === "string" ? check(value) : "expected a string");
}

function integer(min: number, max: number, kind: string): ValueValidator {
  return (value) =>
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `expected an integer from ${min} to ${max} (${kind})`;
}

function int8InRange(text: string): boolean {
  const digits = text.charCodeAt(0) === 45 ? text.length - 1 : text.length;
  if (digits < 19) return true;
  // Same length: decimal strings compare like the numbers they spell.
  return text.startsWith("-") ? text.slice(1) <= "9223372036854775808" : text <= "9223372036854775807";
}

/** Text with no NUL (PostgreSQL text cannot hold it) and no lone surrogate (UTF-8 cannot). */
function textProblem(text: string): string | undefined {
  if (text.includes("\u0000")) return "text holds a NUL character";
  if (!text.isWellFormed()) return "text holds a lone UTF-16 surrogate";
  return undefined;
}

/** Characters as PostgreSQL counts them (code points), for texts longer than `atMost` UTF-16 units only. */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) count--;
  }
  return count;
}

function textValidator(type: ColumnType): ValueValidator {
  const { length, fixedLength } = type;
  return string((text) => {
    const problem = textProblem(text);
    if (problem !== undefined || length === undefined) return problem;
    if (fixedLength) {
      // char(n) prints blank-padded to exactly n characters.
      if (text.length >= length && codePoints(text) === length) return undefined;
      return `expected exactly ${length} characters (char(${length}) keeps its padding)`;
    }
    if (text.length <= length || codePoints(text) <= length) return undefined;
    return `longer than ${length} characters`;
  });
}

function enumValidator(type: ColumnType, enums: EnumLabels): ValueValidator {
  const labels = type.enumName === undefined ? undefined : enums[type.enumName];
  if (!labels) throw new Error(`no labels given for enum ${type.enumName ?? type.sql}`);
  const known = new Set(labels);
  const name = type.enumName;
  return (value) =>
    typeof value === "string" && known.has(value) ? undefined : `not a value of enum ${name}`;
}

function checkJson(text: string, kind: "json" | "jsonb"): string | undefined {
  const problem = textProblem(text);
  if (problem !== undefined) return problem;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `not valid ${kind} text`;
  }
  // jsonb decodes escapes: \u0000 and unpaired surrogate escapes have no text form (json keeps them as written).
  if (kind === "jsonb" && text.includes("\\u") && !decodable(parsed)) {
    return "jsonb cannot hold \\u0000 or an unpaired surrogate escape";
  }
  return undefined;
}

function decodable(value: unknown): boolean {
  if (typeof value === "string") return textProblem(value) === undefined;
  if (Array.isArray(value)) return value.every(decodable);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).every(([key, item]) => textProblem(key) === undefined && decodable(item));
  }
  return true;
}
