import type { ColumnType, ScalarKind } from "./description.js";

/**
 * How a column's value travels when the snapshot's type and the target's type differ, decided
 * from the two types alone (the compatibility report, src/schema/compatibility.ts, adds names,
 * nullability and enum labels). The rule: a change is accepted when every value of the snapshot's
 * type has exactly one value of the target's type that means the same thing, and PostgreSQL's
 * own cast from one to the other produces it; anything that could lose or alter a value is refused.
 */
export type TypeChange =
  /** Same type: the value is inserted as written. */
  | { verdict: "identical" }
  /** Accepted: the value is read as the snapshot's type and cast to the target's by PostgreSQL. */
  | { verdict: "cast"; code: TypeChangeCode; reason: string }
  /** Refused: some value could be lost or changed. */
  | { verdict: "refuse"; code: TypeChangeCode; reason: string };

export type TypeChangeCode =
  | "TYPE_WIDENED"
  | "TYPE_TEXT_UNPADDED"
  | "TYPE_ENUM_TO_TEXT"
  | "TYPE_TO_TEXT"
  | "TYPE_TIME_ZONE_UTC"
  | "TYPE_JSON_NORMALISED"
  | "TYPE_ENUM_RENAMED"
  | "TYPE_ARRAY_CHANGED"
  | "TYPE_NARROWED"
  | "TYPE_INCOMPATIBLE";

/** Decimal digits an integer kind needs before the point (int8: 9223372036854775807 has 19). */
const INTEGER_DIGITS: Partial<Record<ScalarKind, number>> = { int2: 5, int4: 10, int8: 19 };
const INTEGER_RANK: Partial<Record<ScalarKind, number>> = { int2: 1, int4: 2, int8: 3 };
/** Mantissa bits of float4/float8: an integer fits exactly when its bits do (int2 16, int4 32). */
const FLOAT_EXACT_INTEGERS: Record<string, ScalarKind[]> = { float4: ["int2"], float8: ["int2", "int4"] };
/** PostgreSQL's default and largest fractional-second precision. */
const MAX_TIME_PRECISION = 6;

/**
 * Compares two column types by their carried (base) types: domains and enum labels are judged
 * by the report (src/schema/column-compatibility.ts), not here.
 * `enumLabels` gives the snapshot enum's labels when the target is a bounded text type, so
 * enum → varchar(n) can be judged by its longest label.
 */
export function compareTypes(
  from: ColumnType,
  to: ColumnType,
  enumLabels: readonly string[] = [],
): TypeChange {
  if (from.array !== to.array) {
    return refuse(
      "TYPE_ARRAY_CHANGED",
      `${from.array ? "an array" : "a scalar"} in the snapshot, ${to.array ? "an array" : "a scalar"} in the target`,
    );
  }
  return compareScalars(from, to, enumLabels);
}

function compareScalars(from: ColumnType, to: ColumnType, enumLabels: readonly string[]): TypeChange {
  if (from.kind === to.kind) return sameKind(from, to);
  const fromInt = INTEGER_RANK[from.kind];
  const toInt = INTEGER_RANK[to.kind];
  if (fromInt !== undefined && toInt !== undefined) {
    return fromInt < toInt
      ? cast("TYPE_WIDENED", `${from.sql} → ${to.sql} is a lossless widening`)
      : refuse("TYPE_NARROWED", `${from.sql} → ${to.sql} can overflow`);
  }
  if (fromInt !== undefined && to.kind === "numeric") {
    const digits = INTEGER_DIGITS[from.kind] ?? 0;
    const room = to.precision === undefined ? Number.POSITIVE_INFINITY : to.precision - (to.scale ?? 0);
    return room >= digits
      ? cast("TYPE_WIDENED", `${from.sql} → ${to.sql} holds every value exactly`)
      : refuse(
          "TYPE_NARROWED",
          `${to.sql} has room for ${room} digits before the point, ${from.sql} needs ${digits}`,
        );
  }
  if (fromInt !== undefined && (to.kind === "float4" || to.kind === "float8")) {
    return FLOAT_EXACT_INTEGERS[to.kind]?.includes(from.kind)
      ? cast("TYPE_WIDENED", `${from.sql} → ${to.sql} holds every value exactly`)
      : refuse("TYPE_NARROWED", `${to.sql} cannot hold every ${from.sql} value exactly`);
  }
  if (from.kind === "float4" && to.kind === "float8") {
    return cast("TYPE_WIDENED", "float4 → float8 holds every float4 exactly (its text may show more digits)");
  }
  if (from.kind === "enum" && to.kind === "text") return enumToText(to, enumLabels);
  if (to.kind === "text" && !to.fixedLength) {
    const longest = longestText(from);
    if (longest !== undefined) {
      return to.length === undefined || to.length >= longest
        ? cast(
            "TYPE_TO_TEXT",
            `${from.sql} → ${to.sql}: each value is stored as its canonical text (e.g. 2024 → '2024')`,
          )
        : refuse(
            "TYPE_NARROWED",
            `${from.sql} values can have ${longest} characters, ${to.sql} holds ${to.length}`,
          );
    }
  }
  if (isTimestamp(from.kind) && isTimestamp(to.kind)) return timestamps(from, to);
  if (from.kind === "date" && isTimestamp(to.kind)) {
    return cast("TYPE_WIDENED", `date → ${to.sql}: each date becomes its midnight (UTC)`);
  }
  if (from.kind === "json" && to.kind === "jsonb") {
    return cast(
      "TYPE_JSON_NORMALISED",
      "json → jsonb keeps every value but not the text as written (whitespace, key order; of duplicate keys the last wins)",
    );
  }
  if (from.kind === "jsonb" && to.kind === "json") {
    return cast("TYPE_WIDENED", "jsonb → json: the value is stored in jsonb's text form");
  }
  return refuse("TYPE_INCOMPATIBLE", `${from.sql} → ${to.sql} is not a lossless change`);
}

