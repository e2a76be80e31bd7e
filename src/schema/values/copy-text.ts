import type { ColumnType } from "../description.js";

/**
 * Import side: a valid format-2 value (validate.ts) as PostgreSQL's text input for its column,
 * as COPY reads it. copyText gives the text before COPY's own escaping; copyTextField adds that
 * escaping for FORMAT text (for FORMAT csv, quote copyText's result as src/db/copy.ts does).
 */

/** Kinds carried as JSON numbers: their JS string is the input text. */
const NUMBER_KINDS = new Set(["int2", "int4"]);

/** The text input of a valid value (null: SQL NULL). Enum and every string kind: the string itself. */
export function copyText(type: ColumnType, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (type.array) return arrayLiteral(type, value as readonly unknown[]);
  return scalarText(type, value);
}

function scalarText(type: ColumnType, value: unknown): string {
  if (type.kind === "bool") return value ? "t" : "f";
  if (NUMBER_KINDS.has(type.kind)) return String(value);
  return value as string;
}

/**
 * An array literal `{…}`: NULL elements as unquoted NULL, numbers and booleans bare, every
 * other element double-quoted with `\` and `"` backslash-escaped, so commas, braces, blanks,
 * empty strings and the string "NULL" read back as themselves.
 */
export function arrayLiteral(type: ColumnType, values: readonly unknown[]): string {
  const bare = type.kind === "bool" || NUMBER_KINDS.has(type.kind);
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    const item = values[i];
    if (item === null || item === undefined) out += "NULL";
    else if (bare) out += scalarText(type, item);
    else out += quoteElement(item as string);
  }
  return `${out}}`;
}

const ELEMENT_ESCAPES = /["\\]/;

function quoteElement(text: string): string {
  return ELEMENT_ESCAPES.test(text) ? `"${text.replace(/["\\]/g, "\\$&")}"` : `"${text}"`;
}

const COPY_TEXT_SPECIALS = /[\\\n\r\t]/;
const COPY_TEXT_ESCAPES: Readonly<Record<string, string>> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/**
 * One field of a COPY FORMAT text line: `\N` for NULL, otherwise the text with backslash,
 * newline, carriage return and tab (the default delimiter) backslash-escaped.
 */
export function copyTextField(text: string | null): string {
  if (text === null) return "\\N";
  return COPY_TEXT_SPECIALS.test(text)
    ? text.replace(/[\\\n\r\t]/g, (c) => COPY_TEXT_ESCAPES[c] as string)
    : text;
}

/** A COPY FORMAT text line (with its newline) of one row's values, in column order. */
export function copyTextLine(types: readonly ColumnType[], values: readonly unknown[]): string {
  let line = "";
  for (let i = 0; i < types.length; i++) {
    if (i > 0) line += "\t";
    line += copyTextField(copyText(types[i] as ColumnType, values[i]));
  }
  return `${line}\n`;
}
