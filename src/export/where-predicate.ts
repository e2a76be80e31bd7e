import { UsageError } from "../errors.js";
import type { SchemaDescription } from "../schema/description.js";

/**
 * `--where 'Table: <SQL predicate>'`: a subset seed given as SQL by the person running the
 * export on their own database. It is run as `SELECT <key> FROM "Table" WHERE (<predicate>)`
 * inside the export's READ ONLY REPEATABLE READ transaction, over the extended query protocol
 * (one statement per message: stacking is refused by the server too). The checks here make a
 * mistake fail early with a clear message; the read-only transaction is what keeps it safe.
 */
export interface WherePredicate {
  /** Table name exactly as in the schema description. */
  table: string;
  /** The SQL boolean expression, trimmed, as given. */
  predicate: string;
}

/** Parses the raw `--where` values against the described tables; every problem is E_BAD_WHERE (exit 2). */
export function parseWherePredicates(
  values: readonly string[],
  description: SchemaDescription,
): WherePredicate[] {
  return values.map((raw) => parseWherePredicate(raw, description));
}

export function parseWherePredicate(raw: string, description: SchemaDescription): WherePredicate {
  const head = /^\s*(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))\s*:/.exec(raw);
  if (!head) {
    throw badWhere(raw, "it does not start with a table name and a colon", {
      hint: `Write --where 'Table: <SQL predicate>', e.g. --where 'Book: "visibility" = ''PUBLIC'''.`,
    });
  }
  const quoted = head[1]?.replace(/""/g, '"');
  const table = quoted ?? matchBareName(head[2] ?? "", description);
  if (!description.tables.some((t) => t.name === table)) {
    throw badWhere(raw, `there is no table ${JSON.stringify(table ?? head[2])} in the exported schema`, {
      hint: `Tables: ${description.tables.map((t) => t.name).join(", ")}.`,
    });
  }
  const predicate = raw.slice(head[0].length).trim();
  if (predicate === "") throw badWhere(raw, "the predicate after the colon is empty");
  const problem = lexicalProblem(predicate);
  if (problem) {
    throw badWhere(raw, `${problem.message} at character ${problem.position} of the predicate`, {
      hint: "A --where predicate is one SQL boolean expression over the table's columns (no ';', balanced parentheses).",
      details: { position: problem.position },
    });
  }
  return { table: table as string, predicate };
}

/** A bare name matches a table exactly, else case-insensitively when only one table matches. */
function matchBareName(name: string, description: SchemaDescription): string | undefined {
  if (description.tables.some((t) => t.name === name)) return name;
  const folded = description.tables.filter((t) => t.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0]?.name : name;
}

/**
 * Scans the predicate the way PostgreSQL's lexer splits it (string constants, E'' escapes,
 * dollar quotes, quoted identifiers, comments) and reports a `;` or an unbalanced parenthesis
 * outside them: either would let the text escape the `WHERE (…)` it is wrapped in.
 * Positions are 1-based, like PostgreSQL's.
 */
export function lexicalProblem(sql: string): { message: string; position: number } | undefined {
  let depth = 0;
  let i = 0;
  const unterminated = (what: string, at: number) => ({ message: `unterminated ${what}`, position: at + 1 });
  while (i < sql.length) {
    const c = sql[i];
    const start = i;
    if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(sql[i - 1] ?? "") && !/[A-Za-z0-9_$]/.test(sql[i - 2] ?? "");
      i += 1;
      for (;;) {
        if (i >= sql.length) return unterminated("string constant", start);
        if (escapes && sql[i] === "\\") i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i += 1;
      }
      i += 1;
    } else if (c === '"') {
      const end = sql.indexOf('"', i + 1);
      if (end < 0) return unterminated("quoted identifier", start);
      i = end + 1; // a doubled "" is two adjacent quoted parts: same outcome
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      let nesting = 1;
      i += 2;
      while (nesting > 0) {
        if (i >= sql.length) return unterminated("comment", start);
        const opens = sql.startsWith("/*", i);
        if (opens || sql.startsWith("*/", i)) {
          nesting += opens ? 1 : -1;
          i += 2;
        } else i += 1;
      }
    } else if (c === "$" && !/[A-Za-z0-9_$]/.test(sql[i - 1] ?? "")) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        if (end < 0) return unterminated("dollar-quoted string", start);
        i = end + tag.length;
      } else i += 1;
    } else if (c === ";") {
      return { message: "';' ends the statement (only one expression is allowed)", position: i + 1 };
    } else if (c === "(") {
      depth += 1;
      i += 1;
    } else if (c === ")") {
      depth -= 1;
      if (depth < 0) return { message: "')' closes a parenthesis that was not opened", position: i + 1 };
      i += 1;
    } else i += 1;
  }
  if (depth > 0) return { message: "a parenthesis is not closed", position: sql.length };
  return undefined;
}

function badWhere(
  raw: string,
  reason: string,
  extra: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {},
): UsageError {
  return new UsageError(`--where ${JSON.stringify(raw)}: ${reason}`, {
    code: "E_BAD_WHERE",
    hint:
      extra.hint ?? "Write --where 'Table: <SQL predicate>'; the predicate is run read-only on the source.",
    details: { where: raw, ...extra.details },
    cause: extra.cause,
  });
}

/** SQLSTATE classes meaning "this predicate is wrong" rather than "the export failed". */
const PREDICATE_SQLSTATES = /^(42|22|0A|25001|25006)/;

/**
 * Maps PostgreSQL's rejection of a predicate (syntax error, unknown column, bad cast, a write
 * refused by the read-only transaction…) to E_BAD_WHERE with the position inside the predicate;
 * other failures (connection lost, timeout) are returned unchanged for the caller to classify.
 */
export function predicateError(error: unknown, where: WherePredicate, predicateOffset: number): unknown {
  const e = (error ?? {}) as { code?: string; message?: string; position?: string };
  if (typeof e.code !== "string" || !PREDICATE_SQLSTATES.test(e.code)) return error;
  const at = e.position ? Number(e.position) - predicateOffset : undefined;
  const inPredicate = at !== undefined && at >= 1 && at <= where.predicate.length + 1;
  const pointer = inPredicate
    ? `\n  ${where.predicate.replace(/\s/g, " ")}\n  ${" ".repeat(at - 1)}^ character ${at}`
    : "";
  return badWhere(`${where.table}: ${where.predicate}`, `PostgreSQL rejected it: ${e.message}${pointer}`, {
    details: { table: where.table, sqlstate: e.code, ...(inPredicate ? { position: at } : {}) },
    hint: e.code.startsWith("25")
      ? "The predicate tried to write; it runs in the export's read-only transaction. Use a plain condition."
      : "Check the predicate's SQL: column names are case-sensitive and need double quotes when mixed-case.",
    cause: error,
  });
}