function sameKind(from: ColumnType, to: ColumnType): TypeChange {
  switch (from.kind) {
    case "text":
      return texts(from, to);
    case "numeric":
      return numerics(from, to);
    case "timestamp":
    case "timestamptz":
    case "time":
    case "timetz":
      return precisionOnly(from, to);
    case "enum":
      return from.enumName === to.enumName
        ? { verdict: "identical" }
        : cast(
            "TYPE_ENUM_RENAMED",
            `enum ${from.enumName} → ${to.enumName}: each value is cast by its label`,
          );
    default:
      return { verdict: "identical" };
  }
}

/** text, varchar(n) and char(n) (fixedLength). */
function texts(from: ColumnType, to: ColumnType): TypeChange {
  const fromFixed = from.fixedLength === true;
  const toFixed = to.fixedLength === true;
  if (fromFixed === toFixed && from.length === to.length) return { verdict: "identical" };
  if (to.length !== undefined && (from.length === undefined || from.length > to.length)) {
    return refuse(
      "TYPE_NARROWED",
      `${from.sql} → ${to.sql}: values longer than ${to.length} characters would not fit`,
    );
  }
  if (fromFixed && !toFixed) {
    // What the app's own ALTER COLUMN … TYPE would do: PostgreSQL's char(n) → text cast.
    return cast(
      "TYPE_TEXT_UNPADDED",
      `${from.sql} → ${to.sql}: trailing blanks (char padding) are removed, as PostgreSQL's own cast does`,
    );
  }
  if (toFixed) {
    return cast("TYPE_WIDENED", `${from.sql} → ${to.sql}: values are blank-padded to ${to.length}`);
  }
  return cast("TYPE_WIDENED", `${from.sql} → ${to.sql} is a lossless widening`);
}

function numerics(from: ColumnType, to: ColumnType): TypeChange {
  if (from.precision === to.precision && from.scale === to.scale) return { verdict: "identical" };
  if (to.precision === undefined) return cast("TYPE_WIDENED", `${from.sql} → ${to.sql} holds every value`);
  if (from.precision === undefined) {
    return refuse("TYPE_NARROWED", `${from.sql} → ${to.sql}: unconstrained values may not fit or be rounded`);
  }
  const fromScale = from.scale ?? 0;
  const toScale = to.scale ?? 0;
  const fits = toScale >= fromScale && to.precision - toScale >= from.precision - fromScale;
  return fits
    ? cast("TYPE_WIDENED", `${from.sql} → ${to.sql} holds every value exactly`)
    : refuse("TYPE_NARROWED", `${from.sql} → ${to.sql}: values may overflow or be rounded`);
}

function precisionOnly(from: ColumnType, to: ColumnType): TypeChange {
  const fromP = from.precision ?? MAX_TIME_PRECISION;
  const toP = to.precision ?? MAX_TIME_PRECISION;
  if (fromP === toP) return { verdict: "identical" };
  return fromP < toP
    ? cast("TYPE_WIDENED", `${from.sql} → ${to.sql} keeps every fractional digit`)
    : refuse("TYPE_NARROWED", `${from.sql} → ${to.sql} rounds fractional seconds`);
}

/**
 * timestamp ↔ timestamptz. booksnap's sessions run with TimeZone=UTC and Prisma writes DateTime
 * as UTC into `timestamp` columns, so a wall-clock value and an instant correspond one to one
 * through UTC. Accepted both ways (with the precision rule), and the report says "UTC".
 */
function timestamps(from: ColumnType, to: ColumnType): TypeChange {
  const precision = precisionOnly(from, to);
  if (precision.verdict === "refuse") return precision;
  const reading =
    to.kind === "timestamptz"
      ? "each value is read as a UTC time (the zone booksnap's sessions use and Prisma writes DateTime in)"
      : "each instant is stored as its UTC wall-clock time (the convention Prisma reads DateTime with)";
  return cast("TYPE_TIME_ZONE_UTC", `${from.sql} → ${to.sql}: ${reading}`);
}

function enumToText(to: ColumnType, labels: readonly string[]): TypeChange {
  const longest = Math.max(0, ...labels.map((label) => [...label].length));
  if (to.length !== undefined && longest > to.length) {
    return refuse("TYPE_NARROWED", `an enum label has ${longest} characters, ${to.sql} holds ${to.length}`);
  }
  return cast("TYPE_ENUM_TO_TEXT", `enum → ${to.sql}: each value is stored as its label`);
}

/**
 * Types whose text output is canonical (one text per value, independent of session settings),
 * with the longest text they print (unbounded numeric: infinite). Others (bool, timestamps, json…)
 * have no single text form booksnap would choose for the app, so → text is refused.
 */
function longestText(type: ColumnType): number | undefined {
  switch (type.kind) {
    case "int2":
      return 6; // -32768
    case "int4":
      return 11; // -2147483648
    case "int8":
      return 20; // -9223372036854775808
    case "uuid":
      return 36;
    case "numeric":
      // sign, digits, zeros of a negative scale, point, leading zero; NaN/Infinity are shorter.
      return type.precision === undefined
        ? Number.POSITIVE_INFINITY
        : type.precision + Math.max(0, -(type.scale ?? 0)) + 3;
    default:
      return undefined;
  }
}

const isTimestamp = (kind: ScalarKind) => kind === "timestamp" || kind === "timestamptz";

const cast = (code: TypeChangeCode, reason: string): TypeChange => ({ verdict: "cast", code, reason });
const refuse = (code: TypeChangeCode, reason: string): TypeChange => ({ verdict: "refuse", code, reason });
